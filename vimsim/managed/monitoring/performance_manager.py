"""PerformanceManager: counter catalog, historical intervals, descriptions,
and the statistics themselves.

The counters are the commonly used ones of a vCenter 7/8, with vCenter's own
keys, rollups, stats types, units and collection levels (cpu.usage.average is
key 2 everywhere, as scripts and alarm definitions assume). Values come from
the load model (perf_metrics): a real-time sample is the model's 20 s sample;
a historical sample of period P rolls up (average, minimum, maximum, latest,
summation) the 20 s samples of its period, of which it reads at most
ROLLUP_READS evenly spaced ones. Samples are there for the interval's length
(an hour of real-time ones; a VM reads idle before it ran), for counters the
interval's level collects.
"""
import copy
import functools
from datetime import datetime, timezone

from vimsim import clock
from vimsim.managed.manager import Manager, element, manager_type
from vimsim.managed.monitoring import perf_metrics
from vimsim.managed.monitoring.load_model import SAMPLE_SECONDS, latest_index, load_model
from vimsim.soap.fault import InvalidArgument, fault

GROUPS = {
    'cpu': 'CPU', 'mem': 'Memory', 'disk': 'Disk', 'net': 'Network', 'sys': 'System',
    'power': 'Power', 'storageAdapter': 'Storage adapter', 'virtualDisk': 'Virtual disk',
    'datastore': 'Datastore', 'storagePath': 'Storage path', 'rescpu': 'Resource group CPU',
    'managementAgent': 'Management agent', 'clusterServices': 'Cluster services',
    'vmop': 'Virtual machine operations', 'gpu': 'GPU',
}

UNITS = {
    'percent': ('%', 'Percentage'), 'megaHertz': ('MHz', 'Megahertz'),
    'kiloBytes': ('KB', 'Kilobytes'), 'megaBytes': ('MB', 'Megabytes'),
    'kiloBytesPerSecond': ('KBps', 'Kilobytes per second'),
    'megaBytesPerSecond': ('MBps', 'Megabytes per second'),
    'millisecond': ('ms', 'Millisecond'), 'microsecond': ('\u00b5s', 'Microsecond'),
    'second': ('s', 'Second'), 'number': ('num', 'Number'), 'watt': ('W', 'Watt'),
    'joule': ('J', 'Joule'), 'celsius': ('\u2103', 'Temperature in degrees Celsius'),
}

ROLLUPS = ('none', 'average', 'minimum', 'maximum')

