"""The license editions a simulated vCenter knows, and how a key decodes.

A real key encodes its product, edition and capacity in a way only VMware's
license service reads. vimsim decodes a well-formed key (five groups of five
letters and digits) deterministically: a digest of the key picks one of
the editions below and a capacity, so the same key always is the same
license. The evaluation key, all zeros, is the 60-day evaluation license that
grants every feature.
"""
import hashlib
import re

EVAL_KEY = '00000-00000-00000-00000-00000'
KEY_FORM = re.compile(r'^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$')

# (product, edition key, name, cost unit, feature keys) of the editions keys decode to
EDITIONS = (
    ('vc', 'vc.standard.instance', 'VMware vCenter Server 8 Standard', 'server',
     ('vc', 'vcha', 'vclinkedmode')),
    ('vc', 'vc.foundation.instance', 'VMware vCenter Server 8 Foundation', 'server',
     ('vc',)),
    ('esx', 'esx.enterprisePlus.cpuPackage', 'VMware vSphere 8 Enterprise Plus', 'cpuPackage',
     ('dvs', 'drs', 'das', 'vmotion', 'svmotion', 'ft', 'serialuri:2', 'vsmp:128')),
    ('esx', 'esx.standard.cpuPackage', 'VMware vSphere 8 Standard', 'cpuPackage',
     ('das', 'vmotion', 'svmotion', 'vsmp:8')),
    ('esx', 'esx.vsphere8Essentials.cpuPackage', 'VMware vSphere 8 Essentials Plus', 'cpuPackage',
     ('das', 'vmotion', 'vsmp:8')),
    ('vsan', 'vsan.enterprise.cpuPackage', 'VMware vSAN 8 Enterprise', 'cpuPackage',
     ('vsan', 'vsan.stretched')),
)

# what each kind of licensed entity takes: product, and the cost unit's count
PRODUCT_OF = {'vcenter': 'vc', 'HostSystem': 'esx', 'ClusterComputeResource': 'vsan'}

FEATURES = {
    'vc': 'vCenter Server', 'vcha': 'vCenter Server High Availability',
    'vclinkedmode': 'Enhanced Linked Mode',
    'dvs': 'vSphere Distributed Switch', 'drs': 'vSphere DRS', 'das': 'vSphere HA',
    'vmotion': 'vSphere vMotion', 'svmotion': 'vSphere Storage vMotion',
    'ft': 'vSphere Fault Tolerance', 'serialuri:2': 'Remote virtual Serial Port Concentrator',
    'vsmp:128': 'Up to 128-way virtual SMP', 'vsmp:8': 'Up to 8-way virtual SMP',
    'vsan': 'vSAN', 'vsan.stretched': 'vSAN stretched cluster',
}

# the evaluation license's features (vCenter's; a host's lack 'vc')
EVAL_FEATURES = ('vc', 'dvs', 'drs', 'das', 'vmotion', 'svmotion', 'ft', 'serialuri:2',
                 'vsmp:128')


def decode(key):
    """(product, edition key, name, cost unit, feature keys, capacity) of a
    well-formed key that is not the evaluation key; None for a malformed one."""
    if not KEY_FORM.match(key or '') or key == EVAL_KEY:
        return None
    digest = hashlib.sha256(key.encode()).digest()
    product, edition, name, unit, features = EDITIONS[digest[0] % len(EDITIONS)]
    capacity = 1 + digest[1] % 16 if unit == 'server' else 2 * (1 + digest[1] % 32)
    return product, edition, name, unit, features, capacity
