"""Server CPU time of the permission check: a RetrievePropertiesEx of every
VM (10,000 with the default -vm 5000) through a container view of the root
folder, three properties each (`name`, `summary.runtime.powerState`,
`config.hardware.memoryMB`: System.View and System.Read ones), by

- an administrator (the Administrators group's Admin on the root folder:
  the reference, where reads need no per-object check);
- a user with ReadOnly on the root folder (the same privileges everywhere);
- a user with ReadOnly on 100 folders holding 100 VMs each (resolved per
  object, up the inventory).

The VMs are first moved into the 100 folders (so all three read the same
inventory). Raw SOAP over one keep-alive connection per user to a simulator
in a subprocess, started with a users file.

    python3 bench/permissions.py [--vm 5000] [--rounds 20]
"""
import argparse
import asyncio
import json
import os
import re
import tempfile

from lifecycle import FIND, returnval
from rawsoap import Connection, cpu_seconds, load_average, start_server

USERS = [{'user': 'admin@vsphere.local', 'password': 'a', 'groups': ['Administrators']},
         {'user': 'root-reader@vsphere.local', 'password': 'r'},
         {'user': 'folder-reader@vsphere.local', 'password': 'f'}]
FOLDERS = 100
LOGIN = ('<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this>'
         '<userName>%s</userName><password>%s</password></Login>')
VIEW = ('<CreateContainerView xmlns="urn:vim25"><_this type="ViewManager">ViewManager</_this>'
        '<container type="Folder">group-d1</container><type>VirtualMachine</type>'
        '<recursive>true</recursive></CreateContainerView>')
RETRIEVE = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
            'propertyCollector</_this><specSet><propSet><type>VirtualMachine</type>'
            '<pathSet>name</pathSet><pathSet>summary.runtime.powerState</pathSet>'
            '<pathSet>config.hardware.memoryMB</pathSet></propSet>'
            '<objectSet><obj type="ContainerView">%s</obj><skip>true</skip>'
            '<selectSet xsi:type="TraversalSpec"><name>v</name><type>ContainerView</type>'
            '<path>view</path><skip>false</skip></selectSet></objectSet></specSet>'
            '<options/></RetrievePropertiesEx>')
LIST_REFS = ('<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
             'propertyCollector</_this><specSet><propSet><type>ContainerView</type>'
             '<pathSet>view</pathSet></propSet><objectSet><obj type="ContainerView">%s</obj>'
             '</objectSet></specSet><options/></RetrievePropertiesEx>')
CREATE_FOLDER = ('<CreateFolder xmlns="urn:vim25"><_this type="Folder">%s</_this>'
                 '<name>%s</name></CreateFolder>')
MOVE = ('<MoveIntoFolder_Task xmlns="urn:vim25"><_this type="Folder">%s</_this>%s'
        '</MoveIntoFolder_Task>')
GRANT = ('<SetEntityPermissions xmlns="urn:vim25"><_this type="AuthorizationManager">'
         'AuthorizationManager</_this><entity type="Folder">%s</entity><permission>'
         '<principal>%s</principal><group>false</group><roleId>-2</roleId>'
         '<propagate>true</propagate></permission></SetEntityPermissions>')


async def session(host, port, user):
    connection = await Connection(host, port).open()
    await connection.call(LOGIN % (user['user'], user['password']))
    return connection


async def prepare(admin):
    """Move the VMs into FOLDERS folders; grant the readers ReadOnly."""
    view = returnval(await admin.call(VIEW))
    vms = re.findall(rb'type="VirtualMachine">([^<]+)<', await admin.call(LIST_REFS % view))
    vm_folder = returnval(await admin.call(FIND % '/DC0/vm'))
    per_folder = (len(vms) + FOLDERS - 1) // FOLDERS
    for index in range(FOLDERS):
        folder = returnval(await admin.call(CREATE_FOLDER % (vm_folder, 'f%d' % index)))
        batch = vms[index * per_folder:(index + 1) * per_folder]
        listed = ''.join('<list type="VirtualMachine">%s</list>' % ref.decode() for ref in batch)
        await admin.call(MOVE % (folder, listed))
        await admin.call(GRANT % (folder, USERS[2]['user']))
    await admin.call(GRANT % ('group-d1', USERS[1]['user']))
    await asyncio.sleep(1)   # the moves' tasks finish
    return len(vms)


async def check(connection, label, expected):
    """A container view of the user's, once its retrieval reads every VM."""
    view = returnval(await connection.call(VIEW))
    body = await connection.call(RETRIEVE % view)
    objects = body.count(b'<objects>')
    if objects != expected or b'missingSet' in body:
        raise RuntimeError('%s read %d objects of %d' % (label, objects, expected))
    return view


async def run(host, port, pid, rounds):
    labels = ('administrator', 'ReadOnly on the root folder', 'ReadOnly on %d folders' % FOLDERS)
    connections = [await session(host, port, u) for u in USERS]
    count = await prepare(connections[0])
    views = [await check(c, label, count) for c, label in zip(connections, labels)]
    spent = [0.0] * len(connections)
    for _ in range(rounds):     # interleaved, so that the machine's load weighs on all alike
        for index, (connection, view) in enumerate(zip(connections, views)):
            before = cpu_seconds(pid)
            await connection.call(RETRIEVE % view)
            spent[index] += cpu_seconds(pid) - before
    print('RetrievePropertiesEx of %d VMs (3 properties each), %d rounds:' % (count, rounds))
    reference = spent[0]
    for label, seconds in zip(labels, spent):
        extra = '' if seconds is reference else ' (%+.1f%%)' % ((seconds / reference - 1) * 100)
        print('  %-40s %8.1f ms server CPU per retrieval%s' % (label, seconds * 1000 / rounds,
                                                                extra))
    for connection in connections:
        connection.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--vm', type=int, default=5000, help='VMs per host and pool (-vm)')
    parser.add_argument('--rounds', type=int, default=20)
    args = parser.parse_args()
    fd, users_file = tempfile.mkstemp(suffix='.json')
    with os.fdopen(fd, 'w') as f:
        json.dump(USERS, f)
    process, host, port = start_server('-vm', str(args.vm), '-users', users_file)
    try:
        asyncio.run(run(host, port, process.pid, args.rounds))
    finally:
        process.terminate()
        process.wait()
        os.unlink(users_file)
    print('load average: %s' % load_average())


if __name__ == '__main__':
    main()
