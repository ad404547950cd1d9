"""vcsim's -trace: every SOAP request and its response, written out as they
pass, to -trace-file or stderr."""
import codecs
import sys

from twisted.internet import defer


def traced(handle_soap, path=''):
    """Wrap a SOAP handler so that each exchange is written to `path`
    (appended to) or, when empty, to stderr."""
    out = open(path, 'a', encoding='utf-8') if path else sys.stderr

    def write(request, response):
        out.write('--- %s %s %s SOAPAction: %s\n%s\n--- %d\n' % (
            request.peer, request.method, request.path,
            request.headers.get('soapaction', ''),
            request.body.decode('utf-8', 'replace'), response.status))
        if response.streamed:          # written as its pieces pass
            response.body = passing(response.body)
            return response
        out.write('%s\n' % response.body.decode('utf-8', 'replace'))
        out.flush()
        return response

    def passing(pieces):
        decoder = codecs.getincrementaldecoder('utf-8')('replace')
        for piece in pieces:
            out.write(decoder.decode(piece))
            yield piece
        out.write(decoder.decode(b'', final=True) + '\n')
        out.flush()

    def handle(request):
        response = handle_soap(request)
        if isinstance(response, defer.Deferred):
            return response.addCallback(lambda done: write(request, done))
        return write(request, response)

    return handle
