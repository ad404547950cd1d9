"""com.vmware.appliance: what scripts poll to see that a vCenter is up: its
version (from the simulator's AboutInfo, the same the /sdk reports) and its
overall health (green: nothing in the simulation degrades it)."""
from vimsim import clock
from vimsim.rest.service import Service
from vimsim.rest.types import DateTime, Enum, Optional, String, Struct

__all__ = ['version', 'health']

VERSION = Struct('com.vmware.appliance.system.version.version_struct', {
    'version': String, 'product': String, 'build': String, 'type': String,
    'summary': String, 'releasedate': String, 'install_time': String,
    'name': Optional(String)})
HEALTH_LEVEL = Enum('com.vmware.appliance.health.system.health_level',
                    ('orange', 'gray', 'green', 'red', 'yellow'))

version = Service('com.vmware.appliance.system.version', '/appliance/system/version')
health = Service('com.vmware.appliance.health.system', '/appliance/health/system')


@version.operation('get', 'GET', output=VERSION)
def get_version(call):
    about = call.server.service_instance.content.about
    return {'version': about.version + '.00000', 'product': about.name, 'build': about.build,
            'type': 'vCenter Server with an embedded Platform Services Controller',
            'summary': 'VMware vCenter Server %s' % about.version,
            'releasedate': '', 'install_time': DateTime.to_rest(call.server.install_time, False),
            'name': about.name}


@health.operation('get', 'GET', output=HEALTH_LEVEL)
def get_health(call):
    return 'green'


@health.operation('lastcheck', 'GET', '/lastcheck', output=DateTime)
def last_check(call):
    """Health is known at every moment: the last check is now."""
    return clock.now()
