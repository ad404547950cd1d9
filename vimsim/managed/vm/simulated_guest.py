"""The simulated guest OS behind guest operations: per VM, a file system,
accounts, an environment and processes matching the VM's guest family (a
POSIX tree under / for Linux and other guests, C:\\ for Windows).

A guest exists for a VM only while its tools run (the honest-guest rule):
`GuestStore.enter` checks that, then the credentials, as vCenter does.
Files and environment live as long as the VM (its disk); processes and
acquired tickets belong to one boot and go when the VM powers off.
"""
import itertools
import posixpath
import re
import secrets
import shlex
import weakref

from vimsim import clock
from vimsim.managed.entity import data_types
from vimsim.managed.vm.guest_os import GUEST_FAMILY
from vimsim.managed.vm.guest_registry import Registry
from vimsim.managed.vm.virtual_machine import VirtualMachine
from vimsim.soap.fault import FileNotFound, InvalidArgument, fault

# the guest's one account: vCenter passes guest credentials through to the
# guest, so the simulated guest documents its own (docs/DESIGN.md)
GUEST_PASSWORD = 'vmware'
COMPUTER_NAME_KEY = 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\' \
    'ComputerName'
EXITED_PROCESS_LIFETIME = 300   # s an exited process stays listed (the API reference's ~5 min)
TERMINATED_EXIT_CODE = {False: 143, True: 1}   # SIGTERM's shell status; TerminateProcess's code
# the processes every boot starts: (pid, name, owner, command line), by windows
SYSTEM_PROCESSES = {
    False: ((1, 'systemd', 'root', '/sbin/init'),
            (612, 'vmtoolsd', 'root', '/usr/bin/vmtoolsd')),
    True: ((4, 'System', 'NT AUTHORITY\\SYSTEM', 'System'),
           (612, 'vmtoolsd.exe', 'NT AUTHORITY\\SYSTEM',
            '"C:\\Program Files\\VMware\\VMware Tools\\vmtoolsd.exe"'))}
PATH_MAX, NAME_MAX = 4096, 255   # longer paths and names are refused (InvalidArgument)
MAX_STEPS = 10000         # commands one program may run; past it the guest kills it
KILLED_EXIT_CODE = 137    # SIGKILL's shell status




def not_a_file(path):
    return fault('NotAFile', 'The specified path %s is not a file' % path, file=path)


def not_a_directory(path):
    return fault('NotADirectory', 'The specified path %s is not a directory' % path, file=path)


class Node:
    """A file (``children`` None, ``data`` bytes) or a directory of the guest."""
    __slots__ = ('name', 'children', 'data', 'modified', 'accessed', 'created', 'owner_id',
                 'group_id', 'permissions', 'hidden', 'read_only')

    def __init__(self, name, directory, owner_id=0, data=b''):
        self.name = name
        self.children = {} if directory else None
        self.data = None if directory else data
        self.modified = self.accessed = self.created = clock.now()
        self.owner_id = self.group_id = owner_id
        self.permissions = 0o755 if directory else 0o644
        self.hidden = self.read_only = False

    @property
    def is_dir(self):
        return self.children is not None

    @property
    def size(self):
        return 4096 if self.is_dir else len(self.data)


