"""The managed-object model: the objects behind every MoRef the server hands
out, with their properties and the methods clients call on them.

One package per area of the API, one module per managed type or close
family, named after the type (host/date_time_system.py holds
HostDateTimeSystem). The parts are layered: listed bottom up, each imports
only parts listed before it (tests/test_layout.py checks it; docs/DESIGN.md
says why):

    base, paths, vmodl_names, manager   the object machinery
    monitoring   tasks, events, history collectors, alarms, performance,
                 scheduled tasks
    admin        authorization, users, licenses, options, extensions, custom
                 fields, profiles, crypto, vCenter HA
    service      service instance, sessions, property collector and updates,
                 views, search index, service and localization managers
    entity       ManagedEntity, the base of every inventory type
    storage      datastores, the datastore browser, OVF
    network      standard and opaque networks, distributed switches and
                 portgroups
    vm           virtual machines, provisioning, snapshots, customization
                 specs, guest operations
    host         hosts and their configuration managers
    inventory    folders, datacenters, compute resources and clusters,
                 resource pools, vApps, storage pods
    catalog      which classes serve each managed type; ServiceContent's
                 managers
    coverage     which methods of each managed type are implemented (GET
                 /about, docs/COVERAGE.md)
"""
