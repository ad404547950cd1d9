"""/guestFile: the URLs GuestFileManager's InitiateFileTransfer* hand out.
GET of a download URL streams the guest file's bytes; PUT of an upload URL
writes the body as the file, with the attributes the upload was granted
with. A URL serves once and expires (guest_file_manager.TRANSFER_LIFETIME);
an unknown, used or expired one answers 404, as does one whose guest has
since powered off; one whose user has since lost the guest-operation
privilege on the VM answers 403."""
import hmac
from urllib.parse import parse_qs

from vimsim import clock
from vimsim.managed.admin.permissions import user_may
from vimsim.managed.vm.guest_file_manager import apply_attributes, file_target
from vimsim.server.http import HttpResponse

PATH = '/guestFile'
PIECE = 64 * 1024
# what the granting user must still hold on the VM when the URL is used:
# the privileges of InitiateFileTransferFromGuest / ToGuest
TRANSFER_PRIVILEGES = {'GET': 'VirtualMachine.GuestOperations.Query',
                       'PUT': 'VirtualMachine.GuestOperations.Modify'}
# the guest's refusal of an upload, by fault type, as HTTP statuses
UPLOAD_REFUSALS = {'FileNotFound': 404, 'GuestPermissionDenied': 403}


def _text(status, message, headers=None):
    return HttpResponse(status, message.encode() + b'\n', headers=headers,
                        content_type='text/plain; charset=utf-8')


def _pieces(data):
    for start in range(0, len(data), PIECE):
        yield data[start:start + PIECE]


class GuestFile:
    """The /guestFile handler of one simulator; `handle` returns None for
    other paths."""

    def __init__(self, simulator):
        self.simulator = simulator

    def handle(self, request):
        if request.path != PATH:
            return None
        if request.method not in ('GET', 'PUT'):
            return _text(405, 'Method Not Allowed', headers=[('Allow', 'GET, PUT')])
        manager = getattr(self.simulator, 'managers', {}).get('guestOperationsManager')
        store = getattr(manager, 'guests', None)
        transfer = self._claim(store, request.query)
        if transfer is None or transfer.upload != (request.method == 'PUT'):
            return _text(404, 'Not Found')
        vm = transfer.vm
        guest = store.guest_of(vm)
        if (guest is None or vm.server.objects.get(vm.ref) is not vm or not vm.tools_running
                or guest.boot_time != vm.boot_time):
            return _text(404, 'Not Found')
        if not user_may(self.simulator, transfer.user, vm, TRANSFER_PRIVILEGES[request.method]):
            return _text(403, 'Forbidden')
        if request.method == 'GET':
            return self._download(guest, transfer)
        return self._upload(guest, transfer, request.body)

    @staticmethod
    def _claim(store, query):
        """The transfer the query's id and token name, taken out (one use)."""
        if store is None:
            return None
        fields = parse_qs(query, keep_blank_values=True)
        transfer_id = (fields.get('id') or [''])[0]
        token = (fields.get('token') or [''])[0]
        transfer = store.transfers.get(transfer_id)
        if transfer is None or not hmac.compare_digest(transfer.token.encode(),
                                                       token.encode('utf-8', 'replace')):
            return None
        del store.transfers[transfer_id]
        return transfer if transfer.expires >= clock.seconds() else None

    @staticmethod
    def _download(guest, transfer):
        fs = guest.files
        node = fs.find(fs.parts(transfer.path, 'guestFilePath'))
        if node is None or node.is_dir:
            return _text(404, 'Not Found')
        return HttpResponse(200, _pieces(node.data), content_type='application/octet-stream')

    @staticmethod
    def _upload(guest, transfer, body):
        if len(body) != transfer.size:
            return _text(400, 'Body of %d bytes for a transfer of %d' % (len(body),
                                                                         transfer.size))
        method_fault = guest.vm.server.schema.types['MethodFault'].cls
        try:
            file_target(guest, transfer.path, 'guestFilePath', transfer.overwrite)
        except method_fault as refusal:
            return _text(UPLOAD_REFUSALS.get(type(refusal).__name__, 409), str(refusal))
        node = guest.files.write(transfer.path, bytes(body), owner_id=0)
        apply_attributes(node, transfer.attributes)
        return _text(200, 'OK')
