"""Live-update figures: change-to-answer latency, and changes delivered per
second to many waiting filters.

A real API change drives it: SessionManager.UpdateServiceMessage sets the
`message` property that the waiting sessions' filters watch. Everything goes
over raw HTTP to a simulator in a subprocess.

    python3 bench/updates.py [--rounds 300] [--filters 100] [--seconds 5]
"""
import argparse
import asyncio
import re
import statistics
import time

from rawsoap import Connection, start_server

FILTER = ('<CreateFilter xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector'
          '</_this><spec><propSet><type>SessionManager</type><pathSet>message</pathSet></propSet>'
          '<objectSet><obj type="SessionManager">SessionManager</obj></objectSet></spec>'
          '<partialUpdates>true</partialUpdates></CreateFilter>')
WAIT = ('<WaitForUpdatesEx xmlns="urn:vim25"><_this type="PropertyCollector">propertyCollector'
        '</_this><version>%s</version><options><maxWaitSeconds>60</maxWaitSeconds></options>'
        '</WaitForUpdatesEx>')
MESSAGE = ('<UpdateServiceMessage xmlns="urn:vim25"><_this type="SessionManager">SessionManager'
           '</_this><message>%s</message></UpdateServiceMessage>')


def version_of(body):
    return re.search(rb'<version>([^<]+)</version>', body).group(1).decode()


async def watcher(host, port):
    connection = await (await Connection(host, port).open()).login()
    await connection.call(FILTER)
    return connection, version_of(await connection.call(WAIT % ''))


async def latency(host, port, rounds):
    connection, version = await watcher(host, port)
    changer = await (await Connection(host, port).open()).login()
    samples = []
    for index in range(rounds):
        waiting = asyncio.create_task(connection.call(WAIT % version))
        await asyncio.sleep(0.002)       # let the wait reach the server
        start = time.perf_counter()
        await changer.call(MESSAGE % ('latency %d' % index))
        version = version_of(await waiting)
        samples.append(time.perf_counter() - start)
    return samples


async def throughput(host, port, filters, seconds):
    watchers = [await watcher(host, port) for _ in range(filters)]
    changer = await (await Connection(host, port).open()).login()
    delivered = [0]
    stop = time.perf_counter() + seconds

    async def follow(connection, version):
        while time.perf_counter() < stop:
            body = await connection.call(WAIT % version)
            delivered[0] += body.count(b'<changeSet>')
            version = version_of(body)

    async def change():
        index = 0
        while time.perf_counter() < stop:
            await changer.call(MESSAGE % ('burst %d' % index))
            index += 1
        await changer.call(MESSAGE % 'last')   # wakes every follower once more
        return index

    start = time.perf_counter()
    results = await asyncio.gather(change(), *(follow(c, v) for c, v in watchers))
    elapsed = time.perf_counter() - start
    return results[0], delivered[0], elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=300)
    parser.add_argument('--filters', type=int, default=100)
    parser.add_argument('--seconds', type=float, default=5)
    args = parser.parse_args()
    process, host, port = start_server()
    try:
        samples = asyncio.run(latency(host, port, args.rounds))
        changes, delivered, elapsed = asyncio.run(throughput(host, port, args.filters, args.seconds))
    finally:
        process.terminate()
        process.wait()
    samples.sort()
    print('change -> waiting client answered (UpdateServiceMessage call included), %d rounds:'
          % len(samples))
    print('  median %.2f ms, p90 %.2f ms, min %.2f ms' % (
        statistics.median(samples) * 1000, samples[int(len(samples) * 0.9)] * 1000,
        samples[0] * 1000))
    print('%d waiting filters: %d changes made, %d property changes delivered in %.1f s '
          '= %.0f property changes/s' % (args.filters, changes, delivered, elapsed,
                                         delivered / elapsed))


if __name__ == '__main__':
    main()
