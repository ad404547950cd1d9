"""Validation of every SOAP response against the schema the server serves.

The validator asks the app itself for its served vim.wsdl and schemas (the
very bytes a client downloads, filtered to the server's API version; for
/pbm/sdk, PBM's pbm.wsdl and schemas; for /vslm/sdk, vslm's; /vsanHealth's
answers are vim25's), compiles
the WSDL's inline schema plus a `FetchResponse` element (Fetch is in no WSDL;
its returnval is an xsi:typed anyType), and validates the operation element
of each response, or the `<XFault>` element of a fault's detail.
"""
import os
import tempfile

from lxml import etree
from twisted.internet import defer

from vimsim.pbm.endpoint import PATHS as PBM_PATHS
from vimsim.server import SOAP_PATHS
from vimsim.server.http import HttpRequest
from vimsim.lookup.endpoint import PATHS as LOOKUP_PATHS
from vimsim.vslm.endpoint import PATHS as VSLM_PATHS
from vimsim.vsan.endpoint import PATHS as VSAN_PATHS

XS = 'http://www.w3.org/2001/XMLSchema'
WSDL = 'http://schemas.xmlsoap.org/wsdl/'
SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/'
SCHEMA_FILES = ('core-types.xsd', 'query-types.xsd', 'query-messagetypes.xsd',
                'reflect-types.xsd', 'reflect-messagetypes.xsd', 'vim-types.xsd',
                'vim-messagetypes.xsd')


# each SOAP endpoint: its paths, where its documents are, its schema files and WSDL
ENDPOINTS = [(SOAP_PATHS, '/sdk/', SCHEMA_FILES, 'vim.wsdl'),
             (VSAN_PATHS, '/sdk/', SCHEMA_FILES, 'vim.wsdl'),   # vSAN's vim25 methods
             (PBM_PATHS, '/pbm/sdk/', ('core-types.xsd', 'pbm-types.xsd',
                                       'pbm-messagetypes.xsd'), 'pbm.wsdl'),
             (VSLM_PATHS, '/vslm/sdk/', ('core-types.xsd', 'vim-types.xsd', 'vslm-types.xsd',
                                         'vslm-messagetypes.xsd'), 'vslm.wsdl'),
             (LOOKUP_PATHS, '/lookupservice/sdk/', ('core-types.xsd', 'lookup-types.xsd',
                                                    'lookup-messagetypes.xsd'), 'lookup.wsdl')]


def compile_served_schema(app, where='/sdk/', files=SCHEMA_FILES, wsdl_name='vim.wsdl'):
    """An lxml XMLSchema of the documents `app` serves under `where` (written
    to a temporary directory for the includes to resolve, removed once the
    schema is compiled: a suite compiles hundreds)."""
    with tempfile.TemporaryDirectory(prefix='vimsim-schema-') as directory:
        for name in files + (wsdl_name,):
            response = app(HttpRequest('GET', where + name))
            assert response.status == 200, name
            with open(os.path.join(directory, name), 'wb') as out:
                out.write(response.body)
        wsdl = etree.parse(os.path.join(directory, wsdl_name))
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
        schemas = {}   # endpoint index -> its compiled schema

        def validating_app(request):
            response = app(request)
            if request.method != 'POST':
                return response
            endpoint = next((index for index, (paths, *_) in enumerate(ENDPOINTS)
                             if request.path in paths), None)
            if endpoint is None:
                return response
            if isinstance(response, defer.Deferred):
                return response.addCallback(check, endpoint)
            return check(response, endpoint)

        validating_app.body_sink = getattr(app, 'body_sink', None)

        def check(response, endpoint):
            if response.status == 404:   # no such endpoint here (PBM on ESX)
                return response
            if endpoint not in schemas:
                schemas[endpoint] = compile_served_schema(app, *ENDPOINTS[endpoint][1:])
            if response.streamed:      # validated whole once its last piece passed
                response.body = validated_pieces(response.body, schemas[endpoint])
            else:
                self.validate(schemas[endpoint], response.body)
            return response

        def validated_pieces(pieces, schema):
            seen = []
            for piece in pieces:
                seen.append(piece)
                yield piece
            self.validate(schema, b''.join(seen))

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
