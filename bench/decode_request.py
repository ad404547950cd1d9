"""CPU time to decode large requests, as the endpoint does before dispatch.

Two envelopes of N items each: a RetrievePropertiesEx naming N virtual
machines (references, nested data objects, required fields) and an
UpdateOptions of N xsi:typed values (int, long, double, boolean, dateTime,
string: the xsd value-space checks). Server CPU time only (process time, not
wall clock: the machine is shared), with the load average.

    python3 bench/decode_request.py [N]
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from vimsim import schema as schema_module  # noqa: E402
from vimsim.soap.decode import Decoder  # noqa: E402

ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv='
            '"http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi='
            '"http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd='
            '"http://www.w3.org/2001/XMLSchema"><soapenv:Body>%s</soapenv:Body>'
            '</soapenv:Envelope>')
VALUES = (('int', '42'), ('long', '17179869184'), ('double', '0.25'), ('boolean', 'true'),
          ('dateTime', '2024-05-01T12:30:00.123456Z'), ('string', 'a value'))


def retrieve_properties(count):
    objects = ''.join('<objectSet><obj type="VirtualMachine">vm-%d</obj><skip>false</skip>'
                      '</objectSet>' % (index + 100) for index in range(count))
    return ENVELOPE % (
        '<RetrievePropertiesEx xmlns="urn:vim25"><_this type="PropertyCollector">'
        'propertyCollector</_this><specSet><propSet><type>VirtualMachine</type>'
        '<pathSet>name</pathSet><pathSet>runtime.powerState</pathSet></propSet>%s</specSet>'
        '<options><maxObjects>%d</maxObjects></options></RetrievePropertiesEx>'
        % (objects, count))


def update_options(count):
    values = ''.join('<changedValue><key>bench.%d</key><value xsi:type="xsd:%s">%s</value>'
                     '</changedValue>' % ((index,) + VALUES[index % len(VALUES)])
                     for index in range(count))
    return ENVELOPE % ('<UpdateOptions xmlns="urn:vim25"><_this type="OptionManager">'
                       'VpxSettings</_this>%s</UpdateOptions>' % values)


def cpu_ms(decoder, body, runs=7):
    decoder.decode(body)   # warm the per-type tables
    timings = []
    for _ in range(runs):
        start = time.process_time()
        decoder.decode(body)
        timings.append(time.process_time() - start)
    timings.sort()
    return timings[0] * 1000, timings[len(timings) // 2] * 1000


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    decoder = Decoder(schema_module.load())
    for name, body in (('RetrievePropertiesEx', retrieve_properties(count)),
                       ('UpdateOptions', update_options(count))):
        best, median = cpu_ms(decoder, body.encode('utf-8'))
        print('decode %s: %d items, %d bytes: best %.1f ms, median %.1f ms CPU (7 runs)'
              % (name, count, len(body), best, median))
    print('load average %.2f %.2f %.2f' % os.getloadavg())


if __name__ == '__main__':
    main()