# (first key, group, name, rollups, statsType, unit, level of 'average'/main rollup,
#  perDeviceLevel of it, label, summary). A counter with the rollups
# none/average/minimum/maximum takes four consecutive keys, as on vCenter; the
# other rollups are collected at level 4.
COUNTERS = (
    (1, 'cpu', 'usage', ROLLUPS, 'rate', 'percent', 1, 3, 'Usage',
     'CPU usage as a percentage during the interval'),
    (5, 'cpu', 'usagemhz', ROLLUPS, 'rate', 'megaHertz', 1, 3, 'Usage in MHz',
     'CPU usage in megahertz during the interval'),
    (9, 'cpu', 'reservedCapacity', ('average',), 'absolute', 'megaHertz', 2, 3,
     'Reserved capacity', 'Total CPU capacity reserved by virtual machines'),
    (10, 'cpu', 'system', ('summation',), 'delta', 'millisecond', 3, 3, 'System',
     'Amount of time spent on system processes on each virtual CPU in the virtual machine'),
    (11, 'cpu', 'wait', ('summation',), 'delta', 'millisecond', 3, 3, 'Wait',
     'Total CPU time spent in wait state'),
    (12, 'cpu', 'ready', ('summation',), 'delta', 'millisecond', 1, 3, 'Ready',
     'Time that the virtual machine was ready, but could not get scheduled to run on the '
     'physical CPU during last measurement interval'),
    (13, 'cpu', 'idle', ('summation',), 'delta', 'millisecond', 2, 3, 'Idle',
     'Total time that the CPU spent in an idle state'),
    (14, 'cpu', 'used', ('summation',), 'delta', 'millisecond', 3, 3, 'Used',
     'Total CPU usage'),
    (23, 'mem', 'usage', ROLLUPS, 'absolute', 'percent', 1, 3, 'Host consumed %',
     'Percentage of host physical memory that has been consumed'),
    (27, 'mem', 'reservedCapacity', ('average',), 'absolute', 'megaBytes', 2, 3,
     'Reservation consumed', 'Memory reservation consumed by powered-on virtual machines'),
    (28, 'mem', 'granted', ROLLUPS, 'absolute', 'kiloBytes', 2, 3, 'Granted',
     'Amount of host physical memory or physical memory that is mapped for a virtual '
     'machine or a host'),
    (32, 'mem', 'active', ROLLUPS, 'absolute', 'kiloBytes', 2, 3, 'Active',
     'Amount of guest physical memory that is being actively read or written by guest. '
     'Activeness is estimated by ESXi'),
    (36, 'mem', 'shared', ROLLUPS, 'absolute', 'kiloBytes', 2, 3, 'Shared',
     'Amount of guest physical memory that is shared within a single virtual machine or '
     'across virtual machines'),
    (40, 'mem', 'zero', ROLLUPS, 'absolute', 'kiloBytes', 2, 3, 'Zero pages',
     'Guest physical memory pages whose content is 0x00'),
    (44, 'mem', 'unreserved', ROLLUPS, 'absolute', 'kiloBytes', 2, 3,
     'Reservation available', 'Amount by which reservation can be raised'),
    (48, 'mem', 'swapused', ROLLUPS, 'absolute', 'kiloBytes', 2, 3, 'Swap consumed',
     'Swap storage space consumed'),
    (56, 'mem', 'sharedcommon', ROLLUPS, 'absolute', 'kiloBytes', 2, 3, 'Shared common',
     'Amount of host physical memory that backs shared guest physical memory (Shared)'),
    (68, 'mem', 'state', ('latest',), 'absolute', 'number', 2, 3, 'Free state',
     'Current memory availability state of ESXi. Possible values are high, clear, soft, '
     'hard, low. The state value determines the techniques used for memory reclamation '
     'from virtual machines'),
    (69, 'mem', 'swapped', ROLLUPS, 'absolute', 'kiloBytes', 2, 3, 'Swapped',
     'Amount of guest physical memory that is swapped out to the swap space'),
    (73, 'mem', 'swaptarget', ROLLUPS, 'absolute', 'kiloBytes', 2, 3, 'Swap target',
     'Amount of memory that ESXi needs to reclaim by swapping'),
    (85, 'mem', 'swapinRate', ('average',), 'rate', 'kiloBytesPerSecond', 1, 3,
     'Swap in rate', 'Rate at which guest physical memory is swapped in from the swap space'),
    (86, 'mem', 'swapoutRate', ('average',), 'rate', 'kiloBytesPerSecond', 1, 3,
     'Swap out rate', 'Rate at which guest physical memory is swapped out to the swap space'),
    (87, 'managementAgent', 'swapOut', ('average',), 'rate', 'kiloBytesPerSecond', 3, 3,
     'Memory swap out', 'Amount of memory that is swapped out for the Service Console'),
    (88, 'managementAgent', 'swapIn', ('average',), 'rate', 'kiloBytesPerSecond', 3, 3,
     'Memory swap in', 'Amount of memory that is swapped in for the Service Console'),
    (89, 'mem', 'vmmemctl', ROLLUPS, 'absolute', 'kiloBytes', 1, 3, 'Ballooned memory',
     'Amount of guest physical memory reclaimed from the virtual machine by the balloon '
     'driver in the guest'),
    (93, 'mem', 'vmmemctltarget', ROLLUPS, 'absolute', 'kiloBytes', 2, 3, 'Balloon target',
     'Desired amount of guest physical memory the balloon driver needs to reclaim, as '
     'determined by ESXi'),
    (97, 'mem', 'consumed', ROLLUPS, 'absolute', 'kiloBytes', 1, 3, 'Consumed',
     'Amount of host physical memory consumed for backing up guest physical memory pages'),
    (101, 'mem', 'overhead', ROLLUPS, 'absolute', 'kiloBytes', 1, 1, 'Overhead consumed',
     'Host physical memory consumed by ESXi data structures for running the virtual '
     'machines'),
    (105, 'mem', 'compressed', ('average',), 'absolute', 'kiloBytes', 2, 3, 'Compressed',
     'Guest physical memory pages that have undergone memory compression'),
    (106, 'mem', 'compressionRate', ('average',), 'rate', 'kiloBytesPerSecond', 2, 3,
     'Compression rate', 'Rate of guest physical memory page compression by ESXi'),
    (107, 'mem', 'decompressionRate', ('average',), 'rate', 'kiloBytesPerSecond', 2, 3,
     'Decompression rate', 'Rate of guest physical memory decompression'),
    (124, 'disk', 'usage', ROLLUPS, 'rate', 'kiloBytesPerSecond', 1, 3, 'Usage',
     'Aggregated disk I/O rate. For hosts, this metric includes the rates for all virtual '
     'machines running on the host during the collection interval.'),
    (128, 'disk', 'numberRead', ('summation',), 'delta', 'number', 3, 3, 'Read requests',
     'Number of disk reads during the collection interval'),
    (129, 'disk', 'numberWrite', ('summation',), 'delta', 'number', 3, 3, 'Write requests',
     'Number of disk writes during the collection interval'),
    (130, 'disk', 'read', ('average',), 'rate', 'kiloBytesPerSecond', 2, 3, 'Read rate',
     'Average number of kilobytes read from the disk each second during the collection '
     'interval'),
    (131, 'disk', 'write', ('average',), 'rate', 'kiloBytesPerSecond', 2, 3, 'Write rate',
     'Average number of kilobytes written to disk each second during the collection '
     'interval'),
    (132, 'disk', 'totalLatency', ('average',), 'absolute', 'millisecond', 3, 3,
     'Command latency', 'Average amount of time taken during the collection interval to '
     'process a SCSI command issued by the guest OS to the virtual machine'),
    (133, 'disk', 'maxTotalLatency', ('latest',), 'absolute', 'millisecond', 1, 3,
     'Highest latency', 'Highest latency value across all disks used by the host'),
    (134, 'disk', 'commandsAborted', ('summation',), 'delta', 'number', 2, 3,
     'Commands aborted', 'Number of SCSI commands aborted during the collection interval'),
    (135, 'disk', 'busResets', ('summation',), 'delta', 'number', 2, 3, 'Bus resets',
     'Number of SCSI-bus reset commands issued during the collection interval'),
    (136, 'disk', 'numberReadAveraged', ('average',), 'rate', 'number', 1, 3,
     'Average read requests per second',
     'Average number of disk reads per second during the collection interval'),
    (137, 'disk', 'numberWriteAveraged', ('average',), 'rate', 'number', 1, 3,
     'Average write requests per second',
     'Average number of disk writes per second during the collection interval'),
    (142, 'net', 'usage', ROLLUPS, 'rate', 'kiloBytesPerSecond', 1, 3, 'Usage',
     'Network utilization (combined transmit-rates and receive-rates) during the interval'),
    (146, 'net', 'packetsRx', ('summation',), 'delta', 'number', 2, 3, 'Packets received',
     'Number of packets received during the interval'),
    (147, 'net', 'packetsTx', ('summation',), 'delta', 'number', 2, 3,
     'Packets transmitted', 'Number of packets transmitted during the interval'),
    (148, 'net', 'received', ('average',), 'rate', 'kiloBytesPerSecond', 2, 3,
     'Data receive rate', 'Average rate at which data was received during the interval'),
    (149, 'net', 'transmitted', ('average',), 'rate', 'kiloBytesPerSecond', 2, 3,
     'Data transmit rate', 'Average rate at which data was transmitted during the interval'),
    (155, 'sys', 'uptime', ('latest',), 'absolute', 'second', 1, 3, 'Uptime',
     'Total time elapsed, in seconds, since last system startup'),
    (156, 'sys', 'heartbeat', ('summation',), 'delta', 'number', 1, 3, 'Heartbeat',
     'Number of heartbeats issued per virtual machine during the interval'),
    (157, 'power', 'power', ('average',), 'rate', 'watt', 2, 3, 'Usage',
     'Current power usage'),
    (158, 'power', 'powerCap', ('average',), 'absolute', 'watt', 3, 3, 'Cap',
     'Maximum allowed power usage'),
    (159, 'power', 'energy', ('summation',), 'delta', 'joule', 3, 3, 'Energy usage',
     'Total energy used since last stats reset'),
    (161, 'storageAdapter', 'commandsAveraged', ('average',), 'rate', 'number', 2, 2,
     'Average commands issued per second', 'Average number of commands issued per second '
     'by the storage adapter during the collection interval'),
    (162, 'storageAdapter', 'numberReadAveraged', ('average',), 'rate', 'number', 2, 2,
     'Average read requests per second', 'Average number of read commands issued per '
     'second by the storage adapter during the collection interval'),
    (163, 'storageAdapter', 'numberWriteAveraged', ('average',), 'rate', 'number', 2, 2,
     'Average write requests per second', 'Average number of write commands issued per '
     'second by the storage adapter during the collection interval'),
    (164, 'storageAdapter', 'read', ('average',), 'rate', 'kiloBytesPerSecond', 2, 2,
     'Read rate', 'Rate of reading data by the storage adapter'),
    (165, 'storageAdapter', 'write', ('average',), 'rate', 'kiloBytesPerSecond', 2, 2,
     'Write rate', 'Rate of writing data by the storage adapter'),
    (166, 'storageAdapter', 'totalReadLatency', ('average',), 'absolute', 'millisecond', 2,
     2, 'Read latency', 'The average time a read by the storage adapter takes'),
    (167, 'storageAdapter', 'totalWriteLatency', ('average',), 'absolute', 'millisecond', 2,
     2, 'Write latency', 'The average time a write by the storage adapter takes'),
    (168, 'storageAdapter', 'maxTotalLatency', ('latest',), 'absolute', 'millisecond', 3, 3,
     'Highest latency', 'Highest latency value across all storage adapters used by the host'),
    (171, 'virtualDisk', 'numberReadAveraged', ('average',), 'rate', 'number', 1, 3,
     'Average read requests per second', 'Average number of read commands issued per '
     'second to the virtual disk during the collection interval'),
    (172, 'virtualDisk', 'numberWriteAveraged', ('average',), 'rate', 'number', 1, 3,
     'Average write requests per second', 'Average number of write commands issued per '
     'second to the virtual disk during the collection interval'),
    (173, 'virtualDisk', 'read', ('average',), 'rate', 'kiloBytesPerSecond', 2, 2,
     'Read rate', 'Rate of reading data from the virtual disk'),
    (174, 'virtualDisk', 'write', ('average',), 'rate', 'kiloBytesPerSecond', 2, 2,
     'Write rate', 'Rate of writing data to the virtual disk'),
    (175, 'virtualDisk', 'totalReadLatency', ('average',), 'absolute', 'millisecond', 1, 3,
     'Read latency', 'The average time a read from the virtual disk takes'),
    (176, 'virtualDisk', 'totalWriteLatency', ('average',), 'absolute', 'millisecond', 1, 3,
     'Write latency', 'The average time a write to the virtual disk takes'),
    (178, 'datastore', 'numberReadAveraged', ('average',), 'rate', 'number', 1, 3,
     'Average read requests per second', 'Average number of read commands issued per '
     'second to the datastore during the collection interval'),
    (179, 'datastore', 'numberWriteAveraged', ('average',), 'rate', 'number', 1, 3,
     'Average write requests per second', 'Average number of write commands issued per '
     'second to the datastore during the collection interval'),
    (180, 'datastore', 'read', ('average',), 'rate', 'kiloBytesPerSecond', 2, 2,
     'Read rate', 'Rate of reading data from the datastore'),
    (181, 'datastore', 'write', ('average',), 'rate', 'kiloBytesPerSecond', 2, 2,
     'Write rate', 'Rate of writing data to the datastore'),
    (182, 'datastore', 'totalReadLatency', ('average',), 'absolute', 'millisecond', 1, 3,
     'Read latency', 'The average time a read from the datastore takes'),
    (183, 'datastore', 'totalWriteLatency', ('average',), 'absolute', 'millisecond', 1, 3,
     'Write latency', 'The average time a write to the datastore takes'),
    (184, 'datastore', 'maxTotalLatency', ('latest',), 'absolute', 'millisecond', 3, 3,
     'Highest latency', 'Highest latency value across all datastores used by the host'),
    (185, 'datastore', 'datastoreIops', ('average',), 'absolute', 'number', 1, 3,
     'Storage I/O Control aggregated IOPS', 'Storage I/O Control aggregated IOPS'),
    (186, 'datastore', 'sizeNormalizedDatastoreLatency', ('average',), 'absolute',
     'microsecond', 1, 3, 'Storage I/O Control normalized latency',
     'Storage I/O Control size-normalized I/O latency'),
    (213, 'cpu', 'cpuentitlement', ('latest',), 'absolute', 'megaHertz', 2, 3,
     'Worst case allocation', 'Amount of CPU resources allocated to the virtual machine or '
     'resource pool, based on the total cluster capacity and the resource configuration of '
     'the resource hierarchy'),
    (214, 'mem', 'mementitlement', ('latest',), 'absolute', 'megaBytes', 2, 3,
     'Entitlement', 'Memory allocation as calculated by the VMkernel scheduler based on '
     'current estimated demand and reservation, limit, and shares policies set for all '
     'virtual machines and resource pools in the host or cluster'),
    (215, 'clusterServices', 'vmDrsScore', ('latest',), 'absolute', 'percent', 1, 1,
     'VM DRS Score', 'DRS score of the virtual machine'),
    (216, 'clusterServices', 'cpufairness', ('latest',), 'absolute', 'number', 1, 3,
     'CPU fairness', 'Fairness of distributed CPU resource allocation'),
    (217, 'clusterServices', 'memfairness', ('latest',), 'absolute', 'number', 1, 3,
     'Memory fairness', 'Aggregate available memory resources of all the hosts within a '
     'cluster'),
    (268, 'disk', 'used', ('latest',), 'absolute', 'kiloBytes', 1, 1, 'Space actually used',
     'Amount of space actually used by the virtual machine or the datastore'),
    (269, 'disk', 'provisioned', ('latest',), 'absolute', 'kiloBytes', 1, 1,
     'Space potentially used', 'Amount of storage set aside for use by a datastore or a '
     'virtual machine'),
    (270, 'disk', 'capacity', ('latest',), 'absolute', 'kiloBytes', 1, 3, 'Capacity',
     'Configured size of the datastore'),
    (271, 'disk', 'unshared', ('latest',), 'absolute', 'kiloBytes', 1, 1,
     'Space not shared', 'Amount of space associated exclusively with a virtual machine'),
    (351, 'cpu', 'utilization', ('average',), 'rate', 'percent', 2, 3, 'Utilization',
     'CPU utilization as a percentage during the interval (CPU usage and CPU utilization '
     'might be different due to power management technologies or hyper-threading)'),
    (406, 'cpu', 'coreUtilization', ('average',), 'rate', 'percent', 2, 3,
     'Core Utilization', 'CPU utilization of the corresponding core (if hyper-threading is '
     'enabled) as a percentage during the interval'),
    (409, 'cpu', 'totalCapacity', ('average',), 'absolute', 'megaHertz', 2, 3,
     'Total capacity', 'Total CPU capacity reserved by and available for virtual machines'),
    (410, 'cpu', 'latency', ('average',), 'rate', 'percent', 2, 3, 'Latency',
     'Percent of time the virtual machine is unable to run because it is contending for '
     'access to the physical CPU(s)'),
    (411, 'cpu', 'entitlement', ('latest',), 'absolute', 'megaHertz', 2, 3, 'Entitlement',
     'CPU resources devoted by the ESX scheduler'),
    (412, 'cpu', 'demand', ('average',), 'absolute', 'megaHertz', 2, 3, 'Demand',
     'The amount of CPU resources a virtual machine would use if there were no CPU '
     'contention or CPU limit'),
    (413, 'cpu', 'costop', ('summation',), 'delta', 'millisecond', 2, 3, 'Co-stop',
     'Time the virtual machine is ready to run, but is unable to run due to co-scheduling '
     'constraints'),
    (414, 'cpu', 'maxlimited', ('summation',), 'delta', 'millisecond', 2, 3, 'Max limited',
     'Time the virtual machine is ready to run, but is not run due to maxing out its CPU '
     'limit setting'),
    (415, 'cpu', 'overlap', ('summation',), 'delta', 'millisecond', 3, 3, 'Overlap',
     'Time the virtual machine was interrupted to perform system services on behalf of '
     'itself or other virtual machines'),
    (416, 'cpu', 'run', ('summation',), 'delta', 'millisecond', 2, 3, 'Run',
     'Time the virtual machine is scheduled to run'),
    (418, 'cpu', 'readiness', ('average',), 'rate', 'percent', 4, 4, 'Readiness',
     'Percentage of time that the virtual machine was ready, but could not get scheduled to '
     'run on the physical CPU'),
    (429, 'mem', 'sysUsage', ('average',), 'absolute', 'kiloBytes', 2, 3,
     'VMkernel consumed', 'Amount of host physical memory consumed by VMkernel'),
    (434, 'mem', 'totalCapacity', ('average',), 'absolute', 'megaBytes', 2, 3,
     'Total reservation',
     'Total reservation, available and consumed, for powered-on virtual machines'),
    (437, 'mem', 'latency', ('average',), 'absolute', 'percent', 2, 3, 'Page-fault latency',
     'Percentage of time the virtual machine spent waiting to swap in or decompress guest '
     'physical memory'),
    (438, 'mem', 'entitlement', ('average',), 'absolute', 'kiloBytes', 2, 3, 'Entitlement',
     'Amount of host physical memory the virtual machine deserves, as determined by ESXi'),
    (461, 'disk', 'commands', ('summation',), 'delta', 'number', 2, 3, 'Commands issued',
     'Number of SCSI commands issued during the collection interval'),
    (462, 'disk', 'deviceReadLatency', ('average',), 'absolute', 'millisecond', 2, 3,
     'Physical device read latency',
     'Average amount of time, in milliseconds, to read from the physical device'),
    (466, 'disk', 'deviceWriteLatency', ('average',), 'absolute', 'millisecond', 2, 3,
     'Physical device write latency',
     'Average amount of time, in milliseconds, to write to the physical device'),
    (470, 'disk', 'deviceLatency', ('average',), 'absolute', 'millisecond', 1, 3,
     'Physical device command latency', 'Average amount of time, in milliseconds, to '
     'complete a SCSI command from the physical device'),
    (471, 'disk', 'kernelLatency', ('average',), 'absolute', 'millisecond', 2, 3,
     'Kernel command latency', 'Average amount of time, in milliseconds, spent by VMkernel '
     'to process each SCSI command'),
    (472, 'disk', 'queueLatency', ('average',), 'absolute', 'millisecond', 2, 3,
     'Queue command latency', 'Average amount of time spent in the VMkernel queue, per SCSI '
     'command, during the collection interval'),
    (473, 'disk', 'maxQueueDepth', ('average',), 'absolute', 'number', 1, 3,
     'Maximum queue depth', 'Maximum queue depth'),
    (474, 'disk', 'commandsAveraged', ('average',), 'rate', 'number', 2, 3,
     'Average commands issued per second',
     'Average number of SCSI commands issued per second during the collection interval'),
    (475, 'net', 'droppedRx', ('summation',), 'delta', 'number', 2, 3,
     'Receive packets dropped', 'Number of receives dropped'),
    (476, 'net', 'droppedTx', ('summation',), 'delta', 'number', 2, 3,
     'Transmit packets dropped', 'Number of transmits dropped'),
    (477, 'net', 'bytesRx', ('average',), 'rate', 'kiloBytesPerSecond', 2, 3,
     'Data receive rate', 'Average amount of data received per second'),
    (478, 'net', 'bytesTx', ('average',), 'rate', 'kiloBytesPerSecond', 2, 3,
     'Data transmit rate', 'Average amount of data transmitted per second'),
    (479, 'net', 'broadcastRx', ('summation',), 'delta', 'number', 2, 3,
     'Broadcast receives', 'Number of broadcast packets received during the sampling '
     'interval'),
    (480, 'net', 'broadcastTx', ('summation',), 'delta', 'number', 2, 3,
     'Broadcast transmits', 'Number of broadcast packets transmitted during the sampling '
     'interval'),
    (481, 'net', 'multicastRx', ('summation',), 'delta', 'number', 2, 3,
     'Multicast receives', 'Number of multicast packets received during the sampling '
     'interval'),
    (482, 'net', 'multicastTx', ('summation',), 'delta', 'number', 2, 3,
     'Multicast transmits', 'Number of multicast packets transmitted during the sampling '
     'interval'),
    (483, 'net', 'errorsRx', ('summation',), 'delta', 'number', 2, 3,
     'Packet receive errors', 'Number of packets with errors received during the sampling '
     'interval'),
    (484, 'net', 'errorsTx', ('summation',), 'delta', 'number', 2, 3,
     'Packet transmit errors', 'Number of packets with errors transmitted during the '
     'sampling interval'),
    (485, 'net', 'unknownProtos', ('summation',), 'delta', 'number', 2, 3,
     'Unknown protocol frames', 'Number of frames with unknown protocol received during '
     'the sampling interval'),
    (489, 'sys', 'diskUsage', ('latest',), 'absolute', 'percent', 3, 3, 'Disk usage',
     'Amount of disk space usage for each mount point'),
    (491, 'sys', 'resourceCpuUsage', ('average',), 'rate', 'megaHertz', 3, 3,
     'Resource CPU usage (Average)', 'Amount of CPU used by the Service Console and other '
     'applications during the interval'),
    (513, 'sys', 'osUptime', ('latest',), 'absolute', 'second', 4, 4, 'OS Uptime',
     'Total time elapsed, in seconds, since last operating system boot-up'),
    (516, 'rescpu', 'actpk1', ('latest',), 'absolute', 'percent', 3, 3,
     'Active (1 min peak)', 'CPU active peak over 1 minute'),
    (517, 'rescpu', 'runav1', ('latest',), 'absolute', 'percent', 3, 3,
     'Running (1 min average)', 'CPU running average over 1 minute'),
    (518, 'rescpu', 'actav5', ('latest',), 'absolute', 'percent', 3, 3,
     'Active (5 min average)', 'CPU active average over 5 minutes'),
    (532, 'managementAgent', 'memUsed', ('average',), 'absolute', 'kiloBytes', 3, 3,
     'Memory used', 'Amount of total configured memory that is available for use'),
    (534, 'managementAgent', 'cpuUsage', ('average',), 'rate', 'megaHertz', 3, 3,
     'CPU usage', 'Amount of Service Console CPU usage'),
    (540, 'storagePath', 'totalReadLatency', ('average',), 'absolute', 'millisecond', 3, 3,
     'Read latency', 'The average time a read issued on the storage path takes'),
    (541, 'storagePath', 'totalWriteLatency', ('average',), 'absolute', 'millisecond', 3, 3,
     'Write latency', 'The average time a write issued on the storage path takes'),
    (573, 'gpu', 'utilization', ('average',), 'absolute', 'percent', 4, 4, 'Utilization',
     'The utilization of a GPU in percentages'),
)