class FileSystem:
    """A guest's directory tree; paths absolute in the guest's own syntax."""

    def __init__(self, windows):
        self.windows = windows
        self.root = Node('', True)

    # -- paths -------------------------------------------------------------------
    def parts(self, path, param):
        """The components of absolute `path` (InvalidArgument for a relative
        or malformed one, named by the parameter `param`)."""
        parts = self.parse(path)
        if parts is None:
            raise InvalidArgument(param)
        return parts

    def parse(self, path):
        """The components of absolute `path`, or None for a relative or
        malformed one."""
        if not isinstance(path, str) or not path or '\0' in path or len(path) > PATH_MAX:
            return None
        if self.windows:
            if not re.match(r'^[Cc]:([\\/]|$)', path):
                return None
            raw = re.split(r'[\\/]+', path[2:])
        else:
            if not path.startswith('/'):
                return None
            raw = path.split('/')
        out = []
        for part in raw:
            if len(part) > NAME_MAX:
                return None
            if part in ('', '.'):
                continue
            if part == '..':
                if out:
                    out.pop()
                continue
            out.append(part)
        return out

    def display(self, parts):
        if self.windows:
            return 'C:\\' + '\\'.join(parts)
        return '/' + '/'.join(parts)

    def key(self, name):
        return name.lower() if self.windows else name

    # -- lookups -------------------------------------------------------------------
    def find(self, parts):
        node = self.root
        for part in parts:
            if not node.is_dir:
                return None
            node = node.children.get(self.key(part))
            if node is None:
                return None
        return node

    def node(self, path, param):
        """The node at `path`, or FileNotFound."""
        node = self.find(self.parts(path, param))
        if node is None:
            raise FileNotFound(path)
        return node

    def parent(self, path, param):
        """(directory holding `path`, its last component): FileNotFound when
        that directory is missing, InvalidArgument for the root itself."""
        parts = self.parts(path, param)
        if not parts:
            raise InvalidArgument(param)
        parent = self.find(parts[:-1])
        if parent is None or not parent.is_dir:
            raise FileNotFound(path)
        return parent, parts[-1]

    # -- changes -------------------------------------------------------------------
    def add(self, parent, node):
        parent.children[self.key(node.name)] = node
        parent.modified = clock.now()

    def remove(self, parent, name):
        del parent.children[self.key(name)]
        parent.modified = clock.now()

    def make_dirs(self, parts, owner_id=0):
        node = self.root
        for part in parts:
            child = node.children.get(self.key(part))
            if child is None:
                child = Node(part, True, owner_id)
                self.add(node, child)
            node = child
        return node

    def write(self, path, data, owner_id=0, append=False):
        """Write (or append to) the file at `path`: the file node."""
        parent, name = self.parent(path, 'path')
        node = parent.children.get(self.key(name))
        if node is None:
            node = Node(name, False, owner_id)
            self.add(parent, node)
        elif node.is_dir:
            raise not_a_file(path)
        node.data = node.data + data if append else data
        node.modified = clock.now()
        return node

    @staticmethod
    def contains(ancestor, node):
        """Whether `node` is `ancestor` or inside it."""
        pending = [ancestor]
        while pending:
            current = pending.pop()
            if current is node:
                return True
            if current.is_dir:
                pending.extend(current.children.values())
        return False


class Process:
    """A process the guest runs or ran."""
    __slots__ = ('pid', 'name', 'owner', 'cmd_line', 'start', 'end', 'exit_code', 'pending',
                 'system')

    def __init__(self, pid, name, owner, cmd_line, start, system=False):
        self.system = system  # the guest's own (init, the tools): not the user's to end
        self.pid = pid
        self.name = name
        self.owner = owner
        self.cmd_line = cmd_line
        self.start = start
        self.end = None
        self.exit_code = None
        self.pending = None   # the model timer of a sleeping command

    def info(self, T):
        return T.GuestProcessInfo(name=self.name, pid=self.pid, owner=self.owner,
                                  cmdLine=self.cmd_line, startTime=self.start,
                                  endTime=self.end, exitCode=self.exit_code)


