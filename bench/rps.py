"""Small calls per second and server CPU per call, over keep-alive connections.

Starts `python3 -m vimsim` on an ephemeral port in a subprocess, once over
plain HTTP (-tls=false) and once over TLS (vimsim's default), and drives each
with a raw HTTP/1.1 client (asyncio, no HTTP library, responses only framed,
not parsed), so the figures are the server's. Per small call, printed:
requests/s and the server's CPU time per request (utime + stime from
/proc/PID/stat over the measured seconds, so other load on the machine does
not count: that is the figure to compare; user and system time apart), the
median of --runs runs, with the load average. With --compare DIR the same
calls are measured on the checkout at DIR too, runs of the two interleaved,
so that both meet the same load.

The calls: RetrieveServiceContent (anonymous, as clients call it before
they log in), then, each connection logged in, CurrentTime,
SessionIsActive of its own session, a Fetch of the root folder's `name`, and
a RetrievePropertiesEx of that one property.

    python3 bench/rps.py [--connections 16] [--seconds 5] [--runs 3] [--root DIR]
                         [--compare DIR] [--calls RetrieveServiceContent,...]
                         [--modes http,https]
"""
import argparse
import asyncio
import os
import re
import ssl
import statistics
import time

from rawsoap import ROOT, Connection, load_average, request_bytes, start_server

CALLS = {
    'RetrieveServiceContent': (
        False, '<RetrieveServiceContent xmlns="urn:vim25">'
               '<_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent>'),
    'CurrentTime': (
        True, '<CurrentTime xmlns="urn:vim25">'
              '<_this type="ServiceInstance">ServiceInstance</_this></CurrentTime>'),
    'SessionIsActive': (
        True, '<SessionIsActive xmlns="urn:vim25"><_this type="SessionManager">SessionManager'
              '</_this><sessionID>{session}</sessionID><userName>user</userName>'
              '</SessionIsActive>'),
    'Fetch': (
        True, '<Fetch xmlns="urn:vim25"><_this type="Folder">group-d1</_this>'
              '<prop>name</prop></Fetch>'),
    'RetrievePropertiesEx': (
        True, '<RetrievePropertiesEx xmlns="urn:vim25">'
              '<_this type="PropertyCollector">propertyCollector</_this><specSet>'
              '<propSet><type>Folder</type><pathSet>name</pathSet></propSet>'
              '<objectSet><obj type="Folder">group-d1</obj></objectSet>'
              '</specSet><options/></RetrievePropertiesEx>'),
}
LOGIN = ('<Login xmlns="urn:vim25"><_this type="SessionManager">SessionManager</_this>'
         '<userName>user</userName><password>pass</password></Login>')
SESSION_KEY = re.compile(rb'<key>([^<]+)</key>')


def tls_context():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


async def client(host, port, tls, call):
    """One connection, logged in when `call` needs it, and the request it
    sends; the first call is not counted (it checks the answer is a 200)."""
    logged_in, body = CALLS[call]
    connection = await Connection(host, port, tls_context() if tls else None).open()
    if logged_in:
        answer = await connection.call(LOGIN)
        body = body.replace('{session}', SESSION_KEY.search(answer).group(1).decode())
    payload = request_bytes(host, port, body, connection.cookie)
    await connection.send(payload)
    return connection, payload


async def calls_until(connection, payload, deadline):
    """How many calls one connection made until `deadline` (one at least)."""
    done = 0
    while True:
        await connection.send(payload)
        done += 1
        if time.perf_counter() >= deadline:
            return done


def cpu_split(pid):
    """(user, system) CPU seconds a process has used (/proc/PID/stat)."""
    with open('/proc/%d/stat' % pid) as stat:
        fields = stat.read().rsplit(')', 1)[1].split()
    ticks = os.sysconf('SC_CLK_TCK')
    return int(fields[11]) / ticks, int(fields[12]) / ticks


async def drive(pid, host, port, tls, call, connections, seconds):
    """(requests/s, server user and system CPU seconds per request) of
    `call`, after a warm-up second; connections are opened (TLS handshakes,
    logins) before the CPU clock starts."""
    clients = await asyncio.gather(*(client(host, port, tls, call)
                                     for _ in range(connections)))
    warm = time.perf_counter() + 1.0
    await asyncio.gather(*(calls_until(connection, payload, warm)
                           for connection, payload in clients))
    start = time.perf_counter()
    user, system = cpu_split(pid)
    counts = await asyncio.gather(*(calls_until(connection, payload, start + seconds)
                                    for connection, payload in clients))
    user_after, system_after = cpu_split(pid)
    elapsed = time.perf_counter() - start
    for connection, _ in clients:
        connection.close()
    requests = sum(counts)
    return (requests / elapsed, (user_after - user) / requests,
            (system_after - system) / requests)


def median_of(runs):
    """The run of median total CPU per request: (requests/s, user, system)."""
    ordered = sorted(runs, key=lambda run: run[1] + run[2])
    return ordered[len(ordered) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--connections', type=int, default=16)
    parser.add_argument('--seconds', type=float, default=5)
    parser.add_argument('--runs', type=int, default=3, help='median of this many runs')
    parser.add_argument('--root', default=ROOT, help="another checkout's simulator")
    parser.add_argument('--compare', help="a checkout measured alongside, runs interleaved")
    parser.add_argument('--calls', default=','.join(CALLS))
    parser.add_argument('--modes', default='http,https')
    args = parser.parse_args()
    roots = [('', args.root)] + ([('compared', args.compare)] if args.compare else [])
    print('load average: %s; %d keep-alive connections, %g s per call, median of %d runs'
          % (load_average(), args.connections, args.seconds, args.runs))
    for mode in args.modes.split(','):
        tls = mode == 'https'
        servers = [(label, start_server(root=root, tls=tls)) for label, root in roots]
        try:
            for call in args.calls.split(','):
                runs = {label: [] for label, _ in servers}
                for _ in range(args.runs):
                    for label, (process, host, port) in servers:
                        runs[label].append(asyncio.run(drive(
                            process.pid, host, port, tls, call, args.connections,
                            args.seconds)))
                for label, _ in servers:
                    rate, user, system = median_of(runs[label])
                    print('%-5s %-22s %6.0f requests/s, server CPU %4.0f us/request '
                          '(user %3.0f, system %3.0f) %s'
                          % (mode, call, rate, (user + system) * 1e6, user * 1e6,
                             system * 1e6, label))
        finally:
            for _, (process, _, _) in servers:
                process.terminate()
                process.wait()
    print('load average: %s' % load_average())


if __name__ == '__main__':
    main()
