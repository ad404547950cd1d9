"""DiagnosticManager: the logs of vCenter and its hosts, and support bundles.

The logs are what the simulator did, read from its event history (the
bounded store every event goes to): vpxd's log has a line per event in
vpxd's event format; a host's hostd log a line per event about the host (or
one of its VMs), and its vpxa log a line per task vCenter ran on it, as
vpxa logs its long-running operations. A log begins with the banner its
process writes at start. Lines are numbered from 1; as the history lets go
of old events the numbers move, as they do when a real log rotates ("Log
files typically grow dynamically, so indexes based on line numbers may
become inaccurate", says the API).

GenerateLogBundles_Task writes one .tgz per system asked for (vCenter
itself when `includeDefault`, each host given) holding its logs, and answers
their URLs under /diagnostics/, where server/diagnostics.py serves them to
whoever /folder would serve (vCenter's `*` stands for the host the client
called, as govc reads it). The newest BUNDLES_KEPT bundles are kept, in a
directory of the manager's own, removed with it.

Audit records are ESXi's (on vCenter both methods answer NotSupported):
the host stores them while its `Syslog.global.auditRecord.storageEnable`
advanced option is on (FetchAuditRecords answers InvalidState otherwise),
the newest AUDIT_KEPT of them. Each is an RFC 5424 line (HOSTNAME and MSGID
'-', the parameters as structured data, no message, LF-terminated); the
trail holds the marks EmitSyslogMark issues, their message as `comment`.
A token is the number of the next record to read; records gone from the
store are skipped, as a full store drops them.
"""
import hashlib
import io
import os
import shutil
import tempfile
import weakref

from twisted.internet import threads

from vimsim import clock
from vimsim.managed.manager import Manager, manager_type, server_fqdn
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.managed.monitoring.task import QUEUED, RUNNING, run_task
from vimsim.soap.fault import InvalidArgument, fault

BROWSE_LIMIT = 1000     # lines one BrowseDiagnosticLog answers at most
BUNDLES_KEPT = 8
AUDIT_KEPT = 1000       # audit records the host stores, the newest
AUDIT_BATCH = 100       # records one FetchAuditRecords answers at most
AUDIT_OPTION = 'Syslog.global.auditRecord.storageEnable'
AUDIT_PRI = 13 * 8 + 6  # facility log audit, severity informational
ORIGINATOR = 'Originator@6876'

# key -> (file name, creator, label); the vCenter's, then each host's
VCENTER_LOGS = {
    'vpxd:vpxd-1.log': ('/var/log/vmware/vpxd/vpxd-1.log', 'vpxd',
                        "vCenter server log in 'plain' format"),
}
HOST_LOGS = {
    'hostd': ('/var/log/hostd.log', 'hostd', "Server log in 'plain' format"),
    'vpxa': ('/var/log/vpxa.log', 'vpxa', "vCenter agent log in 'plain' format"),
}


