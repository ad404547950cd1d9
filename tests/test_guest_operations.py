"""Guest operations against the simulated guest, driven by unmodified
pyVmomi and `requests`-style HTTP transfers, as Ansible's vmware_vm_shell and
vmware_guest_file_operation and the pyvmomi-community-samples guest scripts
run them: credentials, files and directories, uploads and downloads through
the /guestFile URLs, programs with redirected output, the process list with
exit codes, termination, the environment; and vCenter's faults.

A simulator of its own: these tests power VMs off and change guest ids.
"""
import base64
import ssl
import time
import urllib.request

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from tests.conftest import _simulator, on_reactor
from vimsim.managed.vm.simulated_guest import GUEST_PASSWORD
from vimsim.schema import MoRef
from vimsim.server.tls import self_signed


@pytest.fixture(scope='module')
def sim(validator):
    return _simulator(validator, tls=False, vm=2, autostart=False)


def vms(si):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        return sorted(view.view, key=lambda vm: vm.name)
    finally:
        view.DestroyView()


@pytest.fixture
def vm(si):
    """A powered-on VM whose tools run, with a fresh boot of its guest."""
    machine = vms(si)[0]
    if machine.runtime.powerState == 'poweredOn':
        WaitForTask(machine.PowerOffVM_Task())
    WaitForTask(machine.PowerOnVM_Task())
    return machine


@pytest.fixture
def gom(si):
    return si.RetrieveContent().guestOperationsManager


def creds(user='root', password=GUEST_PASSWORD):
    return vim.vm.guest.NamePasswordAuthentication(username=user, password=password)


def upload(url, data):
    request = urllib.request.Request(url, data=data, method='PUT')
    with urllib.request.urlopen(request) as response:
        return response.status


def download(url):
    with urllib.request.urlopen(url) as response:
        return response.read()


def http_status(url, method='GET', data=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method=method)):
            return 200
    except urllib.error.HTTPError as error:
        return error.code


