"""Server CPU time per vAPI call, by door.

Starts `python3 -m vimsim -tls=false` with `--vm` VMs per pool and times, in
server CPU (from /proc/PID/stat, so a busy machine does not skew it), N
calls each of: GET /api/vcenter/vm (the whole list), the same filtered to one
name, GET /rest/vcenter/vm, a JSON-RPC com.vmware.vcenter.VM list, and a
tag attach + detach pair through /api. Prints microseconds per call and the
load average.

    python3 bench/rest.py [--calls 200] [--vm 8] [--root DIR]
"""
import argparse
import json

import requests

from rawsoap import ROOT, cpu_seconds, load_average, start_server


def jsonrpc_list(token):
    return {'jsonrpc': '2.0', 'id': '1', 'method': 'invoke', 'params': {
        'serviceId': 'com.vmware.vcenter.VM', 'operationId': 'list',
        'input': {'STRUCTURE': {'operation-input': {'filter': {'OPTIONAL': None}}}},
        'ctx': {'appCtx': {}, 'securityCtx': {
            'schemeId': 'com.vmware.vapi.std.security.session_id', 'sessionId': token}}}}


def measure(pid, calls, call):
    before = cpu_seconds(pid)
    for _ in range(calls):
        call()
    return (cpu_seconds(pid) - before) / calls * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--calls', type=int, default=200)
    parser.add_argument('--vm', type=int, default=8)
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    process, host, port = start_server('-vm', str(args.vm), root=args.root)
    base = 'http://%s:%d' % (host, port)
    http = requests.Session()
    http.trust_env = False
    try:
        token = http.post(base + '/api/session', auth=('user', 'pass')).json()
        http.headers['vmware-api-session-id'] = token
        vms = http.get(base + '/api/vcenter/vm').json()
        category = http.post(base + '/api/cis/tagging/category', json={
            'name': 'bench', 'description': '', 'cardinality': 'MULTIPLE',
            'associable_types': []}).json()
        tag = http.post(base + '/api/cis/tagging/tag', json={
            'name': 'bench', 'description': '', 'category_id': category}).json()
        target = {'object_id': {'type': 'VirtualMachine', 'id': vms[0]['vm']}}
        association = base + '/api/cis/tagging/tag-association/' + tag

        def attach_detach():
            http.post(association + '?action=attach', json=target).raise_for_status()
            http.post(association + '?action=detach', json=target).raise_for_status()

        body = json.dumps(jsonrpc_list(token))
        figures = [
            ('GET /api/vcenter/vm (%d VMs)' % len(vms),
             lambda: http.get(base + '/api/vcenter/vm').raise_for_status()),
            ('GET /api/vcenter/vm?names=one',
             lambda: http.get(base + '/api/vcenter/vm?names=' + vms[0]['name'])),
            ('GET /rest/vcenter/vm', lambda: http.get(base + '/rest/vcenter/vm')),
            ('JSON-RPC VM list', lambda: http.post(base + '/api', data=body,
                                                   headers={'Content-Type': 'application/json'})),
            ('tag attach + detach (2 calls)', attach_detach),
        ]
        for name, call in figures:
            print('%-32s %8.0f us server CPU per call' % (name, measure(process.pid, args.calls,
                                                                         call)))
    finally:
        process.terminate()
        process.wait()
    print('load average %s' % load_average())


if __name__ == '__main__':
    main()