class SimulatedGuest:
    """One VM's guest: file system, account, environment, processes."""

    def __init__(self, vm):
        self.vm = vm
        self.windows = GUEST_FAMILY.get(vm.guest_id) == 'windowsGuest'
        self.user = 'Administrator' if self.windows else 'root'
        self.files = FileSystem(self.windows)
        self.registry = None   # a Windows guest's Registry
        self.aliases = {}      # user -> [GuestAuthAliasInfo with its cert]: (cert, info)
        self.mapped = []       # [(cert, user, [GuestAuthSubject])]: the mapped certificates
        self.boot_time = None
        self.processes = {}
        self.tickets = set()
        self._pids = itertools.count(4100)
        self._temp_names = itertools.count(1)
        self._build()

    def _build(self):
        fs = self.files
        if self.windows:
            for path in ('C:\\Windows\\System32', 'C:\\Windows\\Temp',
                         'C:\\Users\\Administrator', 'C:\\Program Files'):
                fs.make_dirs(fs.parts(path, 'path'))
            for program in ('cmd.exe', 'hostname.exe', 'whoami.exe'):
                fs.write('C:\\Windows\\System32\\' + program, b'MZ')
            self.temp_dir = 'C:\\Windows\\Temp'
            text = data_types(self.vm.server).GuestRegValueStringSpec
            self.registry = Registry({
                'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion':
                    {'ProductName': text(value=self.vm.guest_full_name)},
                COMPUTER_NAME_KEY: {'ComputerName': text(value=self.vm.guest_host_name.upper())},
                'HKEY_LOCAL_MACHINE\\SOFTWARE\\VMware, Inc.\\VMware Tools': {},
                'HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node': {},
                'HKEY_CURRENT_USER\\Environment': {'TEMP': text(value=self.temp_dir)}})
            self.environment = {
                'COMPUTERNAME': self.vm.guest_host_name.upper(), 'USERNAME': self.user,
                'USERPROFILE': 'C:\\Users\\Administrator', 'SystemRoot': 'C:\\Windows',
                'TEMP': self.temp_dir, 'TMP': self.temp_dir,
                'PATH': 'C:\\Windows\\system32;C:\\Windows'}
        else:
            for path in ('/bin', '/etc', '/tmp', '/root', '/usr/bin', '/var/log'):
                fs.make_dirs(fs.parts(path, 'path'))
            fs.write('/etc/hostname', (self.vm.guest_host_name + '\n').encode())
            for program in SHELL_COMMANDS:
                if program != 'exit':   # a shell built-in, no program
                    fs.write('/bin/' + program, b'\x7fELF').permissions = 0o755
            self.temp_dir = '/tmp'
            self.environment = {
                'HOME': '/root', 'USER': self.user, 'LOGNAME': self.user, 'SHELL': '/bin/sh',
                'HOSTNAME': self.vm.guest_host_name, 'LANG': 'en_US.UTF-8',
                'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'}

    def rename(self, host_name):
        """The guest's own record of its name, after a customization gave it one."""
        if not host_name:
            return
        if self.windows:
            text = data_types(self.vm.server).GuestRegValueStringSpec
            key = self.registry.make_path(self.registry.parts(COMPUTER_NAME_KEY, 'WOWNative'))
            key.values['computername'] = ('ComputerName', text(value=host_name.upper()))
            key.touch()
            self.environment['COMPUTERNAME'] = host_name.upper()
        else:
            self.files.write('/etc/hostname', (host_name + '\n').encode())
            self.environment['HOSTNAME'] = host_name

    def follow_boot(self):
        """A new boot (or a power-off) ends the processes and tickets of the last."""
        if self.boot_time != self.vm.boot_time:
            for process in self.processes.values():
                if process.pending is not None and process.pending.active():
                    process.pending.cancel()
            self.boot_time = self.vm.boot_time
            if self.registry is not None:
                self.registry.volatile_boot()
            self.processes = {}
            self.tickets = set()
            start = self.boot_time or clock.now()
            for pid, name, owner, cmd_line in SYSTEM_PROCESSES[self.windows]:
                self.processes[pid] = Process(pid, name, owner, cmd_line, start, system=True)

    def new_pid(self):
        return next(self._pids)

    def temp_name(self, prefix, suffix):
        return '%svmware%d%s' % (prefix, next(self._temp_names), suffix)

    def prune_exited(self):
        """Processes that exited more than EXITED_PROCESS_LIFETIME ago leave the list."""
        now = clock.seconds()
        for pid, process in list(self.processes.items()):
            if process.end is not None and now - process.end.timestamp() > \
                    EXITED_PROCESS_LIFETIME:
                del self.processes[pid]