# vCenter-only counters: (key, group, name, rollup, statsType, unit, label, summary)
VCENTER_COUNTERS = tuple(
    (key, 'vmop', name, 'latest', 'absolute', 'number', label,
     'Number of virtual machine %s operations' % what)
    for key, name, label, what in (
        (242, 'numPoweron', 'VM power on count', 'power on'),
        (243, 'numPoweroff', 'VM power off count', 'power off'),
        (244, 'numSuspend', 'VM suspend count', 'suspend'),
        (245, 'numReset', 'VM reset count', 'reset'),
        (246, 'numRebootGuest', 'VM guest reboot count', 'guest reboot'),
        (247, 'numStandbyGuest', 'VM standby guest count', 'standby guest'),
        (248, 'numShutdownGuest', 'VM guest shutdown count', 'guest shutdown'),
        (249, 'numCreate', 'VM create count', 'create'),
        (250, 'numDestroy', 'VM delete count', 'delete'),
        (251, 'numRegister', 'VM register count', 'register'),
        (252, 'numUnregister', 'VM unregister count', 'unregister'),
        (253, 'numReconfigure', 'VM reconfigure count', 'reconfigure'),
        (254, 'numClone', 'VM clone count', 'clone'),
        (255, 'numDeploy', 'VM template deploy count', 'template deploy'),
        (256, 'numChangeHost', 'VM host change count (non-powered-on VMs)', 'host change'),
        (257, 'numChangeDS', 'VM datastore change count (non-powered-on VMs)',
         'datastore change'),
        (258, 'numChangeHostDS', 'VM host and datastore change count (non-powered-on VMs)',
         'host and datastore change'),
        (259, 'numVMotion', 'vMotion count', 'vMotion'),
        (260, 'numSVMotion', 'Storage vMotion count', 'Storage vMotion'),
        (261, 'numXVMotion', 'VM host and datastore change count (powered-on VMs)',
         'cross-host and datastore vMotion'))) + (
    (262, 'clusterServices', 'effectivecpu', 'average', 'rate', 'megaHertz',
     'Effective CPU resources', 'Total available CPU resources of all hosts within a cluster'),
    (263, 'clusterServices', 'effectivemem', 'average', 'absolute', 'megaBytes',
     'Effective memory resources', 'Total amount of machine memory of all hosts in the '
     'cluster that is available for use for virtual machine memory and overhead memory'),
    (264, 'cpu', 'totalmhz', 'average', 'rate', 'megaHertz', 'Total',
     'Total amount of CPU resources of all hosts in the cluster'),
    (265, 'mem', 'totalmb', 'average', 'absolute', 'megaBytes', 'Total',
     'Total amount of host physical memory of all hosts in the cluster that is available '
     'for virtual machine memory and virtual machine overhead memory'),
    (266, 'clusterServices', 'clusterDrsScore', 'latest', 'absolute', 'percent', 'DRS Score',
     'DRS score of the cluster'),
    (267, 'clusterServices', 'failover', 'latest', 'absolute', 'number',
     'Current failover level', 'vSphere HA number of failures that can be tolerated'),
)

