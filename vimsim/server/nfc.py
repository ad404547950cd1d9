"""/nfc: the disk transfer URLs of HttpNfcLeases.

    PUT|POST /nfc/<ticket>/disk-N.vmdk   an import lease's disk (the body:
                                         a stream-optimized VMDK or a flat image)
    GET      /nfc/<ticket>/disk-N.vmdk   an export lease's disk, stream-optimized

The ticket in the path is the credential (as an ESXi NFC ticket is); a URL
of no ready lease, or of a lease of the other direction, answers 404. An
upload's body goes to the disk as it arrives (the HTTP front's body sink),
a download is written as it is read: neither holds a disk in memory.
"""
from vimsim.managed.storage import datastore_files as files
from vimsim.server.folder import Refused, _text
from vimsim.server.http import HttpResponse

PREFIX = '/nfc/'
UPLOAD_METHODS = ('PUT', 'POST')


class Nfc:
    """The /nfc handler (`handle`) and upload sink (`body_sink`) of one simulator."""

    def __init__(self, simulator):
        self.simulator = simulator

    def _target(self, request):
        """(lease, device) the request's path names, or None."""
        from vimsim.managed.storage.http_nfc_lease import lease_device
        ticket, _, file_name = request.path[len(PREFIX):].partition('/')
        if not ticket or not file_name or '/' in file_name:
            return None
        return lease_device(self.simulator, ticket, file_name)

    def handle(self, request):
        if not request.path.startswith(PREFIX):
            return None
        if request.method in UPLOAD_METHODS and request.sink is not None:
            return request.sink.finish()
        if request.method not in UPLOAD_METHODS + ('GET',):
            return _text(405, 'Method Not Allowed', headers=[('Allow', 'GET, PUT, POST')])
        target = self._target(request)
        if target is None or target[0].importing != (request.method in UPLOAD_METHODS):
            return _text(404, 'Not Found')
        lease, device = target
        if request.method == 'GET':
            try:
                body = lease.download(device)
            except FileNotFoundError:
                return _text(404, 'Not Found')
            return HttpResponse(200, body, content_type='application/octet-stream')
        sink = DiskUpload(lease, device)          # an empty body: no sink was asked for
        return sink.finish()

    def body_sink(self, request):
        if request.method not in UPLOAD_METHODS or not request.path.startswith(PREFIX):
            return None
        target = self._target(request)
        if target is None or not target[0].importing:
            return Refused(_text(404, 'Not Found'))
        return DiskUpload(*target)


class DiskUpload:
    """An upload's body written into the lease's disk as it arrives."""

    def __init__(self, lease, device):
        from vimsim.managed.storage.http_nfc_lease import Upload
        self.lease = lease
        self.device = device
        self.problem = None
        try:
            self.upload = Upload(device, server=lease.server)
        except OSError as error:
            self.upload = None
            self.problem = _text(500, 'Cannot open the disk: %s' % (error.strerror or error))

    def write(self, data):
        from vimsim.managed.storage.http_nfc_lease import TransferError
        if self.problem is not None:
            return                   # the rest of the body is read and dropped
        try:
            self.upload.write(data)
        except TransferError as error:
            self.upload.abort()
            self.problem = _text(error.status, str(error))
        self.lease.touch()

    def finish(self):
        from vimsim.managed.storage.http_nfc_lease import TransferError
        if self.problem is not None:
            return self.problem
        try:
            self.device.transferred = self.upload.finish()
        except TransferError as error:
            return _text(error.status, str(error))
        self.lease.touch()
        files.touched(self.device.datastore)
        return _text(200, 'OK')

    def abort(self):
        if self.upload is not None and self.problem is None:
            self.upload.abort()
