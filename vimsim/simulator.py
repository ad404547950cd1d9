"""The Simulator: one simulated vCenter (or ESXi host) and its inventory.

It owns the schema, the registry of managed objects and the SOAP endpoint;
the HTTP front (vimsim.server) hands it POST /sdk requests. With -state DIR it
also owns the journal its state survives in (vimsim/state).

What the model builds (the registry, the change hub, the inventory, every
manager and whatever model code hangs on the simulator) is the model; the
rest (options, schema, journal, clock) is the frame that a `reset` keeps.
"""
import collections
import contextlib
import functools
import heapq
import itertools
import logging
import os
import time
import uuid
import weakref

from twisted.internet import reactor, task

from vimsim import clock, schema as schema_module
from vimsim.inventory import build_inventory
from vimsim.managed.base import Registry
from vimsim.managed.catalog import Managers, build_managers, host_manager_class
from vimsim.managed.service.heap_trim import heap_trim
from vimsim.managed.service.property_collector import PropertyCollector
from vimsim.managed.service.service_instance import (ESX_MANAGERS, VCENTER_MANAGERS,
                                                     ServiceInstance, about_info)
from vimsim.managed.service.session_manager import SessionManager
from vimsim.managed.service.steps import freezing
from vimsim.managed.service.updates import ChangeHub
from vimsim.managed.service.view import ViewManager
from vimsim.server.endpoint import SoapEndpoint
from vimsim.server.reactor_probe import ReactorProbe

log = logging.getLogger(__name__)


