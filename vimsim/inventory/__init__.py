"""Builders of the default inventories, made directly through the model."""
from vimsim.managed.entity import Datacenter, Folder


def build_inventory(server):
    """Build the inventory the options ask for; return the root folder."""
    options = server.options
    if server.esx:
        root = Folder(server, 'ha-folder-root', 'ha-folder-root', None,
                      ('Datacenter',))
        root.add_child(Datacenter(server, 'ha-datacenter', 'ha-datacenter', root))
        return root
    root = Folder(server, 'group-d1', 'Datacenters', None, ('Folder', 'Datacenter'))
    for index in range(options.dc):
        root.add_child(Datacenter(server, server.objects.next_id('datacenter-'),
                                  'DC%d' % index, root))
    return root
