"""The Simulator: one simulated vCenter (or ESXi host) and its inventory.

It owns the schema, the registry of managed objects and the SOAP endpoint;
the HTTP front (vimsim.server) hands it POST /sdk requests. With -state DIR it
also owns the journal its state survives in (vimsim/state).
"""
import contextlib
import heapq
import itertools
import logging
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
from vimsim.server.endpoint import SoapEndpoint
from vimsim.state.persistence import Persistence

log = logging.getLogger(__name__)


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
    steps, a guest's delayed shutdown, the task sweep, scheduled tasks and
    alarm checks). With -state a timer's firing is journaled, so that a
    restart replays it where it fired. `advance` lets simulated time pass at
    once: the timers due meanwhile fire in order, each at its own time."""

    def __init__(self, simulator):
        self.simulator = simulator
        self._timers = []    # heap of (due microseconds, number, DelayedCall, function, args)
        self._numbers = itertools.count()

    @staticmethod
    def seconds():
        return clock.seconds()

    def callLater(self, delay, function, *args):
        persistence = self.simulator.persistence
        if persistence is not None:
            return persistence.later(delay, function, *args)
        if len(self._timers) > 1000:   # drop the timers that fired or were cancelled
            self._timers = [timer for timer in self._timers if timer[2].active()]
            heapq.heapify(self._timers)
        timer = ModelTimer(clock.microseconds() + round(delay * 1e6),
                           reactor.callLater(delay, function, *args))
        heapq.heappush(self._timers, (timer.due, next(self._numbers), timer, function, args))
        return timer

    def advance(self, seconds):
        """Let `seconds` of model time pass now. Refused with -state: the
        journal would have to record the jump for a replay to follow it."""
        if self.simulator.persistence is not None:
            raise ValueError('time cannot be advanced with -state')
        if seconds < 0:
            raise ValueError('time never goes back')
        target = clock.microseconds() + round(seconds * 1e6)
        while self._timers and self._timers[0][0] <= target:
            due, _, timer, function, args = heapq.heappop(self._timers)
            if not timer.active():
                continue
            timer.cancel()
            clock.advance(max(0, due - clock.microseconds()))
            try:
                function(*args)
            except Exception:   # as the reactor would: logged, the others still fire
                log.exception('model timer %r failed', function)
        clock.advance(max(0, target - clock.microseconds()))
        for timer in self._timers:   # the reactor's delays follow the clock
            timer[2].follow_clock()

    def take_back(self, microseconds):
        """Undo advances for a test: the clock and this simulator's timers go
        back together, so what was due in a minute still is (the heap keeps
        its order: every entry moves by the same)."""
        clock.take_back(microseconds)
        self._timers = [(due - microseconds, number, timer, function, args)
                        for due, number, timer, function, args in self._timers]
        for entry in self._timers:
            entry[2].due -= microseconds


class ModelTimer:
    """A model timer: the reactor's DelayedCall, answering `getTime` in model
    time (as -state's PendingStep does), so deadlines compare with
    `ModelTime.seconds` however far time was advanced."""
    __slots__ = ('due', 'call')

    def __init__(self, due, call):
        self.due = due      # microseconds, model time
        self.call = call

    def active(self):
        return self.call.active()

    def cancel(self):
        self.call.cancel()

    def getTime(self):
        return self.due / 1e6

    def follow_clock(self):
        if self.call.active():
            self.call.reset(max(0, self.due - clock.microseconds()) / 1e6)
