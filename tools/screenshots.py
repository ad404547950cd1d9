"""Take the README's screenshots of /ui and /mob (docs/ui.png, docs/mob.png)
with Debian's Chromium driven by Playwright, against a default simulator:

    python3 tools/screenshots.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from playwright.sync_api import sync_playwright  # noqa: E402

from vimsim.testing.server import SimulatorServer, options_for  # noqa: E402

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'docs')
ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync']


def main():
    server = SimulatorServer(options_for(tls=False))
    origin = 'http://127.0.0.1:%d' % server.port
    vm = next(o for o in server.sim.objects if o.type_name == 'VirtualMachine')
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path='/usr/bin/chromium', args=ARGS)
        page = browser.new_page(viewport={'width': 1280, 'height': 860})
        page.goto(origin + '/ui/login')
        page.fill('#username', server.username)
        page.fill('#password', server.password)
        page.click('#login')
        page.wait_for_selector('#tree li.node')
        page.click('li.node[data-moid="datacenter-2"] > .toggle')
        page.locator('li.node.ClusterComputeResource > .toggle').first.click()
        page.locator('li.node.ComputeResource > .toggle').first.click()
        page.click('li.node[data-moid="%s"] > a' % vm.ref.value)
        page.wait_for_selector('.summary[data-moid="%s"]' % vm.ref.value)
        page.click('#power-off')
        page.wait_for_selector('#power-state.poweredOff')
        page.click('#power-on')
        page.wait_for_selector('#tasks tr.task.success:has-text("VirtualMachine.powerOn")')
        page.wait_for_function('Number(document.getElementById("chart-cpu").dataset.samples) > 1')
        page.screenshot(path=os.path.join(DOCS, 'ui.png'))
        mob = browser.new_page(viewport={'width': 1100, 'height': 760},
                               http_credentials={'username': server.username,
                                                 'password': server.password})
        mob.goto(origin + '/mob/?moid=%s&doPath=config.hardware' % vm.ref.value)
        mob.screenshot(path=os.path.join(DOCS, 'mob.png'))
        browser.close()
    server.stop()


if __name__ == '__main__':
    main()
