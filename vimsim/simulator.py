"""The Simulator: one simulated vCenter (or ESXi host) and its inventory.

It owns the schema, the registry of managed objects and the SOAP endpoint;
the HTTP front (vimsim.server) hands it POST /sdk requests. With -state DIR it
also owns the journal its state survives in (vimsim/state).
"""
import contextlib
import uuid

from twisted.internet import reactor, task

from vimsim import clock, schema as schema_module
from vimsim.inventory import build_inventory, recording
from vimsim.managed.base import Registry
from vimsim.managed.catalog import build_managers
from vimsim.managed.service.property_collector import PropertyCollector
from vimsim.managed.service.service_instance import (ESX_MANAGERS, VCENTER_MANAGERS,
                                                     ServiceInstance, about_info)
from vimsim.managed.service.session_manager import SessionManager
from vimsim.managed.service.updates import ChangeHub
from vimsim.managed.service.view import ViewManager
from vimsim.rest.tagging_model import Tagging
from vimsim.server.endpoint import SoapEndpoint
from vimsim.state.persistence import Persistence


class Simulator:
    def __init__(self, options):
        self.options = options
        self.schema = schema_module.load()
        self.versions = list(self.schema.versions)
        # -load DIR: a recorded vCenter (or host), served at its recorded API version
        self.recording = recording.read(options.load, self.schema) if options.load else None
        self.api_version = (options.api_version
                            or (self.recording and self.recording.api_version(self.schema))
                            or self.schema.version_name(self.schema.newest))
        self.schema.version(self.api_version)  # KeyError for an unknown version
        self.wsdl_dir = schema_module.default_wsdl_dir()
        self.esx = bool(options.esx) or bool(self.recording and self.recording.esx)
        self.changes = ChangeHub()
        self.objects = Registry(self.changes)
        self._uuid_seed = uuid.UUID('5c0ffee0-0000-4000-8000-000000000000')
        self._uuid_counter = 0
        self._esx_vm_counter = 0
        self.persistence = None
        self.time = ModelTime(self)
        self.started = clock.now()      # the appliance's install time (vimsim/rest/appliance.py)
        self.tagging = Tagging(self)    # the vAPI tagging service's categories, tags, attachments
        if options.state:   # -state DIR: the journal, replayed once the inventory is built
            self.persistence = Persistence(self, options.state)
        with self.persistence.genesis() if self.persistence else contextlib.nullcontext():
            self.service_instance = self._build_service()
        self._session_reaper = task.LoopingCall(self.session_manager.expire_idle)
        self._session_reaper.start(min(60, self.options.session_timeout), now=False)
        self.endpoint = SoapEndpoint(self)
        if self.persistence is not None:
            self.persistence.replay()

    def new_vm_moid(self):
        """The moid of a new VM: 'vm-N' on a vCenter; on ESXi a plain number,
        counting from 1, as hostd numbers its VMs."""
        if self.esx:
            self._esx_vm_counter += 1
            return str(self._esx_vm_counter)
        return self.objects.next_id('vm-')

    def new_uuid(self):
        """A fresh UUID, deterministic for a given start (same flags, same ids)."""
        self._uuid_counter += 1
        return str(uuid.uuid5(self._uuid_seed, str(self._uuid_counter)))

    def _build_service(self):
        if self.recording is not None:
            return recording.build(self, self.recording)
        types = self.schema.types
        managers = ESX_MANAGERS if self.esx else VCENTER_MANAGERS
        content = {}
        self.property_collector = PropertyCollector(
            self, 'ha-property-collector' if self.esx else 'propertyCollector')
        content['propertyCollector'] = self.property_collector.ref
        self.session_manager = SessionManager(
            self, 'ha-sessionmgr' if self.esx else 'SessionManager',
            username=self.options.username or None, password=self.options.password or None,
            idle_timeout=self.options.session_timeout)
        content['sessionManager'] = self.session_manager.ref
        self.view_manager = ViewManager(self, 'ViewManager')
        content['viewManager'] = self.view_manager.ref
        self.managers = build_managers(self, managers)
        for field_name, manager in self.managers.items():
            content[field_name] = manager.ref
        self.root_folder = build_inventory(self)
        content['rootFolder'] = self.root_folder.ref
        content['about'] = about_info(self.schema, self.api_version, self.esx,
                                      None if self.esx else self.new_uuid())
        return ServiceInstance(self, types['ServiceContent'].cls(**content))

    def handle_soap(self, request):
        response = self.endpoint.handle(request)
        if self.persistence is not None:   # -state: nothing is answered before it is durable
            return self.persistence.acknowledge(response)
        return response


class ModelTime:
    """The model's time, as Twisted's IReactorTime: `seconds` is the model
    clock (vimsim/clock.py) and `callLater` sets a model timer (a task's
    steps, a guest's delayed shutdown, the task sweep). With -state a timer's
    firing is journaled, so that a restart replays it where it fired."""

    def __init__(self, simulator):
        self.simulator = simulator

    @staticmethod
    def seconds():
        return clock.seconds()

    def callLater(self, delay, function, *args):
        persistence = self.simulator.persistence
        if persistence is not None:
            return persistence.later(delay, function, *args)
        return reactor.callLater(delay, function, *args)