class Simulator:
    # the class of a host's configuration manager by managed type: the
    # catalog's, lent to the model (HostManagers) that may not import it
    host_manager_class = staticmethod(host_manager_class)

    def __init__(self, options):
        self.options = options
        self.schema = schema_module.load()
        self.versions = list(self.schema.versions)
        # -load DIR: a recorded vCenter (or host), served at its recorded API version
        self.recording = None
        if options.load:    # the recording's reader and builder are imported with -load only
            from vimsim.inventory import recording
            self.recording = recording.read(options.load, self.schema)
        newest = self.schema.version_name(self.schema.newest)
        # what about.apiVersion, the versions document and /about say: as vcsim, any
        # string -api-version gives; the API served is that version if vimsim knows it,
        # else its newest (`reports_unknown_version`)
        self.api_version = (options.api_version
                            or (self.recording and self.recording.api_version(self.schema))
                            or newest)
        self.served_version = self.api_version if self.api_version in self.versions else newest
        self.wsdl_dir = schema_module.default_wsdl_dir()
        self.esx = bool(options.esx) or bool(self.recording and self.recording.esx)
        self._uuid_seed = uuid.UUID('5c0ffee0-0000-4000-8000-000000000000')
        self.persistence = None
        self.time = ModelTime(self)
        self.install_time = clock.now()   # the appliance's (vimsim/rest/appliance.py)
        if options.state:   # -state DIR: the journal, replayed once the inventory is built
            from vimsim.state.persistence import Persistence
            self.persistence = Persistence(self, options.state)
        self._session_reaper = task.LoopingCall(self._expire_idle_sessions)
        self.reactor_probe = (ReactorProbe(options.reactor_probe / 1e3)    # /debug/vars
                              if options.reactor_probe else None)
        self.started = time.monotonic()
        self.requests = collections.Counter()   # SOAP calls answered, by method (/debug/vars)
        self.resets = 0
        self.secure_cookies = secure_cookies(os.environ)
        self.served_at = None    # 'https://host:port' once listening (serving_at)
        # the STS's tokens outlive a reset (`token_service`, made on first use)
        self._frame = frozenset(vars(self)) | {'_frame', 'token_service'}
        with self.persistence.genesis() if self.persistence else contextlib.nullcontext():
            if self.persistence is None or not self.persistence.restore():
                self._build_model()
        self._session_reaper.start(min(60, self.options.session_timeout), now=False)
        if self.reactor_probe is not None:
            self.reactor_probe.start()
        if self.persistence is not None:
            self.persistence.replay()

    def serving_at(self, scheme, host, port):
        """The simulator listens at scheme://host:port: vcsim's OptionManager
        setting `vcsim.server.url` says so (suites written for vcsim read it)."""
        if ':' in host and not host.startswith('['):
            host = '[%s]' % host
        self.served_at = '%s://%s:%d' % (scheme, host, port)
        manager = getattr(self, 'option_manager', None)
        if manager is not None and not self.esx:
            manager.vcsim_server_url(self.served_at)

    @property
    def reports_unknown_version(self):
        """-api-version named a version vimsim does not know (the newest is served)."""
        return self.served_version != self.api_version

    def reset(self):
        """Bring the simulator back to the inventory it started with, as a
        fresh start would build it (same moids, uuids and names), without
        restarting anything: every session ends (its clients log in again),
        and filters, views, tasks, events and model timers go with the old
        model. The clock goes on; with -state the reset is journaled, so a
        restart comes back to the same state. Reactor thread only."""
        for session in list(self.session_manager.sessions.values()):
            session.owned.clear()   # they go with the old model, not one by one from the new
            session.close()
        self.time.cancel_all()
        files = getattr(self, 'datastore_namespace', None)
        if self.persistence is not None:
            self.persistence.reset(self._build_model)
        else:
            self._build_model()
        if files is not None:
            files.discard()
        self.resets += 1
        heap_trim.model_dropped()

    def close(self):
        """Stop: no more session expiry or model timers; -state's journal closes."""
        if self._session_reaper.running:
            self._session_reaper.stop()
        if self.reactor_probe is not None:
            self.reactor_probe.stop()
        self.time.cancel_all()
        if self.persistence is not None:
            self.persistence.close()

    def _build_model(self):
        """Drop the model (everything not in the frame) and build it anew."""
        for name in set(vars(self)) - self._frame:
            delattr(self, name)
        self.model_built = clock.now()   # what the managers made on first use count from
        self.changes = ChangeHub()
        self.objects = Registry(self.changes)
        self._uuid_counter = 0
        self._esx_vm_counter = 0
        self.service_instance = self._build_service()
        self.endpoint = SoapEndpoint(self)

    # What the REST, PBM and STS services keep is made on first use (and,
    # but for the STS's, made anew after a reset): a start that serves SOAP
    # only need not import those packages.
    @functools.cached_property
    def tagging(self):
        """The vAPI tagging service's categories, tags, attachments (vimsim/rest)."""
        from vimsim.rest.tagging_model import Tagging
        return Tagging(self)

    @functools.cached_property
    def content_library(self):
        """The content libraries and their items (vimsim/rest)."""
        from vimsim.rest.content_library_model import ContentLibrary
        return ContentLibrary(self)

    @functools.cached_property
    def storage_policies(self):
        """PBM's profiles (vimsim/pbm)."""
        from vimsim.pbm.policies import StoragePolicies
        return StoragePolicies(self)

    @functools.cached_property
    def token_service(self):
        """The STS's signing key and tokens (vimsim/sts)."""
        from vimsim.sts.tokens import TokenService
        return TokenService(self)

    def forget_leftovers(self):
        """Let go of what a load left behind that nothing needs: what the
        endpoint remembers per distinct request, the model timers that fired
        (heap_trim, after a mass logout)."""
        self.endpoint.forget_remembered()
        self.time.forget_spent()

    def _expire_idle_sessions(self):
        self.session_manager.expire_idle()

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
            from vimsim.inventory import recording
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
        self.managers = Managers(self.objects, build_managers(self, managers))
        content.update(self.managers.refs)
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


def secure_cookies(environ):
    """Whether session cookies say Secure: VCSIM_SECURE_COOKIES as vcsim reads
    it ('true': always, plain HTTP too; another value: never); unset (None),
    over TLS only, as a vCenter's always do."""
    setting = environ.get('VCSIM_SECURE_COOKIES')
    return None if setting is None else setting == 'true'


