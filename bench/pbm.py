"""Server CPU time per PBM call.

Starts `python3 -m vimsim -tls=false` with `--vm` VMs per pool and `--ds`
datastores, tags one datastore through /api, makes a tag-based policy with
pyVmomi's pbm module and assigns it to a VM, then times, in server CPU (from
/proc/PID/stat, so a busy machine does not skew it), N calls each of:
PbmRetrieveServiceContent, PbmQueryProfile, PbmRetrieveContent of every
profile, PbmCheckCompatibility over every datastore, PbmCheckCompliance of
the VM and its disks, PbmQueryByRollupComplianceStatus (which reads every
VM). The first PBM call of a server loads PBM's schema: its cost is printed
apart. Prints microseconds per call and the load average.

    python3 bench/pbm.py [--calls 200] [--vm 8] [--ds 4] [--root DIR]
"""
import argparse

import requests
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import SoapStubAdapter, VmomiSupport, pbm, vim

from rawsoap import ROOT, cpu_seconds, load_average, start_server

TAG = 'http://www.vmware.com/storage/tag'


def measure(pid, calls, call):
    before = cpu_seconds(pid)
    for _ in range(calls):
        call()
    return (cpu_seconds(pid) - before) / calls * 1e6


def tag_datastore(base, datastore):
    http = requests.Session()
    http.trust_env = False
    http.headers['vmware-api-session-id'] = http.post(base + '/api/session',
                                                      auth=('user', 'pass')).json()
    category = http.post(base + '/api/cis/tagging/category', json={
        'name': 'tier', 'description': '', 'cardinality': 'MULTIPLE',
        'associable_types': []}).json()
    tag = http.post(base + '/api/cis/tagging/tag', json={
        'name': 'gold', 'description': '', 'category_id': category}).json()
    http.post(base + '/api/cis/tagging/tag-association/%s?action=attach' % tag, json={
        'object_id': {'type': 'Datastore', 'id': datastore}}).raise_for_status()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--calls', type=int, default=200)
    parser.add_argument('--vm', type=int, default=8)
    parser.add_argument('--ds', type=int, default=4)
    parser.add_argument('--root', default=ROOT)
    args = parser.parse_args()
    process, host, port = start_server('-vm', str(args.vm), '-ds', str(args.ds), root=args.root)
    si = SmartConnect(host=host, port=port, user='user', pwd='pass', protocol='http')
    try:
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine],
                                                       True)
        vm = sorted(view.view, key=lambda v: v._moId)[0]
        tag_datastore('http://%s:%d' % (host, port), vm.datastore[0]._moId)
        VmomiSupport.GetRequestContext()['vcSessionCookie'] = si._stub.cookie.split('"')[1]
        stub = SoapStubAdapter(host=host, port=-port, version='pbm.version.version11',
                               path='/pbm/sdk', poolSize=0)
        instance = pbm.ServiceInstance('ServiceInstance', stub)
        before = cpu_seconds(process.pid)
        pbm_content = instance.RetrieveContent()
        first = (cpu_seconds(process.pid) - before) * 1e3
        manager = pbm_content.profileManager
        rule = pbm.capability.CapabilityInstance(
            id=pbm.capability.CapabilityMetadata.UniqueId(namespace=TAG, id='tier'),
            constraint=[pbm.capability.ConstraintInstance(propertyInstance=[
                pbm.capability.PropertyInstance(
                    id='com.vmware.storage.tag.tier.property',
                    value=pbm.capability.types.DiscreteSet(values=['gold']))])])
        profile = manager.PbmCreate(createSpec=pbm.profile.CapabilityBasedProfileCreateSpec(
            name='gold', resourceType=pbm.profile.ResourceType(resourceType='STORAGE'),
            constraints=pbm.profile.SubProfileCapabilityConstraints(subProfiles=[
                pbm.profile.SubProfileCapabilityConstraints.SubProfile(
                    name='Rule-set 1', capability=[rule])])))
        spec = vim.vm.DefinedProfileSpec(profileId=profile.uniqueId)
        WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(vmProfile=[spec])))
        storage = pbm.profile.ResourceType(resourceType='STORAGE')
        ids = manager.PbmQueryProfile(resourceType=storage)
        entity = pbm.ServerObjectRef(objectType='virtualMachineAndDisks', key=vm._moId)
        figures = [
            ('PbmRetrieveServiceContent', instance.RetrieveContent),
            ('PbmQueryProfile', lambda: manager.PbmQueryProfile(resourceType=storage)),
            ('PbmRetrieveContent (%d profiles)' % len(ids),
             lambda: manager.PbmRetrieveContent(profileIds=ids)),
            ('PbmCheckCompatibility (%d datastores)' % args.ds,
             lambda: pbm_content.placementSolver.PbmCheckCompatibility(profile=profile)),
            ('PbmCheckCompliance (VM and disks)',
             lambda: pbm_content.complianceManager.PbmCheckCompliance(entities=[entity])),
            ('PbmQueryByRollupComplianceStatus',
             lambda: pbm_content.complianceManager.PbmQueryByRollupComplianceStatus(
                 status='compliant')),
        ]
        print('%-40s %8.0f ms server CPU (loads PBM schema; /proc counts 10 ms ticks)'
              % ('first PBM call', first))
        for name, call in figures:
            print('%-40s %8.0f us server CPU per call' % (
                name, measure(process.pid, args.calls, call)))
    finally:
        Disconnect(si)
        process.terminate()
        process.wait()
    print('load average %s' % load_average())


if __name__ == '__main__':
    main()
