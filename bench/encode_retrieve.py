"""Time to encode a RetrievePropertiesEx result of N objects x 4 properties.

Server time only: the result objects are built once, then encoded to the
SOAP envelope bytes a client receives, as the endpoint does. Timed in CPU
time of this process (time.process_time), so other load on the machine
counts less than in wall time; the best and the median of --runs, with the
load average.

    python3 bench/encode_retrieve.py [N] [--runs 7]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

from vimsim import schema as schema_module  # noqa: E402
from vimsim.schema import MoRef  # noqa: E402
from vimsim.soap import encode  # noqa: E402


def build_result(schema, count):
    types = schema.types
    vm_type = schema.managed['VirtualMachine']
    summary_config = types['VirtualMachineConfigSummary'].field_map['numCpu']
    memory = types['VirtualHardware'].field_map['memoryMB']
    power = types['VirtualMachineRuntimeInfo'].field_map['powerState']
    name = vm_type.property_map['name']
    Prop = types['DynamicProperty'].cls
    objects = []
    for index in range(count):
        objects.append(types['ObjectContent'].cls(obj=MoRef('VirtualMachine', 'vm-%d' % (index + 100)), propSet=[
            Prop(name='name', val=encode.Typed('DC0_C0_RP0_VM%d' % index, name)),
            Prop(name='runtime.powerState', val=encode.Typed('poweredOn', power)),
            Prop(name='summary.config.numCpu', val=encode.Typed(2, summary_config)),
            Prop(name='config.hardware.memoryMB', val=encode.Typed(4096, memory)),
        ]))
    return types['RetrieveResult'].cls(objects=objects)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('count', type=int, nargs='?', default=10000)
    parser.add_argument('--runs', type=int, default=7)
    args = parser.parse_args()
    count = args.count
    schema = schema_module.load()
    result = build_result(schema, count)
    operation = schema.operations['RetrievePropertiesEx']
    encoder = encode.encoder_for(schema, schema.newest)
    encode.response(encoder, operation, result)  # warm the type tables
    timings = []
    for _ in range(args.runs):
        start = time.process_time()
        body = encode.response(encoder, operation, result)
        timings.append(time.process_time() - start)
    print('encode RetrievePropertiesEx result: %d objects x 4 properties, %d bytes' % (count, len(body)))
    print('  CPU best %.1f ms, median %.1f ms (%d runs); load average %s' % (
        min(timings) * 1000, statistics.median(timings) * 1000, args.runs,
        ' '.join('%.2f' % load for load in os.getloadavg())))


if __name__ == '__main__':
    main()
