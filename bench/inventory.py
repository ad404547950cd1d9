"""Large inventories: start time, memory, and a retrieve over every VM.

For each size, starts `python3 -m vimsim -tls=false -vm N` in a subprocess
(N VMs on the standalone host and N in the cluster: 2N VMs in all) and prints

- the time from process start to the first answered request;
- the resident memory once serving (VmRSS of the process);
- the time of one RetrievePropertiesEx of `name`, `runtime.powerState`,
  `summary.config.numCpu` and `config.hardware.memoryMB` over a recursive
  container view of every VM, in one page (no maxObjects): request to last
  byte on loopback, best and median of a few runs.

    python3 bench/inventory.py [VM-FLAG ...]     # default: 5000 50000
"""
import asyncio
import re
import sys
import time

from rawsoap import Connection, request_bytes, rss_mb, start_server

SERVICE_CONTENT = ('<RetrieveServiceContent xmlns="urn:vim25">'
                   '<_this type="ServiceInstance">ServiceInstance</_this>'
                   '</RetrieveServiceContent>')
CREATE_VIEW = ('<CreateContainerView xmlns="urn:vim25">'
               '<_this type="ViewManager">ViewManager</_this>'
               '<container type="Folder">%s</container>'
               '<type>VirtualMachine</type><recursive>true</recursive>'
               '</CreateContainerView>')
RETRIEVE = ('<RetrievePropertiesEx xmlns="urn:vim25">'
            '<_this type="PropertyCollector">propertyCollector</_this>'
            '<specSet>'
            '<propSet><type>VirtualMachine</type>'
            '<pathSet>name</pathSet><pathSet>runtime.powerState</pathSet>'
            '<pathSet>summary.config.numCpu</pathSet><pathSet>config.hardware.memoryMB</pathSet>'
            '</propSet>'
            '<objectSet><obj type="ContainerView">%s</obj><skip>true</skip>'
            '<selectSet xsi:type="TraversalSpec"><name>view</name><type>ContainerView</type>'
            '<path>view</path><skip>false</skip></selectSet>'
            '</objectSet>'
            '</specSet><options/>'
            '</RetrievePropertiesEx>')


async def first_answer(host, port):
    """Poll until a request is answered (the listener is up once the env
    line is written, so this normally succeeds at once)."""
    while True:
        try:
            connection = await Connection(host, port).open()
            await connection.call(SERVICE_CONTENT)
            connection.close()
            return
        except OSError:
            await asyncio.sleep(0.01)


async def retrieve(host, port, runs):
    connection = await Connection(host, port).open()
    await connection.login()
    content = (await connection.call(SERVICE_CONTENT)).decode()
    root = re.search(r'<rootFolder type="Folder">([^<]+)</rootFolder>', content).group(1)
    body = (await connection.call(CREATE_VIEW % root)).decode()
    view = re.search(r'<returnval type="ContainerView">([^<]+)</returnval>', body).group(1)
    payload = request_bytes(host, port, RETRIEVE % view, connection.cookie)
    timings = []
    size = objects = 0
    for _ in range(runs):
        start = time.perf_counter()
        answer = await connection.send(payload)
        timings.append(time.perf_counter() - start)
        size = len(answer)
        objects = answer.count(b'<objects>')
    connection.close()
    return timings, size, objects


def measure(vm_flag, runs=5):
    start = time.perf_counter()
    process, host, port = start_server('-vm', str(vm_flag))
    try:
        asyncio.run(first_answer(host, port))
        started = time.perf_counter() - start
        rss = rss_mb(process.pid)
        timings, size, objects = asyncio.run(retrieve(host, port, runs))
        rss_after = rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait()
    timings.sort()
    print('-vm %d (%d VMs)' % (vm_flag, 2 * vm_flag))
    print('  start to first answer: %.2f s' % started)
    print('  resident memory: %.0f MB serving, %.0f MB after the retrieves' % (rss, rss_after))
    print('  RetrievePropertiesEx of 4 properties over the view: %d objects, %.1f MB; '
          'best %.3f s, median %.3f s (%d runs)'
          % (objects, size / 1e6, timings[0], timings[len(timings) // 2], runs))
    sys.stdout.flush()


def main():
    sizes = [int(arg) for arg in sys.argv[1:]] or [5000, 50000]
    for size in sizes:
        measure(size)


if __name__ == '__main__':
    main()
