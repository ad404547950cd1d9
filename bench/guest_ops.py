"""Guest operations: the server's CPU time per call, and /guestFile throughput.

On a powered-on VM of the default inventory: N StartProgramInGuest calls
(`/bin/echo` with its output redirected to a file), N ListProcessesInGuest
calls (the list holds the N exited processes, so it grows to N), and one
upload and one download of a file of --megabytes through the /guestFile
URLs. Prints the server's CPU time per call (from /proc/PID/stat), the
transfer rates and the load average. Raw SOAP and raw HTTP over keep-alive
connections to a simulator in a subprocess.

    python3 bench/guest_ops.py [--calls 500] [--megabytes 16]
"""
import argparse
import asyncio
import re
import time

from rawsoap import Connection, cpu_seconds, load_average, start_server

FIND = ('<FindByInventoryPath xmlns="urn:vim25"><_this type="SearchIndex">SearchIndex</_this>'
        '<inventoryPath>DC0/vm/DC0_H0_VM0</inventoryPath></FindByInventoryPath>')
AUTH = ('<auth xsi:type="NamePasswordAuthentication"><interactiveSession>false'
        '</interactiveSession><username>root</username><password>vmware</password></auth>')
START = ('<StartProgramInGuest xmlns="urn:vim25"><_this type="GuestProcessManager">'
         'guestOperationsProcessManager</_this><vm type="VirtualMachine">%s</vm>' + AUTH +
         '<spec><programPath>/bin/echo</programPath><arguments>run %d &gt; /tmp/out%d'
         '</arguments></spec></StartProgramInGuest>')
LIST = ('<ListProcessesInGuest xmlns="urn:vim25"><_this type="GuestProcessManager">'
        'guestOperationsProcessManager</_this><vm type="VirtualMachine">%s</vm>' + AUTH +
        '</ListProcessesInGuest>')
TO_GUEST = ('<InitiateFileTransferToGuest xmlns="urn:vim25"><_this type="GuestFileManager">'
            'guestOperationsFileManager</_this><vm type="VirtualMachine">%s</vm>' + AUTH +
            '<guestFilePath>/tmp/big</guestFilePath><fileAttributes xsi:type="GuestFileAttributes"'
            '/><fileSize>%d</fileSize><overwrite>true</overwrite></InitiateFileTransferToGuest>')
FROM_GUEST = ('<InitiateFileTransferFromGuest xmlns="urn:vim25"><_this type="GuestFileManager">'
              'guestOperationsFileManager</_this><vm type="VirtualMachine">%s</vm>' + AUTH +
              '<guestFilePath>/tmp/big</guestFilePath></InitiateFileTransferFromGuest>')


def url_path(answer):
    url = re.search(rb'(?:<returnval>|<url>)(https?://[^<]+)<', answer).group(1).decode()
    return url.split('/', 3)[3].replace('&amp;', '&')


async def transfer(connection, method, path, body=b''):
    head = ('%s /%s HTTP/1.1\r\nHost: %s:%d\r\nContent-Length: %d\r\n\r\n'
            % (method, path, connection.host, connection.port, len(body))).encode()
    return await connection.send(head + body)


async def measure(host, port, pid, calls, megabytes):
    connection = await (await Connection(host, port).open()).login()
    vm = re.search(rb'>(vm-\d+)<', await connection.call(FIND)).group(1).decode()
    figures = {}
    for name, body in (('StartProgramInGuest', START), ('ListProcessesInGuest', LIST)):
        cpu = cpu_seconds(pid)
        for index in range(calls):
            await connection.call(body % ((vm, index, index) if '%d' in body else vm))
        figures[name] = (cpu_seconds(pid) - cpu) / calls
    data = b'x' * int(megabytes * 2 ** 20)
    rates = {}
    started = time.perf_counter()
    await transfer(connection, 'PUT', url_path(await connection.call(TO_GUEST % (vm, len(data)))),
                   data)
    rates['upload'] = megabytes / (time.perf_counter() - started)
    started = time.perf_counter()
    got = await transfer(connection, 'GET', url_path(await connection.call(FROM_GUEST % vm)))
    rates['download'] = megabytes / (time.perf_counter() - started)
    assert got == data
    connection.close()
    return figures, rates


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--calls', type=int, default=500)
    parser.add_argument('--megabytes', type=float, default=16)
    args = parser.parse_args()
    process, host, port = start_server()
    try:
        figures, rates = asyncio.run(measure(host, port, process.pid, args.calls,
                                             args.megabytes))
    finally:
        process.terminate()
        process.wait()
    for name, seconds in figures.items():
        print('%-22s %7.3f ms server CPU per call (%d calls)' % (name, seconds * 1e3,
                                                                args.calls))
    for name, rate in rates.items():
        print('%-22s %7.1f MB/s (%g MB)' % ('/guestFile ' + name, rate, args.megabytes))
    print('load average: %s' % load_average())


if __name__ == '__main__':
    main()