def wait_exit(gom, vm, auth, pid, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        [info] = gom.processManager.ListProcessesInGuest(vm, auth, [pid])
        if info.endTime is not None:
            return info
        time.sleep(0.05)
    raise AssertionError('process %d did not exit' % pid)


def run(gom, vm, path, arguments, auth=None, **spec):
    auth = auth or creds()
    pid = gom.processManager.StartProgramInGuest(
        vm, auth, vim.vm.guest.ProcessManager.ProgramSpec(programPath=path, arguments=arguments,
                                                          **spec))
    return wait_exit(gom, vm, auth, pid)


def test_acceptance_flow(si, gom, vm):
    """Validate credentials, upload a file through its transfer URL, `cat` it
    with output redirected, read the exit code from the process list, and
    download the output."""
    auth = creds()
    gom.authManager.ValidateCredentialsInGuest(vm, auth)
    files = gom.fileManager
    data = b'hello from the host\n'
    url = files.InitiateFileTransferToGuest(vm, auth, '/tmp/input.txt',
                                            vim.vm.guest.FileManager.FileAttributes(),
                                            len(data), True)
    assert '/guestFile?id=' in url and '&token=' in url
    assert upload(url, data) == 200
    info = run(gom, vm, '/bin/cat', '/tmp/input.txt > /tmp/output.txt')
    assert info.exitCode == 0 and info.name == 'cat' and info.owner == 'root'
    assert info.cmdLine == '"/bin/cat" /tmp/input.txt > /tmp/output.txt'
    transfer = files.InitiateFileTransferFromGuest(vm, auth, '/tmp/output.txt')
    assert transfer.size == len(data)
    assert isinstance(transfer.attributes, vim.vm.guest.FileManager.PosixFileAttributes)
    assert download(transfer.url) == data


def test_wrong_password_and_unavailable_guest(sim, gom, vm):
    with pytest.raises(vim.fault.InvalidGuestLogin):
        gom.authManager.ValidateCredentialsInGuest(vm, creds(password='wrong'))
    with pytest.raises(vim.fault.InvalidGuestLogin):
        gom.fileManager.ListFilesInGuest(vm, creds(user='nobody'), '/tmp')
    WaitForTask(vm.PowerOffVM_Task())
    with pytest.raises(vim.fault.InvalidPowerState):
        gom.authManager.ValidateCredentialsInGuest(vm, creds())
    WaitForTask(vm.PowerOnVM_Task())
    model_vm = on_reactor(sim.sim.objects.resolve, MoRef('VirtualMachine', vm._moId))
    on_reactor(setattr, model_vm, 'tools_installed', False)
    try:
        with pytest.raises(vim.fault.GuestOperationsUnavailable):
            gom.processManager.ListProcessesInGuest(vm, creds(), [])
    finally:
        on_reactor(setattr, model_vm, 'tools_installed', True)


def test_tickets(si, gom, vm):
    auth = gom.authManager.AcquireCredentialsInGuest(vm, creds())
    assert isinstance(auth, vim.vm.guest.TicketedSessionAuthentication)
    gom.fileManager.ListFilesInGuest(vm, auth, '/tmp')
    gom.authManager.ReleaseCredentialsInGuest(vm, auth)
    with pytest.raises(vim.fault.InvalidGuestLogin):
        gom.fileManager.ListFilesInGuest(vm, auth, '/tmp')
    with pytest.raises(vmodl.fault.InvalidArgument):
        gom.authManager.ReleaseCredentialsInGuest(vm, creds())


def test_directories_and_files(gom, vm):
    auth, files = creds(), gom.fileManager
    with pytest.raises(vim.fault.FileNotFound):
        files.MakeDirectoryInGuest(vm, auth, '/opt/app/logs', False)
    files.MakeDirectoryInGuest(vm, auth, '/opt/app/logs', True)
    with pytest.raises(vim.fault.FileAlreadyExists):
        files.MakeDirectoryInGuest(vm, auth, '/opt/app', False)
    temp = files.CreateTemporaryFileInGuest(vm, auth, 'pre', '.txt', '/opt/app')
    assert temp.startswith('/opt/app/pre') and temp.endswith('.txt')
    listing = files.ListFilesInGuest(vm, auth, '/opt/app')
    names = [info.path for info in listing.files]
    assert names[:2] == ['.', '..'] and set(names[2:]) == {'logs', temp.rsplit('/', 1)[1]}
    assert listing.remaining == 0
    page = files.ListFilesInGuest(vm, auth, '/opt/app', 1, 1)
    assert [info.path for info in page.files] == ['..'] and page.remaining == 2
    only = files.ListFilesInGuest(vm, auth, '/opt/app', matchPattern=r'\.txt$')
    assert [info.path for info in only.files] == [temp.rsplit('/', 1)[1]]
    files.MoveFileInGuest(vm, auth, temp, '/opt/app/logs/moved.txt', False)
    with pytest.raises(vim.fault.FileNotFound):
        files.DeleteFileInGuest(vm, auth, temp)
    with pytest.raises(vim.fault.NotAFile):
        files.DeleteFileInGuest(vm, auth, '/opt/app/logs')
    with pytest.raises(vim.fault.DirectoryNotEmpty):
        files.DeleteDirectoryInGuest(vm, auth, '/opt/app', False)
    files.MoveDirectoryInGuest(vm, auth, '/opt/app', '/opt/renamed')
    assert files.ListFilesInGuest(vm, auth, '/opt/renamed/logs/moved.txt').files[0].size == 0
    with pytest.raises(vmodl.fault.InvalidArgument):
        files.MoveDirectoryInGuest(vm, auth, '/opt/renamed', '/opt/renamed/logs/inside')
    attrs = vim.vm.guest.FileManager.PosixFileAttributes(permissions=0o600, ownerId=1000)
    files.ChangeFileAttributesInGuest(vm, auth, '/opt/renamed/logs/moved.txt', attrs)
    [info] = files.ListFilesInGuest(vm, auth, '/opt/renamed/logs/moved.txt').files
    assert info.attributes.permissions == 0o600 and info.attributes.ownerId == 1000
    with pytest.raises(vmodl.fault.InvalidArgument):
        files.ChangeFileAttributesInGuest(vm, auth, '/opt/renamed/logs/moved.txt',
                                          vim.vm.guest.FileManager.WindowsFileAttributes())
    files.DeleteDirectoryInGuest(vm, auth, '/opt/renamed', True)
    with pytest.raises(vim.fault.FileNotFound):
        files.ListFilesInGuest(vm, auth, '/opt/renamed')
    with pytest.raises(vmodl.fault.InvalidArgument):
        files.ListFilesInGuest(vm, auth, 'relative/path')


def test_transfer_urls(gom, vm):
    auth, files = creds(), gom.fileManager
    attrs = vim.vm.guest.FileManager.FileAttributes()
    with pytest.raises(vim.fault.FileNotFound):
        files.InitiateFileTransferToGuest(vm, auth, '/missing/x', attrs, 1, True)
    with pytest.raises(vim.fault.NotAFile):
        files.InitiateFileTransferToGuest(vm, auth, '/tmp', attrs, 1, True)
    with pytest.raises(vim.fault.FileAlreadyExists):
        files.InitiateFileTransferToGuest(vm, auth, '/etc/hostname', attrs, 1, False)
    with pytest.raises(vim.fault.NotAFile):
        files.InitiateFileTransferFromGuest(vm, auth, '/tmp')
    big = bytes(range(256)) * 1024   # several pieces of the streamed answer
    url = files.InitiateFileTransferToGuest(vm, auth, '/tmp/big.bin', attrs, len(big), False)
    assert http_status(url, 'GET') == 404          # an upload URL takes a PUT only
    url = files.InitiateFileTransferToGuest(vm, auth, '/tmp/big.bin', attrs, len(big), False)
    assert http_status(url, 'PUT', b'short') == 400
    url = files.InitiateFileTransferToGuest(vm, auth, '/tmp/big.bin', attrs, len(big), False)
    assert upload(url, big) == 200
    assert http_status(url, 'PUT', big) == 404      # one use
    assert http_status(url.replace('token=', 'token=x'), 'PUT', big) == 404
    info = files.InitiateFileTransferFromGuest(vm, auth, '/tmp/big.bin')
    assert download(info.url) == big
    hostname = files.InitiateFileTransferFromGuest(vm, auth, '/etc/hostname')
    assert download(hostname.url).strip() == vm.guest.hostName.encode()


def test_programs_and_processes(gom, vm):
    auth, procs = creds(), gom.processManager
    info = run(gom, vm, '/bin/sh', '-c "echo $GREETING world > /tmp/hi; exit 3"',
               envVariables=['GREETING=hello'])
    assert info.exitCode == 3
    assert run(gom, vm, '/bin/cat', '/tmp/hi >> /tmp/hi2').exitCode == 0
    assert run(gom, vm, '/bin/cat', '/tmp/hi2 > /tmp/hi3').exitCode == 0
    listing = gom.fileManager.ListFilesInGuest(vm, auth, '/tmp/hi3').files
    assert listing[0].size == len('hello world\n')
    assert run(gom, vm, '/bin/cat', '/tmp/nonexistent').exitCode == 1
    assert run(gom, vm, '/bin/ls', '/nowhere').exitCode == 2
    assert run(gom, vm, '/bin/sh', '-c "nosuchcommand"').exitCode == 127
    assert run(gom, vm, '/bin/hostname', '> /tmp/name', workingDirectory='/tmp').exitCode == 0
    with pytest.raises(vim.fault.FileNotFound):
        procs.StartProgramInGuest(vm, auth, vim.vm.guest.ProcessManager.ProgramSpec(
            programPath='/bin/nothing', arguments=''))
    with pytest.raises(vim.fault.FileNotFound):
        procs.StartProgramInGuest(vm, auth, vim.vm.guest.ProcessManager.ProgramSpec(
            programPath='/bin/echo', arguments='', workingDirectory='/nowhere'))
    sleeper = procs.StartProgramInGuest(vm, auth, vim.vm.guest.ProcessManager.ProgramSpec(
        programPath='/bin/sleep', arguments='600'))
    [running] = procs.ListProcessesInGuest(vm, auth, [sleeper])
    assert running.endTime is None and running.exitCode is None
    everything = procs.ListProcessesInGuest(vm, auth, [])
    assert {1, sleeper} <= {process.pid for process in everything}
    procs.TerminateProcessInGuest(vm, auth, sleeper)
    [ended] = procs.ListProcessesInGuest(vm, auth, [sleeper])
    assert ended.exitCode == 143 and ended.endTime is not None
    with pytest.raises(vim.fault.GuestProcessNotFound):
        procs.TerminateProcessInGuest(vm, auth, sleeper)
    with pytest.raises(vim.fault.GuestPermissionDenied):
        procs.TerminateProcessInGuest(vm, auth, 1)
    short = procs.StartProgramInGuest(vm, auth, vim.vm.guest.ProcessManager.ProgramSpec(
        programPath='/bin/sh', arguments='-c "sleep 0.2 && echo done > /tmp/slept"'))
    assert wait_exit(gom, vm, auth, short).exitCode == 0
    assert gom.fileManager.ListFilesInGuest(vm, auth, '/tmp/slept').files[0].size == 5
    env = procs.ReadEnvironmentVariableInGuest(vm, auth, ['HOME', 'NOPE'])
    assert env == ['HOME=/root']
    assert any(entry.startswith('PATH=') for entry in
               procs.ReadEnvironmentVariableInGuest(vm, auth, []))


def test_uploaded_script_runs(gom, vm):
    """Ansible uploads a script and runs it with the shell."""
    auth = creds()
    script = b'echo one > /tmp/script.out\necho two >> /tmp/script.out\nexit 4\n'
    url = gom.fileManager.InitiateFileTransferToGuest(
        vm, auth, '/tmp/job.sh', vim.vm.guest.FileManager.PosixFileAttributes(permissions=0o755),
        len(script), True)
    upload(url, script)
    assert run(gom, vm, '/bin/sh', '-c /tmp/job.sh').exitCode == 4
    out = gom.fileManager.InitiateFileTransferFromGuest(vm, auth, '/tmp/script.out')
    assert download(out.url) == b'one\ntwo\n'


def test_power_cycle_ends_processes_and_tickets(gom, vm):
    auth = creds()
    pid = gom.processManager.StartProgramInGuest(vm, auth, vim.vm.guest.ProcessManager.ProgramSpec(
        programPath='/bin/sleep', arguments='600'))
    ticket = gom.authManager.AcquireCredentialsInGuest(vm, auth)
    url = gom.fileManager.InitiateFileTransferFromGuest(vm, auth, '/etc/hostname').url
    WaitForTask(vm.PowerOffVM_Task())
    WaitForTask(vm.PowerOnVM_Task())
    assert http_status(url) == 404
    assert gom.processManager.ListProcessesInGuest(vm, auth, [pid]) == []
    with pytest.raises(vim.fault.InvalidGuestLogin):
        gom.authManager.ValidateCredentialsInGuest(vm, ticket)
    # the disk keeps its files
    assert gom.fileManager.ListFilesInGuest(vm, auth, '/etc/hostname').files


@pytest.fixture
def windows_vm(si):
    """The second VM, made a Windows 10 guest and powered on."""
    machine = vms(si)[1]
    if machine.runtime.powerState == 'poweredOn':
        WaitForTask(machine.PowerOffVM_Task())
    WaitForTask(machine.ReconfigVM_Task(vim.vm.ConfigSpec(guestId='windows9_64Guest')))
    WaitForTask(machine.PowerOnVM_Task())
    return machine


def test_windows_guest(gom, windows_vm):
    machine = windows_vm
    auth = creds(user='administrator')
    files = gom.fileManager
    with pytest.raises(vim.fault.InvalidGuestLogin):
        files.ListFilesInGuest(machine, creds(), 'C:\\')
    files.MakeDirectoryInGuest(machine, auth, 'C:\\Data', False)
    info = run(gom, machine, 'C:\\Windows\\System32\\cmd.exe',
               '/c echo %USERNAME% > C:\\data\\who.txt', auth=auth)
    assert info.exitCode == 0
    [entry] = files.ListFilesInGuest(machine, auth, 'c:/DATA/WHO.TXT').files
    assert isinstance(entry.attributes, vim.vm.guest.FileManager.WindowsFileAttributes)
    out = files.InitiateFileTransferFromGuest(machine, auth, 'C:\\Data\\who.txt')
    assert download(out.url) == b'Administrator\n'
    files.ChangeFileAttributesInGuest(machine, auth, 'C:\\Data\\who.txt',
                                      vim.vm.guest.FileManager.WindowsFileAttributes(
                                          readOnly=True))
    with pytest.raises(vim.fault.GuestPermissionDenied):
        files.DeleteFileInGuest(machine, auth, 'C:\\Data\\who.txt')
    with pytest.raises(vmodl.fault.InvalidArgument):
        files.ListFilesInGuest(machine, auth, '/etc')
    assert gom.processManager.ReadEnvironmentVariableInGuest(machine, auth, ['username']) == \
        ['USERNAME=Administrator']


def test_path_limits(gom, vm):
    """Paths past PATH_MAX or names past NAME_MAX are refused before the
    tree grows (a deep tree is also walked without recursion)."""
    auth, files = creds(), gom.fileManager
    with pytest.raises(vmodl.fault.InvalidArgument):
        files.MakeDirectoryInGuest(vm, auth, '/tmp/' + 'a/' * 2100, True)
    with pytest.raises(vmodl.fault.InvalidArgument):
        files.MakeDirectoryInGuest(vm, auth, '/tmp/' + 'n' * 256, False)
    deep = '/tmp/deep/' + 'd/' * 1500
    files.MakeDirectoryInGuest(vm, auth, deep, True)
    with pytest.raises(vmodl.fault.InvalidArgument):
        files.MoveDirectoryInGuest(vm, auth, '/tmp/deep', deep + 'inside')
    files.DeleteDirectoryInGuest(vm, auth, '/tmp/deep', True)


def reg_key(path, wow='WOWNative'):
    return vim.vm.guest.WindowsRegistryManager.RegistryKeyName(registryPath=path, wowBitness=wow)


def test_windows_registry(gom, windows_vm, vm):
    auth, reg = creds(user='Administrator'), gom.guestWindowsRegistryManager
    Registry = vim.vm.guest.WindowsRegistryManager
    with pytest.raises(vim.fault.OperationNotSupportedByGuest):
        reg.ListRegistryKeysInGuest(vm, creds(), reg_key('HKEY_LOCAL_MACHINE'), False)
    current = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'
    [product] = reg.ListRegistryValuesInGuest(windows_vm, auth, reg_key(current), False,
                                              'ProductName')
    assert product.data.value == 'Microsoft Windows 10 (64-bit)'
    with pytest.raises(vim.fault.GuestRegistryKeyInvalid):
        reg.CreateRegistryKeyInGuest(windows_vm, auth, reg_key('HKEY_LOCAL_MACHINE\\SOFTWARE\\'
                                                               'Acme\\App'), False, None)
    reg.CreateRegistryKeyInGuest(windows_vm, auth, reg_key('HKEY_LOCAL_MACHINE\\SOFTWARE\\Acme'),
                                 False, None)
    reg.CreateRegistryKeyInGuest(windows_vm, auth, reg_key('HKEY_LOCAL_MACHINE\\software\\acme\\'
                                                           'App'), False, 'cls')
    with pytest.raises(vim.fault.GuestRegistryKeyAlreadyExists):
        reg.CreateRegistryKeyInGuest(windows_vm, auth, reg_key('HKEY_LOCAL_MACHINE\\SOFTWARE\\'
                                                               'ACME'), False, None)
    reg.CreateRegistryKeyInGuest(windows_vm, auth, reg_key('HKEY_CURRENT_USER\\Temp'), True, None)
    with pytest.raises(vim.fault.GuestRegistryKeyParentVolatile):
        reg.CreateRegistryKeyInGuest(windows_vm, auth, reg_key('HKEY_CURRENT_USER\\Temp\\X'),
                                     False, None)
    keys = reg.ListRegistryKeysInGuest(windows_vm, auth, reg_key('HKEY_LOCAL_MACHINE\\SOFTWARE'),
                                       True, '^(Acme|App)$')
    assert [record.key.keyName.registryPath for record in keys] == [
        'HKEY_LOCAL_MACHINE\\SOFTWARE\\Acme', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Acme\\App']
    assert keys[1].key.classType == 'cls'
    app = reg_key('HKEY_LOCAL_MACHINE\\SOFTWARE\\Acme\\App')
    reg.SetRegistryValueInGuest(windows_vm, auth, Registry.RegistryValue(
        name=Registry.RegistryValueName(keyName=app, name='Count'),
        data=Registry.RegistryValueDword(value=7)))
    reg.SetRegistryValueInGuest(windows_vm, auth, Registry.RegistryValue(
        name=Registry.RegistryValueName(keyName=app, name='Home'),
        data=Registry.RegistryValueExpandString(value='%USERPROFILE%\\acme')))
    values = {value.name.name: value.data for value in
              reg.ListRegistryValuesInGuest(windows_vm, auth, app, True)}
    assert values['Count'].value == 7
    assert values['Home'].value == 'C:\\Users\\Administrator\\acme'
    reg.DeleteRegistryValueInGuest(windows_vm, auth, Registry.RegistryValueName(keyName=app,
                                                                                name='count'))
    with pytest.raises(vim.fault.GuestRegistryValueNotFound):
        reg.DeleteRegistryValueInGuest(windows_vm, auth, Registry.RegistryValueName(
            keyName=app, name='Count'))
    with pytest.raises(vim.fault.GuestRegistryKeyHasSubkeys):
        reg.DeleteRegistryKeyInGuest(windows_vm, auth, reg_key('HKEY_LOCAL_MACHINE\\SOFTWARE\\'
                                                               'Acme'), False)
    reg.DeleteRegistryKeyInGuest(windows_vm, auth, reg_key('HKEY_LOCAL_MACHINE\\SOFTWARE\\Acme'),
                                 True)
    with pytest.raises(vim.fault.GuestRegistryKeyInvalid):
        reg.ListRegistryValuesInGuest(windows_vm, auth, app, False)
    # a 32-bit view of HKLM\SOFTWARE is Wow6432Node
    old = reg_key('HKEY_LOCAL_MACHINE\\SOFTWARE\\Old', 'WOW32')
    reg.CreateRegistryKeyInGuest(windows_vm, auth, old, False, None)
    assert reg.ListRegistryKeysInGuest(
        windows_vm, auth, reg_key('HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node'), False, 'Old')
    with pytest.raises(vmodl.fault.InvalidArgument):
        reg.ListRegistryKeysInGuest(windows_vm, auth, reg_key('HKEY_USERS', 'WOW99'), False)
    # a boot loses the volatile keys
    WaitForTask(windows_vm.PowerOffVM_Task())
    WaitForTask(windows_vm.PowerOnVM_Task())
    assert not reg.ListRegistryKeysInGuest(windows_vm, auth, reg_key('HKEY_CURRENT_USER'),
                                           False, '^Temp$')


def test_aliases(gom, vm):
    """VGAuth aliases as govc guest.* and the SAML flows set them up."""
    auth, aliases = creds(), gom.aliasManager
    pem = self_signed(['guest.example'])[0]
    pem = pem.decode() if isinstance(pem, bytes) else pem
    cert = base64.b64encode(ssl.PEM_cert_to_DER_cert(pem)).decode()
    Alias = vim.vm.guest.AliasManager
    alice_subject = Alias.GuestAuthNamedSubject(name='alice@vsphere.local')
    alice = Alias.GuestAuthAliasInfo(subject=alice_subject, comment='a')
    anyone = Alias.GuestAuthAliasInfo(subject=Alias.GuestAuthAnySubject(), comment='any')
    aliases.AddGuestAlias(vm, auth, 'root', True, cert, alice)
    aliases.AddGuestAlias(vm, auth, 'root', False, cert, anyone)
    [listed] = aliases.ListGuestAliases(vm, auth, 'root')
    assert listed.base64Cert == cert and len(listed.aliases) == 2
    [mapped] = aliases.ListGuestMappedAliases(vm, auth)
    assert mapped.username == 'root' and [s.name for s in mapped.subjects] == [
        'alice@vsphere.local']
    with pytest.raises(vmodl.fault.InvalidArgument):
        aliases.AddGuestAlias(vm, auth, 'nobody', False, cert, alice)
    with pytest.raises(vmodl.fault.InvalidArgument):
        aliases.AddGuestAlias(vm, auth, 'root', False, 'not base64!', alice)
    aliases.RemoveGuestAlias(vm, auth, 'root', cert, alice_subject)
    assert aliases.ListGuestMappedAliases(vm, auth) == []
    with pytest.raises(vmodl.fault.InvalidArgument):
        aliases.RemoveGuestAlias(vm, auth, 'root', cert, alice_subject)
    aliases.RemoveGuestAliasByCert(vm, auth, 'root', cert)
    assert aliases.ListGuestAliases(vm, auth, 'root') == []


def test_guest_file_http_refusals(sim, gom, vm):
    """The /guestFile door answers HTTP errors, never the model's faults."""
    auth, files = creds(), gom.fileManager
    base = 'http://%s:%d/guestFile' % (sim.host, sim.port)
    assert http_status(base) == 404
    assert http_status(base + '?id=&token=') == 404
    assert http_status(base + '?id=x', 'DELETE') == 405
    files.MakeDirectoryInGuest(vm, auth, '/tmp/gone', False)
    attrs = vim.vm.guest.FileManager.FileAttributes()
    url = files.InitiateFileTransferToGuest(vm, auth, '/tmp/gone/f', attrs, 2, False)
    files.DeleteDirectoryInGuest(vm, auth, '/tmp/gone', False)
    assert http_status(url, 'PUT', b'ab') == 404     # its directory went meanwhile
    url = files.InitiateFileTransferToGuest(vm, auth, '/tmp/twice', attrs, 2, False)
    other = files.InitiateFileTransferToGuest(vm, auth, '/tmp/twice', attrs, 2, False)
    assert upload(url, b'ab') == 200
    assert http_status(other, 'PUT', b'cd') == 409   # the file came meanwhile


def test_runaway_script_is_killed(gom, vm):
    """A script that runs itself ends after MAX_STEPS commands instead of
    holding the reactor."""
    auth = creds()
    script = b'/tmp/loop.sh\n'
    url = gom.fileManager.InitiateFileTransferToGuest(
        vm, auth, '/tmp/loop.sh', vim.vm.guest.FileManager.FileAttributes(), len(script), True)
    upload(url, script)
    assert run(gom, vm, '/tmp/loop.sh', '').exitCode == 137


def test_guest_state_replays_under_state(validator, tmp_path):
    """With -state, the guest's changes by SOAP calls (tickets included, as
    they are model ids) replay at a restart without divergence."""
    from pyVim.connect import Disconnect
    from tests.test_state import _restarted, _start, _stop, _stopped
    first = _start(validator, tmp_path)
    si = first.connect()
    gom = si.RetrieveContent().guestOperationsManager
    machine = si.content.searchIndex.FindByInventoryPath('DC0/vm/DC0_H0_VM0')
    ticket = gom.authManager.AcquireCredentialsInGuest(machine, creds())
    gom.fileManager.MakeDirectoryInGuest(machine, ticket, '/srv/data', True)
    info = run(gom, machine, '/bin/sh', '-c "hostname > /srv/data/name"', auth=ticket)
    assert info.exitCode == 0
    Disconnect(si)
    second = _restarted(validator, tmp_path, _stopped(first))
    si = second.connect()
    gom = si.RetrieveContent().guestOperationsManager
    machine = si.content.searchIndex.FindByInventoryPath('DC0/vm/DC0_H0_VM0')
    [entry] = gom.fileManager.ListFilesInGuest(machine, creds(), '/srv/data/name').files
    assert entry.size == len(machine.guest.hostName) + 1
    Disconnect(si)
    _stop(second)


def test_esx_guest_operations(esx):
    """An ESXi serves the same guest operations under its ha- managers."""
    from pyVim.connect import Disconnect
    si = esx.connect()
    try:
        gom = si.RetrieveContent().guestOperationsManager
        assert gom.processManager._moId == 'ha-guest-process-manager'
        machine = next(vm for vm in vms(si) if vm.runtime.powerState == 'poweredOn')
        gom.authManager.ValidateCredentialsInGuest(machine, creds())
        assert run(gom, machine, '/bin/echo', 'hi > /tmp/esx').exitCode == 0
    finally:
        Disconnect(si)