class ModelTime:
    """The model's time, as Twisted's IReactorTime: `seconds` is the model
    clock (vimsim/clock.py) and `callLater` sets a model timer (a task's
    steps, a guest's delayed shutdown, the task sweep, scheduled tasks and
    alarm checks). With -state a timer's firing is journaled, so that a
    restart replays it where it fired. `advance` lets simulated time pass at
    once: the timers due meanwhile fire in order, each at its own time.
    `cooperate` runs long model work (an alarm pass) a step per turn of the
    reactor's cooperator."""

    def __init__(self, simulator):
        self.simulator = simulator
        self._timers = []    # heap of (due microseconds, number, DelayedCall, function, args)
        self._numbers = itertools.count()
        self._journaled = weakref.WeakSet()   # -state's timers not yet fired or cancelled
        self._work = {}      # cooperative task of model work still running -> its steps
        self._advancing = False

    @staticmethod
    def seconds():
        return clock.seconds()

    def callLater(self, delay, function, *args):
        persistence = self.simulator.persistence
        if persistence is not None:
            timer = persistence.later(delay, function, *args)
            self._journaled.add(timer)
            return timer
        if len(self._timers) > 1000:
            self.forget_spent()
        timer = ModelTimer(clock.microseconds() + round(delay * 1e6),
                           reactor.callLater(delay, function, *args))
        heapq.heappush(self._timers, (timer.due, next(self._numbers), timer, function, args))
        return timer

    def forget_spent(self):
        """Drop the timers that fired or were cancelled: each entry holds its
        function and arguments (a finished task's, say); heap_trim drops them
        after a mass logout, when no new timer would."""
        self._timers = [timer for timer in self._timers if timer[2].active()]
        heapq.heapify(self._timers)

    def adopt(self, timer):
        """A -state timer restored from a snapshot, to be cancelled as the others."""
        self._journaled.add(timer)

    def cooperate(self, steps):
        """Run the iterator `steps` of model work, a few milliseconds of
        steps per reactor turn, so that clients are answered meanwhile. While
        `advance` fires timers, the work runs to its end at once: at the
        model time it was started."""
        steps = freezing(steps)
        if self._advancing:
            for _ in steps:
                pass
            return
        work = task.cooperate(steps)
        self._work[work] = steps
        work.whenDone().addBoth(lambda _: self._work.pop(work, None))

    def settled(self):
        """No model work under way and no model timer overdue (for tests
        that compare the model once what start-up began has run)."""
        now = clock.microseconds()
        return not self._work and not any(entry[2].active() and entry[0] <= now
                                          for entry in self._timers)

    def cancel_all(self):
        """Cancel every model timer still to fire and stop the model work
        under way (a reset: the model they would act on is gone)."""
        for work in list(self._work):
            work.stop()
        self._work.clear()
        for timer in list(self._journaled):
            if timer.active():
                timer.cancel()
        self._journaled.clear()
        for entry in self._timers:
            if entry[2].active():
                entry[2].cancel()
        self._timers = []

    def advance(self, seconds):
        """Let `seconds` of model time pass now. Refused with -state: the
        journal would have to record the jump for a replay to follow it."""
        if self.simulator.persistence is not None:
            raise ValueError('time cannot be advanced with -state')
        if seconds < 0:
            raise ValueError('time never goes back')
        target = clock.microseconds() + round(seconds * 1e6)
        self._advancing = True
        try:
            self._fire_until(target)
        finally:
            self._advancing = False
        clock.advance(max(0, target - clock.microseconds()))
        for timer in self._timers:   # the reactor's delays follow the clock
            timer[2].follow_clock()

    def _fire_until(self, target):
        """Fire the timers due by `target` in order, the clock at each one's time."""
        for steps in list(self._work.values()):   # work started before the jump ends first
            for _ in steps:
                pass
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
