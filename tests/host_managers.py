"""Fixtures and helpers the host configuration manager tests share: a
simulator of the module's own (they change hosts), a second session to
watch from, and a host by name."""
import pytest
from pyVmomi import vim

from tests.conftest import _simulator, all_of


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False)




def host_named(si, name='DC0_C0_H0'):
    return next(h for h in all_of(si, vim.HostSystem) if h.name == name)
