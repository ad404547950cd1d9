"""The container packaging (Dockerfile, deploy/compose.yaml,
deploy/kubernetes.yaml), checked without a container runtime: the command
the image runs is a vimsim command line that serves, the image's
HEALTHCHECK command passes against it, the image runs as a non-root user;
the compose file has three vCenters and the manifest a Deployment (with a
readiness probe on /sdk/vimServiceVersions.xml) and a Service per vCenter.

Building the image itself needs a runtime and a registry for the base
image: `VIMSIM_IMAGE_BASE=<local python image> pytest tests/test_packaging.py`
builds it with podman and checks the built image's configuration (skipped
otherwise).
"""
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys

import pytest
import yaml

from tests.test_cli import _read_fifo
from vimsim.options import parse_args

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEALTH_PATH = '/sdk/vimServiceVersions.xml'


def dockerfile():
    """{instruction: [arguments, ...]} of the Dockerfile, continuation lines joined."""
    with open(os.path.join(ROOT, 'Dockerfile')) as fh:
        text = fh.read().replace('\\\n', ' ')
    found = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith('#'):
            instruction, _, rest = line.partition(' ')
            found.setdefault(instruction.upper(), []).append(rest.strip())
    return found


def exec_form(text):
    """The JSON array of an exec-form instruction (ENTRYPOINT ["vimsim"])."""
    value = json.loads(text)
    assert isinstance(value, list) and all(isinstance(word, str) for word in value)
    return value


def health_command():
    (health,) = dockerfile()['HEALTHCHECK']
    options, _, command = health.partition('CMD ')
    return options.split(), exec_form(command)


def load_yaml(name):
    with open(os.path.join(ROOT, 'deploy', name)) as fh:
        return list(yaml.safe_load_all(fh))


def test_the_image_runs_vimsim_with_vcsims_defaults_as_a_user():
    instructions = dockerfile()
    assert exec_form(instructions['ENTRYPOINT'][-1]) == ['vimsim']
    args = exec_form(instructions['CMD'][-1])
    options = parse_args(args)
    assert options.listen == '0.0.0.0:8989' and options.tls and options.env == '-'
    assert instructions['EXPOSE'] == ['8989']
    user = instructions['USER'][-1]
    assert user.isdigit() and int(user) != 0    # numeric: Kubernetes' runAsNonRoot checks it
    assert len(instructions['FROM']) == 2       # build stage, then a clean runtime one
    options, command = health_command()
    assert HEALTH_PATH in ' '.join(command)
    assert any(option.startswith('--interval=') for option in options)


def _serve_as_the_image(tmp_path, extra=()):
    """vimsim started as the image starts it (its CMD, then `extra`), on a
    loopback port, its env line read from an -E fifo: (process, port)."""
    fifo = str(tmp_path / 'env.fifo')
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    argv = exec_form(dockerfile()['CMD'][-1]) + list(extra) + ['-E', fifo]
    proc = subprocess.Popen([sys.executable, '-m', 'vimsim'] + argv, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    line = _read_fifo(fd, timeout=60)
    os.close(fd)
    assert line.startswith('export GOVC_URL=https://'), (line, proc.poll())
    port = int(line.split('@127.0.0.1:')[1].split('/')[0])
    return proc, port


def test_the_healthcheck_passes_against_the_image_command(tmp_path):
    """The image's command line serves, and its HEALTHCHECK command (here
    pointed at the test's port: the image's own is 8989) exits 0; against a
    port nothing serves it exits non-zero."""
    proc, port = _serve_as_the_image(tmp_path, ['-l', '127.0.0.1:0'])
    try:
        _, command = health_command()
        assert command[0] == 'python'
        probe = [sys.executable] + [word.replace(':8989/', ':%d/' % port)
                                    for word in command[1:]]
        assert subprocess.run(probe, timeout=30).returncode == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    refused = subprocess.run(probe, timeout=30, stderr=subprocess.DEVNULL)
    assert refused.returncode != 0


def test_compose_runs_three_vcenters():
    (compose,) = load_yaml('compose.yaml')
    services = compose['services']
    assert len(services) == 3
    host_ports = set()
    for name, service in services.items():
        assert service['build']['dockerfile'] == 'Dockerfile'
        options = parse_args(service['command'])
        assert options.listen == '0.0.0.0:8989', name
        (mapping,) = service['ports']
        host, container = mapping.split(':')
        assert container == '8989'
        host_ports.add(host)
    assert len(host_ports) == 3


def test_kubernetes_has_a_deployment_and_a_ready_probed_service_per_vcenter():
    documents = load_yaml('kubernetes.yaml')
    deployments = {d['metadata']['name']: d for d in documents if d['kind'] == 'Deployment'}
    services = {d['metadata']['name']: d for d in documents if d['kind'] == 'Service'}
    assert len(deployments) == 3 and set(deployments) == set(services)
    for name, deployment in deployments.items():
        spec = deployment['spec']
        labels = spec['template']['metadata']['labels']
        assert spec['selector']['matchLabels'] == labels
        pod = spec['template']['spec']
        assert pod['securityContext']['runAsNonRoot'] is True
        (container,) = pod['containers']
        options = parse_args(container['args'])
        (port,) = container['ports']
        assert options.listen == '0.0.0.0:%d' % port['containerPort']
        probe = container['readinessProbe']['httpGet']
        assert probe['path'] == HEALTH_PATH and probe['scheme'] == 'HTTPS'
        assert probe['port'] in (port['name'], port['containerPort'])
        service = services[name]['spec']
        assert service['selector'] == labels
        (service_port,) = service['ports']
        assert service_port['targetPort'] in (port['name'], port['containerPort'])


IMAGE_BASE = os.environ.get('VIMSIM_IMAGE_BASE')


@pytest.mark.skipif(not IMAGE_BASE or not shutil.which('podman'),
                    reason='building the image needs podman and VIMSIM_IMAGE_BASE, a local '
                           'python image (docker.io is out of reach here)')
def test_the_image_builds_with_its_healthcheck_user_and_entry_point():
    """Minutes: builds the image with podman (docker format, which keeps
    HEALTHCHECK; VIMSIM_PODMAN_BUILD_ARGS adds options such as
    --isolation=chroot --network=host) and reads its configuration back."""
    tag = 'localhost/vimsim:test'
    extra = shlex.split(os.environ.get('VIMSIM_PODMAN_BUILD_ARGS', ''))
    subprocess.run(['podman', 'build', '--format', 'docker', '--build-arg',
                    'PYTHON_IMAGE=' + IMAGE_BASE, '-t', tag] + extra + [ROOT],
                   check=True, timeout=1800)
    inspected = subprocess.run(['podman', 'image', 'inspect', tag], check=True,
                               capture_output=True, text=True, timeout=120).stdout
    (image,) = json.loads(inspected)
    config = image['Config']
    assert config['User'] == '10001'
    assert config['Entrypoint'] == ['vimsim']
    assert config['Cmd'] == exec_form(dockerfile()['CMD'][-1])
    assert '8989/tcp' in config['ExposedPorts']
    _, command = health_command()
    assert image['Healthcheck']['Test'] == ['CMD'] + command
