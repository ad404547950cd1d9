"""Validation of every SOAP response against the schema the server serves.

The validator asks the app itself for its served vim.wsdl and schemas (the
very bytes a client downloads, filtered to the server's API version), compiles
the WSDL's inline schema plus a `FetchResponse` element (Fetch is in no WSDL;
its returnval is an xsi:typed anyType), and validates the operation element
of each response, or the `<XFault>` element of a fault's detail.
"""
import os
import tempfile

from lxml import etree
from twisted.internet import defer

from vimsim.server import SOAP_PATHS
from vimsim.server.http import HttpRequest

XS = 'http://www.w3.org/2001/XMLSchema'
WSDL = 'http://schemas.xmlsoap.org/wsdl/'
SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/'
SCHEMA_FILES = ('core-types.xsd', 'query-types.xsd', 'query-messagetypes.xsd',
                'reflect-types.xsd', 'reflect-messagetypes.xsd', 'vim-types.xsd',
                'vim-messagetypes.xsd')


def compile_served_schema(app):
    """An lxml XMLSchema of the documents `app` serves under /sdk/."""
    directory = tempfile.mkdtemp(prefix='vimsim-schema-')
    for name in SCHEMA_FILES + ('vim.wsdl',):
        response = app(HttpRequest('GET', '/sdk/' + name))
        assert response.status == 200, name
        with open(os.path.join(directory, name), 'wb') as out:
            out.write(response.body)
    wsdl = etree.parse(os.path.join(directory, 'vim.wsdl'))
    inline = wsdl.find('{%s}types/{%s}schema' % (WSDL, XS))
    fetch = etree.SubElement(inline, '{%s}element' % XS, name='FetchResponse')
    sequence = etree.SubElement(etree.SubElement(fetch, '{%s}complexType' % XS),
                                '{%s}sequence' % XS)
    etree.SubElement(sequence, '{%s}element' % XS, name='returnval',
                     type='xsd:anyType', minOccurs='0')
    path = os.path.join(directory, 'all.xsd')
    etree.ElementTree(inline).write(path)
    return etree.XMLSchema(etree.parse(path))


class ResponseValidator:
    """Wraps apps; records every SOAP response that does not validate."""

    def __init__(self):
        self.failures = []
        self.checked = 0

    def wrap(self, app):
        schema_holder = []

        def validating_app(request):
            response = app(request)
            if request.method != 'POST' or request.path not in SOAP_PATHS:
                return response
            if isinstance(response, defer.Deferred):
                return response.addCallback(check)
            return check(response)

        validating_app.body_sink = getattr(app, 'body_sink', None)

        def check(response):
            if not schema_holder:
                schema_holder.append(compile_served_schema(app))
            if response.streamed:      # validated whole once its last piece passed
                response.body = validated_pieces(response.body)
            else:
                self.validate(schema_holder[0], response.body)
            return response

        def validated_pieces(pieces):
            seen = []
            for piece in pieces:
                seen.append(piece)
                yield piece
            self.validate(schema_holder[0], b''.join(seen))

        return validating_app

    def validate(self, schema, body):
        self.checked += 1
        envelope = etree.fromstring(body)
        body_element = envelope.find('{%s}Body' % SOAP_ENV)
        element = body_element[0]
        if element.tag == '{%s}Fault' % SOAP_ENV:
            detail = element.find('detail')
            if detail is None or len(detail) == 0:
                # vCenter's faults about the request's header carry no detail
                if element.findtext('faultcode') != 'VersionMismatchFaultCode':
                    self.failures.append('fault without detail: %s' % body[:300])
                return
            element = detail[0]
        document = etree.ElementTree(_detached(element))
        if not schema.validate(document):
            self.failures.append('%s: %s' % (etree.QName(element).localname,
                                             schema.error_log.filter_from_errors()[:3]))


def _detached(element):
    """A copy of `element` as a document root, keeping in-scope namespaces."""
    return etree.fromstring(etree.tostring(element))