INTERVALS = ((1, 300, 'Past day', 86400), (2, 1800, 'Past week', 604800),
             (3, 7200, 'Past month', 2592000), (4, 86400, 'Past year', 31536000))
# what UpdatePerfInterval may set, per interval key: (sampling periods, lengths),
# as vCenter's statistics settings offer them
INTERVAL_CHOICES = {
    1: ((60, 120, 180, 240, 300), (86400, 172800, 259200, 345600, 432000)),
    2: ((1800,), (604800,)),
    3: ((7200,), (2592000,)),
    4: ((86400,), tuple(365 * 86400 * years for years in (1, 2, 3, 4, 5)))}
ROLLUP_READS = 15        # 20 s samples a historical sample reads at most


def perf_counters(schema, esx=False):
    T = schema.types
    Info = T['PerfCounterInfo'].cls
    out = []

    def add(key, group, name, rollup, stats, unit, level, per_device, label, summary):
        unit_label, unit_summary = UNITS[unit]
        out.append(Info(
            key=key, nameInfo=element(schema, name, label, summary),
            groupInfo=element(schema, group, GROUPS[group], GROUPS[group]),
            unitInfo=element(schema, unit, unit_label, unit_summary),
            rollupType=rollup, statsType=stats, level=level, perDeviceLevel=per_device))

    for key, group, name, rollups, stats, unit, level, per_device, label, summary in COUNTERS:
        if rollups == ROLLUPS:
            for offset, rollup in enumerate(ROLLUPS):
                if rollup == 'average':
                    add(key + offset, group, name, rollup, stats, unit, level, per_device,
                        label, summary)
                else:
                    add(key + offset, group, name, rollup, stats, unit, 4, 4, label, summary)
        else:
            add(key, group, name, rollups[0], stats, unit, level, per_device, label, summary)
    if not esx:
        for key, group, name, rollup, stats, unit, label, summary in VCENTER_COUNTERS:
            add(key, group, name, rollup, stats, unit, 1, 3, label, summary)
    out.sort(key=lambda c: c.key)
    return out