class GuestStore:
    """The guests of one simulator's VMs, and the file transfers they offer."""

    def __init__(self, server):
        self.server = server
        self._guests = weakref.WeakKeyDictionary()
        self.transfers = {}   # id -> Transfer

    def enter(self, ctx, vm_ref, auth):
        """The guest of `vm_ref` for a call carrying `auth`, after vCenter's
        checks: the VM is powered on (InvalidPowerState), its tools run
        (GuestOperationsUnavailable), the guest accepts `auth` (InvalidGuestLogin)."""
        vm = self.server.objects.resolve(vm_ref)
        if not isinstance(vm, VirtualMachine):
            raise InvalidArgument('vm')
        if vm.power_state != 'poweredOn':
            raise fault('InvalidPowerState', 'The attempted operation cannot be performed in '
                        'the current state (%s).' % vm.power_state, requestedState='poweredOn',
                        existingState=vm.power_state)
        if not vm.tools_running:
            raise fault('GuestOperationsUnavailable',
                        'The guest operations agent could not be contacted.')
        guest = self._guests.get(vm)
        if guest is None:
            guest = self._guests[vm] = SimulatedGuest(vm)
        guest.follow_boot()
        self.check_login(guest, auth)
        return guest

    @staticmethod
    def invalid_login():
        return fault('InvalidGuestLogin', 'Failed to authenticate with the guest operating '
                     'system using the supplied credentials.')

    def check_login(self, guest, auth):
        T = self.server.schema.types
        if isinstance(auth, T['NamePasswordAuthentication'].cls):
            user = auth.username or ''
            known = user.lower() == guest.user.lower() if guest.windows else user == guest.user
            if known and auth.password == GUEST_PASSWORD:
                return
        elif isinstance(auth, T['TicketedSessionAuthentication'].cls):
            if auth.ticket in guest.tickets:
                return
        raise self.invalid_login()

    def guest_of(self, vm):
        """The guest of `vm` if it ever had one (for transfers already granted)."""
        return self._guests.get(vm)

    @staticmethod
    def new_token():
        """A transfer URL's secret: anyone holding the URL may use it."""
        return secrets.token_hex(16)


# -- the guest's commands ------------------------------------------------------------
# A command gets (run, args) and returns its exit status, writing to run.out /
# run.err; `sleep` returns None after asking run to continue later.

def _echo(run, args):
    newline = True
    if args[:1] == ['-n']:
        newline, args = False, args[1:]
    run.out.append(' '.join(args) + ('\n' if newline else ''))
    return 0


def _cat(run, args):
    status = 0
    for path in args:
        node = run.lookup(path)
        if node is None or node.is_dir:
            run.err.append('cat: %s: %s\n' % (path, 'Is a directory' if node else
                                                'No such file or directory'))
            status = 1
            continue
        run.out.append(node.data.decode('utf-8', 'replace'))
    return status


def _ls(run, args):
    status = 0
    for path in args or ['.']:
        node = run.lookup(path)
        if node is None:
            run.err.append("ls: cannot access '%s': No such file or directory\n" % path)
            status = 2
        elif node.is_dir:
            run.out.extend(name + '\n' for name in sorted(
                child.name for child in node.children.values()))
        else:
            run.out.append(path + '\n')
    return status


def _exit(run, args):
    try:
        return int(args[0]) & 0xff if args else 0
    except ValueError:
        run.err.append('exit: %s: numeric argument required\n' % args[0])
        return 2


def _sleep(run, args):
    try:
        seconds = float(args[0]) if args else -1
    except ValueError:
        seconds = -1
    if not 0 <= seconds <= 86400:
        run.err.append('sleep: invalid time interval\n')
        return 1
    run.continue_after(seconds)
    return None


