"""LicenseManager (and vCenter's LicenseAssignmentManager): evaluation mode.

A fresh vCenter or host runs on the evaluation license
`00000-00000-00000-00000-00000` (60 days), which enables every feature.
"""
from datetime import timedelta

from vimsim import clock
from vimsim.managed.manager import Manager, manager_type

EVAL_KEY = '00000-00000-00000-00000-00000'
EVAL_HOURS = 60 * 24

# (key, name, costUnit) of the features the evaluation license grants.
VCENTER_FEATURES = (
    ('vc', 'vCenter Server', 'server'),
    ('dvs', 'vSphere Distributed Switch', 'cpuPackage'),
    ('drs', 'vSphere DRS', 'cpuPackage'),
    ('das', 'vSphere HA', 'cpuPackage'),
    ('vmotion', 'vSphere vMotion', 'cpuPackage'),
    ('svmotion', 'vSphere Storage vMotion', 'cpuPackage'),
    ('ft', 'vSphere Fault Tolerance', 'cpuPackage'),
    ('serialuri:2', 'Remote virtual Serial Port Concentrator', 'cpuPackage'),
    ('vsmp:128', 'Up to 128-way virtual SMP', 'cpuPackage'),
)
ESX_FEATURES = VCENTER_FEATURES[1:]


class _Licensing(Manager):
    """Shared shape of the evaluation license."""

    def _eval_license(self, T, product_name, product_version, features):
        KeyAnyValue, KeyValue = T['KeyAnyValue'].cls, T['KeyValue'].cls
        properties = [KeyAnyValue(key='feature', value=KeyValue(key=key, value=name))
                      for key, name, _ in features]
        properties += [KeyAnyValue(key='ProductName', value=product_name),
                       KeyAnyValue(key='ProductVersion', value=product_version)]
        return T['LicenseManagerLicenseInfo'].cls(
            licenseKey=EVAL_KEY, editionKey='eval', name='Evaluation Mode', total=0,
            costUnit='', properties=properties, labels=[])


@manager_type('LicenseManager')
class LicenseManager(_Licensing):

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        T = server.schema.types
        KeyAnyValue = T['KeyAnyValue'].cls
        esx = server.esx
        major = server.api_version.split('.')[0] + '.0'
        features = ESX_FEATURES if esx else VCENTER_FEATURES
        product = 'VMware ESX Server' if esx else 'VMware VirtualCenter Server'
        self.source = T['EvaluationLicenseSource'].cls(remainingHours=EVAL_HOURS)
        self.sourceAvailable = True
        self.licensedEdition = ''
        self.licenses = [self._eval_license(T, product, major, features)]
        self.featureInfo = [T['LicenseFeatureInfo'].cls(
            key=key, featureName=name, featureDescription=name, state='enabled',
            costUnit=unit, edition=False) for key, name, unit in features]
        expires = clock.now().replace(microsecond=0) + timedelta(
            hours=EVAL_HOURS)
        self.evaluation = T['LicenseManagerEvaluationInfo'].cls(properties=[
            KeyAnyValue(key='expirationHours', value=EVAL_HOURS),
            KeyAnyValue(key='expirationMinutes', value=EVAL_HOURS * 60),
            KeyAnyValue(key='expirationDate', value=expires),
            KeyAnyValue(key='diagnostic', value=''),
        ])
        self.diagnostics = None
        if esx:
            self.licenseAssignmentManager = None
        else:
            self.assignment_manager = LicenseAssignmentManager(
                server, 'LicenseAssignmentManager', 'LicenseAssignmentManager')
            self.licenseAssignmentManager = self.assignment_manager.ref


class LicenseAssignmentManager(Manager):
    """vCenter's per-entity license assignments (no properties of its own)."""

    def __init__(self, server, type_name='LicenseAssignmentManager',
                 moid='LicenseAssignmentManager'):
        super().__init__(server, type_name, moid)
