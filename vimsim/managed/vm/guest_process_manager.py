"""GuestProcessManager: programs started in the simulated guest (its small
shell and command set, simulated_guest.Run), the process list with exit
codes and end times, termination, and the guest's environment."""
import re
import shlex

from vimsim import clock
from vimsim.managed.entity import data_types
from vimsim.managed.manager import Manager, manager_type
from vimsim.managed.vm.simulated_guest import (TERMINATED_EXIT_CODE, Process, Run,
                                               not_a_directory, not_a_file)
from vimsim.soap.fault import FileNotFound, InvalidArgument, fault

def process_not_found(pid):
    return fault('GuestProcessNotFound', 'The guest process %d was not found.' % pid, pid=pid)


@manager_type('GuestProcessManager')
class GuestProcessManager(Manager):
    guests = None   # the GuestStore, set by GuestOperationsManager

    def StartProgramInGuest(self, ctx, vm, auth, spec):
        """Start `spec` as the guest's user: the program must be a file of
        the guest (FileNotFound), the working directory a directory; the
        answer is its pid, at once, while a `sleep` keeps it running."""
        guest = self.guests.enter(ctx, vm, auth)
        fs = guest.files
        program = fs.node(spec.programPath, 'spec.programPath')
        if program.is_dir:
            raise not_a_file(spec.programPath)
        cwd = spec.workingDirectory or guest.environment.get('HOME') or \
            guest.environment['USERPROFILE']
        directory = fs.find(fs.parts(cwd, 'spec.workingDirectory'))
        if directory is None:
            raise FileNotFound(cwd)
        if not directory.is_dir:
            raise not_a_directory(cwd)
        env = dict(guest.environment)
        for entry in spec.envVariables:
            name, sep, value = entry.partition('=')
            if not sep or not name:
                raise InvalidArgument('spec.envVariables')
            env[name] = value
        pid = guest.new_pid()
        name = re.split(r'[\\/]', spec.programPath)[-1]
        process = Process(pid, name, guest.user, '"%s" %s' % (spec.programPath, spec.arguments),
                          clock.now())
        guest.processes[pid] = process
        quoted = ('"%s"' % spec.programPath) if guest.windows else shlex.quote(spec.programPath)
        Run(guest, process, fs.display(fs.parts(cwd, 'spec.workingDirectory')), env).start(
            quoted + ' ' + spec.arguments)
        return pid

    def ListProcessesInGuest(self, ctx, vm, auth, pids=()):
        """The guest's processes (those of `pids` when given), exited ones
        with their end time and exit code for EXITED_PROCESS_LIFETIME."""
        guest = self.guests.enter(ctx, vm, auth)
        guest.prune_exited()
        wanted = set(pids)
        T = data_types(self.server)
        return [process.info(T) for pid, process in sorted(guest.processes.items())
                if not wanted or pid in wanted]

    def TerminateProcessInGuest(self, ctx, vm, auth, pid):
        guest = self.guests.enter(ctx, vm, auth)
        process = guest.processes.get(pid)
        if process is None or process.end is not None:
            raise process_not_found(pid)
        if process.system:
            raise fault('GuestPermissionDenied',
                        'Insufficient permissions in guest operating system.')
        if process.pending is not None and process.pending.active():
            process.pending.cancel()
        process.pending = None
        process.end = clock.now()
        process.exit_code = TERMINATED_EXIT_CODE[guest.windows]

    def ReadEnvironmentVariableInGuest(self, ctx, vm, auth, names=()):
        """`NAME=value` for each of `names` the guest has (all when none are
        named); Windows names ignore case."""
        guest = self.guests.enter(ctx, vm, auth)
        env = guest.environment
        if not names:
            return ['%s=%s' % item for item in sorted(env.items())]
        fold = (lambda text: text.lower()) if guest.windows else (lambda text: text)
        by_name = {fold(name): (name, value) for name, value in env.items()}
        return ['%s=%s' % by_name[fold(name)] for name in names if fold(name) in by_name]