SHELL_COMMANDS = {
    'echo': _echo, 'cat': _cat, 'ls': _ls, 'sleep': _sleep, 'exit': _exit,
    'hostname': lambda run, args: run.out.append(run.guest.vm.guest_host_name + '\n') or 0,
    'true': lambda run, args: 0, 'false': lambda run, args: 1,
    'pwd': lambda run, args: run.out.append(run.cwd + '\n') or 0,
    'whoami': lambda run, args: run.out.append(run.guest.user + '\n') or 0,
    'sh': None, 'bash': None,   # `-c SCRIPT`: the script, in this same shell
}
# cmd.exe's built-ins by the same functions: `type` is cat, `dir /b` is ls
CMD_COMMANDS = {'echo': _echo, 'type': _cat, 'dir': _ls, 'exit': _exit,
                'hostname': SHELL_COMMANDS['hostname'], 'whoami': SHELL_COMMANDS['whoami'],
                'cmd': None}


_CONNECTORS = (';', '&&', '||', '&')
_SHELL_VARIABLE = re.compile(r"'[^']*'|\$\{(\w+)\}|\$(\w+)")


def expand_percent(text, env):
    """Windows' %NAME% expansion (names ignore case; unknown ones stay)."""
    folded = {name.lower(): value for name, value in env.items()}
    return re.sub(r'%(\w+)%', lambda match: folded.get(match.group(1).lower(), match.group(0)),
                  text)


