"""The questions a VM's host asks (`runtime.question`) and AnswerVM.

ESXi asks whether a VM was moved or copied when its identity may be
another's: here, a VM registered (RegisterVM_Task) while another VM of the
inventory has its BIOS uuid asks as it next powers on. The power-on task
waits, running, until AnswerVM answers: Cancel fails it (RequestCanceled),
"I Moved It" keeps the identity, "I Copied It" gives the VM a new BIOS uuid
and MACs (`VirtualMachine.take_new_identity`); then the power-on goes on and
the VM does not ask again. A wrong question id is ConcurrentAccess, as when
another client answered first.
"""
from twisted.internet import defer

from vimsim.soap.fault import InvalidArgument, fault

CANCEL, MOVED, COPIED = '0', '1', '2'
MOVED_OR_COPIED = ((CANCEL, 'button.uuid.cancel', 'Cancel'),
                   (MOVED, 'button.uuid.movedTheVM', 'I Moved It'),
                   (COPIED, 'button.uuid.copiedTheVM', 'I Copied It'))
MOVED_OR_COPIED_ID = 'msg.uuid.altered'
MOVED_OR_COPIED_TEXT = ('This virtual machine might have been moved or copied. To configure '
                        'its management and networking features, the host needs to know '
                        'which. If you do not know, answer "I Copied It".')


def note_registration(vm):
    """After RegisterVM_Task: the VM asks at its next power-on when another
    VM of the inventory has its BIOS uuid."""
    uuid = vm.uuid
    vm.asks_moved_or_copied = any(
        other is not vm and other.uuid == uuid
        for other in vm.server.objects.of_type('VirtualMachine'))


class PendingQuestion:
    """A question asked, and the power-on waiting for its answer."""

    def __init__(self, info):
        self.info = info
        self.answered = defer.Deferred()


def ask_at_power_on(vm):
    """A Deferred that fires once the VM's question is answered (None: the
    VM asks nothing)."""
    if not vm.asks_moved_or_copied:
        return None
    T = vm.T
    vm.question_serial += 1
    info = T.VirtualMachineQuestionInfo(
        id='_vmx%d' % vm.question_serial,
        text='%s:%s' % (MOVED_OR_COPIED_ID, MOVED_OR_COPIED_TEXT),
        choice=T.ChoiceOption(choiceInfo=[
            T.ElementDescription(key=key, label=label, summary=label)
            for key, _, label in MOVED_OR_COPIED], defaultIndex=int(COPIED)),
        message=[T.VirtualMachineMessage(id=MOVED_OR_COPIED_ID, argument=[],
                                         text=MOVED_OR_COPIED_TEXT)])
    vm.pending_question = PendingQuestion(info)
    vm.changed('runtime', 'summary')
    return vm.pending_question.answered


def answer(task_events, vm, question_id, choice):
    """AnswerVM: answer the VM's question `question_id` with `choice` (a
    choice key); `task_events(type, **fields)` posts the events an answer
    brings."""
    pending = vm.pending_question
    if pending is None or pending.info.id != question_id:
        raise fault('ConcurrentAccess', 'The question has been or is being answered by '
                    'another user or client.')
    if choice not in {key for key, _, _ in MOVED_OR_COPIED}:
        raise InvalidArgument('answerChoice')
    vm.pending_question = None
    vm.changed('runtime', 'summary')
    if choice == CANCEL:
        pending.answered.errback(fault('RequestCanceled', 'The operation was canceled by the '
                                       'user answering the virtual machine question.'))
        return
    vm.asks_moved_or_copied = False
    if choice == COPIED:
        vm.take_new_identity(task_events)
    pending.answered.callback(None)