@manager_type('PerformanceManager')
class PerformanceManager(Manager):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        schema = server.schema
        T = schema.types
        self.description = T['PerformanceDescription'].cls(
            counterType=[element(schema, k, l, s) for k, l, s in (
                ('average', 'Average', 'The average performance counter value is collected'),
                ('maximum', 'Maximum', 'The maximum performance counter value is collected'),
                ('minimum', 'Minimum', 'The minimum performance counter value is collected'),
                ('latest', 'Latest', 'The latest performance counter value is collected'),
                ('summation', 'Summation',
                 'The summation performance counter value is collected'),
                ('none', 'None', 'No rollup performed'))],
            statsType=[element(schema, k, l, s) for k, l, s in (
                ('absolute', 'Absolute', 'Absolute statistic collection'),
                ('delta', 'Delta', 'Delta statistic collection'),
                ('rate', 'Rate', 'Rate statistic collection'))])
        Interval = T['PerfInterval'].cls
        if server.esx:
            # A standalone host keeps one day of 5-minute samples.
            self.historicalInterval = [Interval(key=1, samplingPeriod=300, name='PastDay',
                                                length=86400, level=1, enabled=True)]
        else:
            self.historicalInterval = [
                Interval(key=key, samplingPeriod=period, name=name, length=length, level=1,
                         enabled=True) for key, period, name, length in INTERVALS]
        server.performance_manager = self
        self._map, self._map_of = None, None

    def _cls(self, name):
        return self.server.schema.types[name].cls

    @functools.cached_property
    def perfCounter(self):
        """The counter catalog, made on first use (a start or reset reads no counter)."""
        return perf_counters(self.server.schema, self.server.esx)

    @functools.cached_property
    def _defaults(self):
        """{counter key: (level, perDeviceLevel)} as the catalog starts, for
        ResetCounterLevelMapping."""
        return {c.key: (c.level, c.perDeviceLevel)
                for c in perf_counters(self.server.schema, self.server.esx)}

    # -- the catalog -----------------------------------------------------------------
    def counter_map(self):
        """{key: PerfCounterInfo}, built again only when a level changed."""
        if self._map_of is not self.perfCounter:
            self._map = {counter.key: counter for counter in self.perfCounter}
            self._map_of = self.perfCounter
        return self._map

    def QueryPerfCounter(self, ctx, counterId):
        counters = self.counter_map()
        unknown = [key for key in counterId if key not in counters]
        if unknown:
            raise InvalidArgument('counterId')
        return [counters[key] for key in counterId]

    def QueryPerfCounterByLevel(self, ctx, level):
        """The counters collected at `level`: those of that level or below."""
        if not 1 <= level <= 4:
            raise InvalidArgument('level')
        return [counter for counter in self.perfCounter if counter.level <= level]

    def UpdateCounterLevelMapping(self, ctx, counterLevelMap):
        """Set the levels counters are collected at; all or nothing."""
        counters = self.counter_map()
        for mapping in counterLevelMap:
            if mapping.counterId not in counters:
                raise InvalidArgument('counterLevelMap.counterId')
            for level in (mapping.aggregateLevel, mapping.perDeviceLevel):
                if level is not None and not 1 <= level <= 4:
                    raise InvalidArgument('counterLevelMap.aggregateLevel'
                                          if level == mapping.aggregateLevel
                                          else 'counterLevelMap.perDeviceLevel')
        for mapping in counterLevelMap:
            counter = counters[mapping.counterId]
            self._set_levels(counter, mapping.aggregateLevel, mapping.perDeviceLevel)

    def ResetCounterLevelMapping(self, ctx, counters):
        known = self.counter_map()
        if any(key not in known for key in counters):
            raise InvalidArgument('counters')
        for key in counters:
            self._set_levels(known[key], *self._defaults[key])

    def _set_levels(self, counter, level, per_device):
        """Replace a counter's entry (entries handed out stay as they were)."""
        changed = copy.copy(counter)
        if level is not None:
            changed.level = level
        if per_device is not None:
            changed.perDeviceLevel = per_device
        self.perfCounter = [changed if c is counter else c for c in self.perfCounter]
        self.changed('perfCounter')

    # -- historical intervals -------------------------------------------------------
    def CreatePerfInterval(self, ctx, intervalId):
        raise fault('NotSupported', 'Historical intervals cannot be created; '
                                    'update the existing ones instead.')

    def RemovePerfInterval(self, ctx, samplePeriod):
        raise fault('NotSupported', 'Historical intervals cannot be removed; '
                                    'disable them instead.')

    def UpdatePerfInterval(self, ctx, interval):
        """Change a historical interval as vCenter's statistics settings do:
        its sampling period and length among the offered ones, its level no
        higher than the shorter interval's and no lower than the longer's,
        enabled only after the shorter one (disabling it disables longer
        ones)."""
        if self.server.esx:
            raise fault('NotSupported', 'The host keeps its one interval.')
        intervals = self.historicalInterval
        position = next((n for n, i in enumerate(intervals) if i.key == interval.key), None)
        if position is None:
            raise InvalidArgument('interval.key')
        periods, lengths = INTERVAL_CHOICES[interval.key]
        if interval.samplingPeriod not in periods:
            raise InvalidArgument('interval.samplingPeriod')
        if interval.length not in lengths:
            raise InvalidArgument('interval.length')
        if interval.level is None or not 1 <= interval.level <= 4:
            raise InvalidArgument('interval.level')
        shorter = intervals[position - 1] if position else None
        longer = intervals[position + 1] if position + 1 < len(intervals) else None
        if shorter is not None and interval.level > shorter.level:
            raise InvalidArgument('interval.level')
        if longer is not None and longer.enabled and interval.level < longer.level:
            raise InvalidArgument('interval.level')
        enabled = bool(interval.enabled)
        if enabled and shorter is not None and not shorter.enabled:
            raise InvalidArgument('interval.enabled')
        updated = []
        for n, current in enumerate(intervals):
            if n == position:
                current = self._cls('PerfInterval')(
                    key=current.key, samplingPeriod=interval.samplingPeriod,
                    name=interval.name or current.name, length=interval.length,
                    level=interval.level, enabled=enabled)
            elif n > position and not enabled and current.enabled:
                current = copy.copy(current)
                current.enabled = False
            updated.append(current)
        self.historicalInterval = updated
        self.changed('historicalInterval')

    # -- what entities offer -------------------------------------------------------
    def _entity(self, ref, argument='entity'):
        entity = self.server.objects.resolve(ref)
        if perf_metrics.provider(entity) is None:
            raise InvalidArgument(argument)
        return entity

    def QueryPerfProviderSummary(self, ctx, entity):
        provider = perf_metrics.provider(self._entity(entity))
        realtime = provider[2]
        return self._cls('PerfProviderSummary')(
            entity=entity, currentSupported=realtime,
            summarySupported=not self.server.esx or realtime,
            refreshRate=perf_metrics.REALTIME if realtime else -1)

    def _interval(self, entity, interval_id, argument):
        """(sampling period, samples kept, level or None for all) of the
        interval `interval_id` names for `entity` (None: its finest)."""
        realtime = perf_metrics.provider(entity)[2]
        if interval_id is None:
            interval_id = perf_metrics.REALTIME if realtime else None
        if interval_id == perf_metrics.REALTIME and realtime:
            return perf_metrics.REALTIME, perf_metrics.REALTIME_SECONDS, None
        for interval in self.historicalInterval:
            if interval.enabled and (interval.samplingPeriod == interval_id
                                     or interval_id is None):
                return interval.samplingPeriod, interval.length, interval.level
        raise InvalidArgument(argument)

    def _available(self, entity, level):
        """[(counter, instance)] an entity reports at a collection level
        (None: every counter, as in real time)."""
        names = perf_metrics.names(entity)
        instances = perf_metrics.provider(entity)[1]
        devices = instances(entity) if instances else ()
        out = []
        for counter in self.perfCounter:
            name = '%s.%s' % (counter.groupInfo.key, counter.nameInfo.key)
            if name not in names:
                continue
            if level is None or counter.level <= level:
                out.append((counter, ''))
            if devices and name in perf_metrics.PER_DEVICE and (
                    level is None or counter.perDeviceLevel <= level):
                out.extend((counter, device) for device in devices)
        return out

    def QueryAvailablePerfMetric(self, ctx, entity, beginTime=None, endTime=None,
                                 intervalId=None):
        target = self._entity(entity)
        _, _, level = self._interval(target, intervalId, 'intervalId')
        MetricId = self._cls('PerfMetricId')
        return [MetricId(counterId=counter.key, instance=instance)
                for counter, instance in self._available(target, level)]

    # -- statistics -----------------------------------------------------------------
    def QueryPerf(self, ctx, querySpec):
        plans = [self._plan(spec, 'querySpec') for spec in querySpec]
        return [self._answer(*plan) for plan in plans]

    def QueryPerfComposite(self, ctx, querySpec):
        """A host's statistics and its VMs' (the host's children), for one
        spec; vCenter answers this for hosts only."""
        host = self._entity(querySpec.entity, 'querySpec.entity')
        if host.type_name != 'HostSystem':
            raise InvalidArgument('querySpec.entity')
        plan = self._plan(querySpec, 'querySpec')
        children = []
        for vm in host.vms:
            child = copy.copy(querySpec)
            child.entity = vm.ref
            children.append(self._answer(*self._plan(child, 'querySpec')))
        return self._cls('PerfCompositeMetric')(entity=self._answer(*plan), childEntity=children)

    def _plan(self, spec, argument):
        """Check one PerfQuerySpec: (entity, format, sample ends, period,
        [(counter, instance)])."""
        entity = self._entity(spec.entity, argument + '.entity')
        period, kept, level = self._interval(entity, spec.intervalId, argument + '.intervalId')
        if spec.format not in (None, 'normal', 'csv'):
            raise InvalidArgument(argument + '.format')
        if spec.maxSample is not None and spec.maxSample < 1:
            raise InvalidArgument(argument + '.maxSample')
        available = self._available(entity, level)
        if spec.metricId:
            counters = self.counter_map()
            wanted = []
            for metric in spec.metricId:
                if metric.counterId not in counters:
                    raise InvalidArgument(argument + '.metricId.counterId')
                wanted.append((metric.counterId, metric.instance or ''))
            metrics = [(counter, instance) for counter, instance in available
                       if any(key == counter.key and (want in ('*', instance))
                              for key, want in wanted)]
        else:
            metrics = [m for m in available if m[1] == '']
        return entity, spec.format or 'normal', self._sample_ends(
            entity, spec, period, kept), period, metrics

    def _sample_ends(self, entity, spec, period, kept):
        """The end times (seconds) of the samples a spec asks for, oldest first."""
        newest = (latest_index() + 1) * SAMPLE_SECONDS
        newest -= newest % period
        oldest = newest - kept + period
        if spec.startTime is not None:   # exclusive
            start = _seconds(spec.startTime)
            oldest = max(oldest, start - start % period + period)
        if spec.endTime is not None:     # inclusive
            end = _seconds(spec.endTime)
            newest = min(newest, end - end % period)
        if newest < oldest:
            return []
        count = (newest - oldest) // period + 1
        if spec.maxSample is not None and spec.startTime is None:
            count = min(count, spec.maxSample)   # maxSample counts back from the newest
        return [newest - period * n for n in range(count - 1, -1, -1)]

    def _answer(self, entity, form, ends, period, metrics):
        values_of, _, _ = perf_metrics.provider(entity)
        model = load_model(self.server)
        reads = min(ROLLUP_READS, period // SAMPLE_SECONDS)
        step = period // SAMPLE_SECONDS // reads
        series = [[] for _ in metrics]
        for end in ends:
            last = end // SAMPLE_SECONDS - 1
            samples = [values_of(model, entity, last - step * n) for n in range(reads)]
            for out, (counter, instance) in zip(series, metrics):
                out.append(_rollup(counter, instance, samples, entity, period))
        T = self._cls
        MetricId = T('PerfMetricId')
        ids = [MetricId(counterId=counter.key, instance=instance)
               for counter, instance in metrics]
        if form == 'csv':
            return T('PerfEntityMetricCSV')(
                entity=entity.ref,
                sampleInfoCSV=','.join('%d,%s' % (period, _timestamp(end)) for end in ends),
                value=[T('PerfMetricSeriesCSV')(id=metric_id, value=','.join(map(str, values)))
                       for metric_id, values in zip(ids, series)])
        return T('PerfEntityMetric')(
            entity=entity.ref,
            sampleInfo=[T('PerfSampleInfo')(timestamp=_datetime(end), interval=period)
                        for end in ends],
            value=[T('PerfMetricIntSeries')(id=metric_id, value=values)
                   for metric_id, values in zip(ids, series)])


def counters_of(server):
    """{key: PerfCounterInfo} of a simulator's counters now."""
    return server.performance_manager.counter_map()


def _rollup(counter, instance, samples, entity, period):
    """A counter's value over the samples read (newest first) of one period."""
    name = '%s.%s' % (counter.groupInfo.key, counter.nameInfo.key)
    values = [sample[name] for sample in samples]
    if instance:
        devices = perf_metrics.provider(entity)[1](entity)
        if name in perf_metrics.SPLIT:
            values = [v // len(devices) for v in values]
    rollup = counter.rollupType
    if rollup == 'latest':
        return values[0]
    if rollup == 'maximum':
        return max(values)
    if rollup == 'minimum':
        return min(values)
    mean = sum(values) / len(values)
    if rollup == 'summation':
        return round(mean * period / SAMPLE_SECONDS)
    return round(mean)


def _seconds(moment):
    return clock.microseconds_of(moment) // 1000000


def _datetime(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc)


def _timestamp(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