class Run:
    """A started program run to its end: the guest's small shell (/bin/sh
    -c for every Linux program, as the tools start them; cmd.exe /c on
    Windows) over its commands, step by step, so `sleep` waits on the
    model's clock and a redirected command writes its output to a file."""

    def __init__(self, guest, process, cwd, env):
        self.guest = guest
        self.process = process
        self.cwd = cwd
        self.env = env
        self.queue = []          # [(connector, words)] still to run
        self.steps = 0
        self.status = 0
        self.out = self.err = None
        self._redirect = None

    # -- parsing ------------------------------------------------------------------
    def expand(self, text):
        if self.guest.windows:
            return expand_percent(text, self.env)

        def value(match):
            if match.group(0).startswith("'"):
                return match.group(0)
            return self.env.get(match.group(1) or match.group(2), '')
        return _SHELL_VARIABLE.sub(value, text)

    def parse(self, script):
        """[(connector, words)] of `script`, line by line (a line ends a
        command, as `;` does); ValueError for a broken one."""
        commands = []
        for line in script.splitlines():
            words, connector = [], ';'
            for token in shlex_lexer(self.expand(line), self.guest.windows):
                if token in _CONNECTORS:
                    commands.append((connector, words))
                    words, connector = [], token
                else:
                    words.append(token)
            commands.append((connector, words))
        return [(conn, words) for conn, words in commands if words]

    def start(self, script):
        try:
            self.queue = self.parse(script)
        except ValueError:
            self.guest_error('Syntax error: Unterminated quoted string\n')
            return self.finish(2)
        self.proceed()

    # -- running ------------------------------------------------------------------
    def proceed(self):
        while self.queue:
            self.steps += 1
            if self.steps > MAX_STEPS:   # a script that runs itself: killed, as by the OOM killer
                return self.finish(KILLED_EXIT_CODE)
            connector, words = self.queue.pop(0)
            if (connector == '&&' and self.status) or (connector == '||' and not self.status):
                continue
            status = self.command(words)
            if status is None:      # sleeping: resumes on the model's clock
                return
            if status == 'exit':
                return self.finish(self.status)
            self.status = status
        self.finish(self.status)

    def command(self, words):
        words, self._redirect = self.redirection(words)
        if words is None:
            return 2
        name = words[0]
        table = CMD_COMMANDS if self.guest.windows else SHELL_COMMANDS
        key = name.lower().removesuffix('.exe') if self.guest.windows else name
        if ('/' in name or '\\' in name) and not self.guest.windows:
            node = self.lookup(name)
            key = posixpath.basename(name) if node is not None and not node.is_dir else None
        elif self.guest.windows and ('\\' in name or ':' in name):
            node = self.lookup(name)
            key = re.split(r'[\\/]', name)[-1].lower().removesuffix('.exe') \
                if node is not None and not node.is_dir else None
        if key not in table:
            return self.run_script_file(name, words)
        if table[key] is None:      # sh -c / cmd /c: the script joins this run
            return self.nested(words[1:])
        self.out, self.err = [], []
        args = [word for word in words[1:] if not (self.guest.windows and word.startswith('/'))]
        if key == 'exit':
            self.status = _exit(self, args)
            return 'exit'
        status = table[key](self, args)
        self.flush_output()
        return status

    def nested(self, args):
        flag = '/c' if self.guest.windows else '-c'
        if not args or args[0].lower() != flag or len(args) < 2:
            return 0
        script = ' '.join(args[1:]) if self.guest.windows else args[1]
        try:
            commands = self.parse(script)
        except ValueError:
            return 2
        if self._redirect is not None:   # the shell's own redirection takes all its output
            path, append = self._redirect
            commands = [(connector, words + ['>>' if append or index else '>', path])
                        for index, (connector, words) in enumerate(commands)]
        self.queue[:0] = commands
        return self.status

    def run_script_file(self, name, words):
        """A file of the guest that is not a known program runs as a script;
        anything else is not found (127, the shell's status)."""
        node = self.lookup(name) if ('/' in name or '\\' in name) else None
        if node is None or node.is_dir or node.data[:4] in (b'\x7fELF', b'MZ'):
            self.guest_error('sh: 1: %s: not found\n' % name)
            return 127 if not self.guest.windows else 9009
        try:
            self.queue[:0] = self.parse(node.data.decode('utf-8', 'replace'))
        except ValueError:
            return 2
        return 0

    def redirection(self, words):
        """(words without `> FILE` / `>> FILE`, (path, append) or None)."""
        kept, target = [], None
        index = 0
        while index < len(words):
            word = words[index]
            if word in ('>', '>>'):
                if index + 1 >= len(words):
                    return None, None
                target = (words[index + 1], word == '>>')
                index += 2
                continue
            kept.append(word)
            index += 1
        return (kept or None), target

    def flush_output(self):
        if self._redirect is None:
            return
        path, append = self._redirect
        fs = self.guest.files
        parts = fs.parse(self.absolute(path))
        parent = fs.find(parts[:-1]) if parts else None
        target = parent.children.get(fs.key(parts[-1])) if parent and parent.is_dir else None
        if parent is None or not parent.is_dir or (target is not None and target.is_dir):
            self.guest_error('sh: 1: cannot create %s: Directory nonexistent\n' % path)
            return
        fs.write(fs.display(parts), ''.join(self.out).encode(), append=append)

    def guest_error(self, text):
        """Standard error goes nowhere: the tools do not capture it."""

    def continue_after(self, seconds):
        self.process.pending = self.guest.vm.server.time.callLater(seconds, self.resume)

    def resume(self):
        self.process.pending = None
        self.status = 0
        self.proceed()

    def finish(self, status):
        self.process.end = clock.now()
        self.process.exit_code = status

    # -- paths ------------------------------------------------------------------
    def absolute(self, path):
        if self.guest.windows:
            if re.match(r'^[A-Za-z]:', path):
                return path
            return self.cwd.rstrip('\\') + '\\' + path
        return path if path.startswith('/') else posixpath.join(self.cwd, path)

    def lookup(self, path):
        fs = self.guest.files
        parts = fs.parse(self.absolute(path))
        return fs.find(parts) if parts is not None else None


def shlex_lexer(text, windows):
    """The words and operators of a command line; cmd.exe has no escape
    character, so backslashes in Windows paths stay."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=';&|<>')
    lexer.whitespace_split = True
    if windows:
        lexer.escape = ''
    return list(lexer)
