"""What is wrong with an answer, judged from the request and the schema alone.

An answer must be HTTP 200 with the operation's `<XResponse>` or HTTP 500 with
a SOAP fault whose detail names a vim fault type; never a `SystemError` (the
endpoint's internal error); a fault for a request that had to be refused
(`Request.must_fault`); without a session, only what the schema's
`System.Anonymous` privilege admits (no property but the anonymous ones).
Problems are `(kind, detail)`; `signature` groups them into defects.
"""
import re

from lxml import etree

SOAP_ENV = '{http://schemas.xmlsoap.org/soap/envelope/}'
VIM = '{urn:vim25}'
XSI_TYPE = '{http://www.w3.org/2001/XMLSchema-instance}type'
ANONYMOUS = 'System.Anonymous'
INTERNAL_FAULTS = ('SystemError',)
HEADER_FAULT = 'VersionMismatchFaultCode'   # vCenter's fault for an unknown SOAPAction version
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)


class Outcome:
    """The judged answer: `fault` (a fault type name, or None for a result),
    the parsed envelope (`body`, None when unreadable) and `problems`."""
    __slots__ = ('fault', 'body', 'problems')

    def __init__(self):
        self.fault = None
        self.body = None
        self.problems = []

    @property
    def ok(self):
        return self.body is not None and self.fault is None

    def fault_detail(self):
        """The fault's detail element (its first child), or None."""
        if self.body is None or self.fault is None:
            return None
        detail = self.body.find('%sBody/%sFault/detail' % (SOAP_ENV, SOAP_ENV))
        return detail[0] if detail is not None and len(detail) else None


def judge(schema, request, status, body, with_session):
    """The Outcome of `request` answered with `status` and `body`."""
    outcome = Outcome()
    problems = outcome.problems
    if status not in (200, 500):
        problems.append(('http-status', 'HTTP %d: %r' % (status, body[:120])))
        return outcome
    try:
        envelope = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as error:
        problems.append(('malformed-answer', 'not XML: %s' % error))
        return outcome
    element = envelope.find(SOAP_ENV + 'Body')
    if envelope.tag != SOAP_ENV + 'Envelope' or element is None or not len(element):
        problems.append(('malformed-answer', 'not a SOAP envelope with a body'))
        return outcome
    answer = element[0]
    outcome.body = envelope
    if answer.tag == SOAP_ENV + 'Fault':
        if status != 500:
            problems.append(('status-mismatch', 'a fault with HTTP %d' % status))
        outcome.fault = _fault_type(schema, answer, problems)
        if outcome.fault in INTERNAL_FAULTS:
            problems.append(('internal-error', '%s: %s' % (
                outcome.fault, answer.findtext('faultstring'))))
        return outcome
    if status != 200:
        problems.append(('status-mismatch', 'a result with HTTP %d' % status))
    expected = VIM + request.operation + 'Response'
    if answer.tag != expected and request.corruption is None:
        problems.append(('wrong-element', '%s answered %s' % (request.operation, answer.tag)))
    if request.must_fault:
        problems.append(('accepted-invalid', request.invalid()[0]))
    if not with_session:
        problems.extend(_unauthenticated(schema, request, answer))
    return outcome


def _fault_type(schema, fault, problems):
    if fault.find('faultcode') is None or fault.find('faultstring') is None:
        problems.append(('fault-shape', 'no faultcode or faultstring'))
    detail = fault.find('detail')
    if fault.findtext('faultcode') == HEADER_FAULT and detail is None:
        return HEADER_FAULT   # about the request's header (its SOAPAction): no detail
    if detail is None or not len(detail):
        problems.append(('fault-shape', 'a fault without detail'))
        return 'unknown'
    name = (detail[0].get(XSI_TYPE) or '').rpartition(':')[2]
    fault_type = schema.types.get(name)
    if fault_type is None or not fault_type.is_fault:
        problems.append(('fault-shape', 'detail type %r is not a fault' % name))
        return 'unknown'
    return name


def _unauthenticated(schema, request, answer):
    """Problems of a result given to a call without a session."""
    if request.operation == 'Fetch':
        this = [c.attrs.get('type') for c in request.root.children if c.tag == '_this']
        prop = [c.text or '' for c in request.root.children if c.tag == 'prop']
        if not (this and prop) or not _anonymous_property(schema, this[-1], prop[-1]):
            return [('unauthenticated', 'Fetch of %s.%s' % (this[-1:], prop[-1:]))]
        return []
    operation = schema.operations.get(request.operation)
    if operation is not None and operation.privilege != ANONYMOUS:
        return [('unauthenticated', request.operation)]
    problems = []
    for holder in answer.iter(VIM + 'returnval', VIM + 'objects', VIM + 'objectSet'):
        obj = holder.find(VIM + 'obj')
        if obj is None:
            continue
        for change in holder.findall(VIM + 'propSet') + holder.findall(VIM + 'changeSet'):
            name = change.findtext(VIM + 'name') or ''
            if not _anonymous_property(schema, obj.get('type'), name):
                problems.append(('anonymous-read', '%s read %s.%s' % (
                    request.operation, obj.get('type'), name.split('.')[0])))
                return problems
    return problems


def _anonymous_property(schema, type_name, path):
    managed = schema.managed.get(type_name)
    field = managed.property_map.get(path.split('.')[0]) if managed is not None else None
    return field is not None and field.privilege == ANONYMOUS


# -- tracebacks ----------------------------------------------------------------------
_FRAME = re.compile(r'File "([^"]+)", line \d+, in (\S+)')
_EXCEPTION = re.compile(r'^(?:builtins\.)?([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt|'
                        r'Warning|Iteration|Fault|[A-Z]\w*))(?::|$)')


def traceback_signature(text):
    """(exception type, innermost vimsim frame, outermost vimsim frame) of a
    Python or Twisted traceback, frames as 'vimsim/path.py:function'; None
    when `text` holds no traceback."""
    if 'Traceback (most recent call last)' not in text:
        return None
    ours = ['vimsim/%s:%s' % (path.rsplit('/vimsim/', 1)[1], function)
            for path, function in _FRAME.findall(text) if '/vimsim/' in path]
    exception = '?'
    for line in reversed(text.strip().splitlines()):
        match = _EXCEPTION.match(line.strip())
        if match and not line.startswith(' '):
            exception = match.group(1).rsplit('.', 1)[-1]
            break
    return exception, ours[-1] if ours else '?', ours[0] if ours else '?'