def _stamp(when):
    return when.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (when.microsecond // 1000)


def _pid(name):
    """A process id for a simulated daemon: fixed per name."""
    return 2000000 + int(hashlib.sha1(name.encode()).hexdigest()[:6], 16) % 100000


class DiagnosticLog:
    """One log: its banner, the events it shows (`shows(event)`) and how it
    writes one (`line(event)`)."""

    def __init__(self, banner, shows, line):
        self.banner = banner
        self.shows = shows
        self.line = line

    def entries(self, events):
        """What each line is of, oldest first: a banner line, then events."""
        yield from self.banner
        yield from filter(self.shows, events)

    def text(self, entry):
        return entry if isinstance(entry, str) else self.line(entry)

    def lines(self, events):
        return map(self.text, self.entries(events))


@manager_type('DiagnosticManager')
class DiagnosticManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.bundles = []          # file names, oldest first
        self._directory = None
        self._generating = None    # the bundle task running
        self.started = server.model_built   # when vpxd (hostd on ESX) wrote its banner
        self.audit = []            # ESX's stored audit records, oldest first
        self.audit_dropped = 0     # how many the store let go (the first's number)

    # -- which logs --------------------------------------------------------------------
    def _system(self, host):
        """The host a call names, or None for the server itself (on ESX the
        host is the server, named or not)."""
        if host is None:
            return None
        obj = self.server.objects.resolve(host)
        if obj.type_name != 'HostSystem':
            raise InvalidArgument('host')
        return None if self.server.esx else obj

    def _catalog(self, host):
        if host is None and not self.server.esx:
            return VCENTER_LOGS
        return HOST_LOGS if not self.server.esx else {'hostd': HOST_LOGS['hostd']}

    def _log(self, host, key):
        """The DiagnosticLog of `key` on `host` (None: vCenter, or ESX's own)."""
        if key not in self._catalog(host):
            raise InvalidArgument('key', "There is no log '%s' on this system." % key)
        about = self.server.service_instance.content.about
        started = _stamp(self.started)
        if key.startswith('vpxd'):
            pid = _pid('vpxd')
            banner = ['%s info vpxd[%d] [%s sub=Default] Log for VMware VirtualCenter, '
                      'pid=%d, version=%s, build=%s, option=Release' % (
                          started, pid, ORIGINATOR, pid, about.version, about.build)]
            return DiagnosticLog(banner, lambda event: True,
                                 lambda event: self._vpxd_line(pid, event))
        host_ref = host.ref if host is not None else None
        name = host.name if host is not None else server_fqdn(self.server)
        pid = _pid('%s/%s' % (key, name))
        banner = ['%s info %s[%d] [%s sub=Default] Log for VMware ESX, pid=%d, version=%s, '
                  'build=%s, option=Release' % (started, key, pid, ORIGINATOR, pid,
                                                about.version, about.build)]
        if key == 'hostd':
            return DiagnosticLog(banner, lambda event: _about_host(event, host_ref),
                                 lambda event: _hostd_line(pid, event))
        return DiagnosticLog(banner, lambda event: event._type.name == 'TaskEvent' and
                             _about_host(event, host_ref),
                             lambda event: _vpxa_line(pid, event))

    def _vpxd_line(self, pid, event):
        stamp = _stamp(event.createdTime)
        datacenter = event.datacenter.name if event.datacenter is not None else ''
        severity = getattr(event, 'severity', None) or 'info'
        return ('%s info vpxd[%d] [%s sub=vpxEvent opID=event-%d] Event [%d] [1-1] [%s] '
                '[vim.event.%s] [%s] [%s] [%s] [%d] [%s]' % (
                    stamp, pid, ORIGINATOR, event.key, event.key, stamp, event._type.name,
                    severity, event.userName, datacenter, event.chainId,
                    _one_line(event.fullFormattedMessage)))

    # -- the methods ---------------------------------------------------------------------
    def QueryDescriptions(self, ctx, host=None):
        system = self._system(host)
        T = self.server.schema.types
        return [T['DiagnosticManagerLogDescriptor'].cls(
            key=key, fileName=file_name, creator=creator, format='plain',
            mimeType='text/plain', info=T['Description'].cls(label=label, summary=label))
            for key, (file_name, creator, label) in self._catalog(system).items()]

    def BrowseDiagnosticLog(self, ctx, key, host=None, start=None, lines=None):
        """Lines `start` (1 when unset) on, `lines` of them (to the end when
        unset), at most BROWSE_LIMIT; past the end none, with lineEnd the
        log's last line, which is how clients find where it ends."""
        if (start is not None and start < 0) or (lines is not None and lines < 0):
            raise InvalidArgument('start' if start is not None and start < 0 else 'lines')
        log = self._log(self._system(host), key)
        first = max(start or 1, 1)
        wanted = BROWSE_LIMIT if lines is None else min(lines, BROWSE_LIMIT)
        text = []
        total = 0
        for number, entry in enumerate(log.entries(event_manager(self.server).events), 1):
            total = number
            if first <= number < first + wanted:
                text.append(log.text(entry))
        Header = self.server.schema.types['DiagnosticManagerLogHeader'].cls
        if not text:
            return Header(lineStart=min(first, total), lineEnd=total, lineText=[])
        return Header(lineStart=first, lineEnd=first + len(text) - 1, lineText=text)

    # -- audit records (ESX) ---------------------------------------------------------
    def _audit_storing(self):
        """Whether the ESX host stores audit records (NotSupported on vCenter)."""
        if not self.server.esx:
            raise fault('NotSupported', 'The operation is not supported on the object: audit '
                        'records are an ESXi host\'s.')
        host = self.server.objects.of_type('HostSystem')[0]
        return bool(host.managers['advancedOption'].values.get(AUDIT_OPTION))

    def EmitSyslogMark(self, ctx, message):
        """A mark in syslog and, while the host stores them, the audit trail."""
        if not self._audit_storing():
            return
        comment = message.replace('\\', '\\\\').replace('"', '\\"').replace(']', '\\]')
        self.audit.append('<%d>1 %s - hostd %d - [audit@6876 event="mark" comment="%s"]\n' % (
            AUDIT_PRI, _stamp(clock.now()), _pid('hostd/%s' % server_fqdn(self.server)),
            comment))
        if len(self.audit) > AUDIT_KEPT:
            del self.audit[0]
            self.audit_dropped += 1

    def FetchAuditRecords(self, ctx, token=None):
        """The stored records from `token` on (the oldest stored without
        one), AUDIT_BATCH at most, and the token to read on from."""
        if not self._audit_storing():
            raise fault('InvalidState', 'The host does not store audit records.')
        end = self.audit_dropped + len(self.audit)
        if token is None:
            start = self.audit_dropped
        elif token.isdigit() and int(token) <= end:
            start = max(int(token), self.audit_dropped)
        else:
            raise InvalidArgument('token')
        records = self.audit[start - self.audit_dropped:][:AUDIT_BATCH]
        return self.server.schema.types['DiagnosticManagerAuditRecordResult'].cls(
            records=records, nextToken=str(start + len(records)))

    def GenerateLogBundles_Task(self, ctx, includeDefault, host=()):
        systems = ([None] if includeDefault else []) + [
            self.server.objects.resolve(ref) for ref in host]
        for system in systems:
            if system is not None and system.type_name != 'HostSystem':
                raise InvalidArgument('host')
        running = self._generating
        if running is not None and running.state in (QUEUED, RUNNING):
            raise fault('TaskInProgress', 'Log bundles are being generated already.',
                        task=running.ref)
        request = ctx.request
        scheme = 'https' if request is None or request.secure else 'http'
        # the logs as they are when asked for; written to files off the reactor
        contents = [(system, self._bundle_members(system)) for system in systems]

        def work(task):
            return threads.deferToThread(self._write_bundles, contents).addCallback(
                lambda names: self._bundle_infos(scheme, systems, names))
        self._generating = run_task(ctx, None, 'GenerateLogBundles_Task', work, this=self)
        return self._generating

    # -- bundles ---------------------------------------------------------------------------
    def _bundle_members(self, system):
        """(bundle name, [(member path, text)]) of one system's bundle."""
        events = list(event_manager(self.server).events)
        if system is None and not self.server.esx:
            prefix = 'vc-%s-%s' % (server_fqdn(self.server), self.server.new_uuid()[:8])
        else:
            name = system.name if system is not None else server_fqdn(self.server)
            prefix = 'esx-%s-%s' % (name, self.server.new_uuid()[:8])
        members = []
        for key, (file_name, _, _) in self._catalog(system).items():
            text = '\n'.join(self._log(system, key).lines(events)) + '\n'
            members.append((prefix + file_name, text))
        return prefix + '.tgz', members

    def directory(self):
        """Where this manager's bundles are written: made on first use,
        removed when the manager goes (a reset makes a new one)."""
        if self._directory is None:
            self._directory = tempfile.mkdtemp(prefix='vimsim-bundles-')
            weakref.finalize(self, shutil.rmtree, self._directory, True)
        return self._directory

    def _write_bundles(self, contents):
        """Write each bundle (on a thread: a big history compresses slowly);
        their file names."""
        import tarfile     # not at start: 0.4 MB that only bundles use
        names = []
        directory = self.directory()
        for _, (name, members) in contents:
            with tarfile.open(os.path.join(directory, name), 'w:gz') as bundle:
                for path, text in members:
                    data = text.encode('utf-8')
                    info = tarfile.TarInfo(path)
                    info.size = len(data)
                    info.mode = 0o644
                    bundle.addfile(info, io.BytesIO(data))
            names.append(name)
        return names

    def _bundle_infos(self, scheme, systems, names):
        self.bundles += names
        while len(self.bundles) > BUNDLES_KEPT:
            try:
                os.remove(os.path.join(self.directory(), self.bundles.pop(0)))
            except FileNotFoundError:
                pass
        Info = self.server.schema.types['DiagnosticManagerBundleInfo'].cls
        return [Info(system=system.ref if system is not None else None,
                     url='%s://*/diagnostics/%s' % (scheme, name))
                for system, name in zip(systems, names)]

    def bundle_path(self, name):
        """The file of a bundle this manager keeps, or None."""
        if name not in self.bundles:
            return None
        return os.path.join(self.directory(), name)


def _about_host(event, host_ref):
    """Whether an event is about a host (None: ESX itself, every event)."""
    if host_ref is None:
        return True
    return event.host is not None and event.host.host == host_ref


def _hostd_line(pid, event):
    return '%s info hostd[%d] [%s sub=Vimsvc.ha-eventmgr opID=event-%d] Event %d : %s' % (
        _stamp(event.createdTime), pid, ORIGINATOR, event.key, event.key,
        _one_line(event.fullFormattedMessage))


def _vpxa_line(pid, event):
    info = event.info
    entity = info.entity.value if info.entity is not None else ''
    return '%s info vpxa[%d] [%s sub=vpxLro opID=%s] [VpxLRO] -- BEGIN %s -- %s -- %s' % (
        _stamp(event.createdTime), pid, ORIGINATOR, info.eventChainId, info.key, entity,
        info.descriptionId)


def _one_line(text):
    return (text or '').replace('\r', ' ').replace('\n', ' ')
