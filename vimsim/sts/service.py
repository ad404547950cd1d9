"""/sts/STSService: WS-Trust 1.3 Issue and Renew of SAML 2.0 tokens, as
vCenter's Security Token Service answers pyVmomi's `pyVim.sso`.

Issue authenticates the requester by its WS-Security header: a
UsernameToken (an SSO user's name and password, checked as Login checks
them, so -users and the lockout apply) gets a bearer token; a
BinarySecurityToken whose key signed the request's Body and Timestamp (a
solution user: the certificate's CN must be a user who may log in) gets a
holder-of-key token for that certificate. Renew takes a renewable token of
this STS (RenewTarget) that has not expired, signed by the holder's key for
a holder-of-key token, and issues it again for a new lifetime. Faults are
WS-Trust's, as SOAP 1.1 faults of a code and a string: FailedAuthentication,
InvalidRequest, InvalidTimeRange, RequestFailed; an expired wsu:Timestamp is
wsse:MessageExpired.
"""
import base64
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from lxml import etree

from vimsim import clock
from vimsim.server.http import HttpResponse
from vimsim.soap.decode import parse_envelope, soap_header
from vimsim.sts.signatures import DS, WSU, BadSignature, by_wsu_id, verify
from vimsim.sts.tokens import MAX_LIFETIME, SAML, WSSE, InvalidToken, parse_time

PATHS = ('/sts/STSService', '/sts/STSService/vsphere.local')
WST = 'http://docs.oasis-open.org/ws-sx/ws-trust/200512'
SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/'
ISSUE = WST + '/Issue'
RENEW = WST + '/Renew'
BEARER_KEY = WST + '/Bearer'
PUBLIC_KEY = WST + '/PublicKey'
DEFAULT_LIFETIME = datetime.timedelta(minutes=30)


class StsFault(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class StsService:
    """POST /sts/STSService of one simulator."""

    def __init__(self, simulator):
        self.simulator = simulator

    def handle(self, request):
        """A vCenter's SSO only: an ESXi host has no STS (404)."""
        if request.method != 'POST' or request.path not in PATHS or self.simulator.esx:
            return None
        try:
            body = self.answer(request.body)
        except StsFault as error:
            return _fault(error.code, str(error))
        return HttpResponse(200, body)

    def answer(self, body):
        fault_type = self.simulator.schema.types['MethodFault'].cls
        try:
            rst = parse_envelope(body)
        except fault_type as error:   # not XML, not SOAP, a DTD
            raise StsFault('wst:InvalidRequest', str(error.args[0] if error.args else error))
        if rst.tag != '{%s}RequestSecurityToken' % WST:
            raise StsFault('wst:InvalidRequest', 'Not a RequestSecurityToken')
        header = soap_header(rst)
        security = header.find('{%s}Security' % WSSE) if header is not None else None
        if security is None:
            raise StsFault('wst:FailedAuthentication', 'No WS-Security header')
        self._check_timestamp(security)
        request_type = (rst.findtext('{%s}RequestType' % WST) or '').strip()
        if request_type == ISSUE:
            token = self._issue(rst, security)
        elif request_type == RENEW:
            token = self._renew(rst, security)
        else:
            raise StsFault('wst:InvalidRequest', 'Unsupported RequestType %s' % request_type)
        return _response(rst, token)

    # -- who asks ------------------------------------------------------------------
    @staticmethod
    def _check_timestamp(security):
        expires = security.findtext('{%s}Timestamp/{%s}Expires' % (WSU, WSU))
        if expires is not None:
            moment = parse_time(expires)
            if moment is None:
                raise StsFault('wst:InvalidRequest', 'Malformed wsu:Timestamp')
            if moment < _now():
                raise StsFault('wsse:MessageExpired', 'The request has expired')

    def _signer(self, security):
        """The certificate of a BinarySecurityToken whose key signed the
        request (None when the request carries none)."""
        binary = security.find('{%s}BinarySecurityToken' % WSSE)
        if binary is None:
            return None
        try:
            certificate = x509.load_der_x509_certificate(base64.b64decode(binary.text or ''))
        except ValueError:
            raise StsFault('wst:InvalidRequest', 'Unreadable BinarySecurityToken') from None
        signature = security.find('{%s}Signature' % DS)
        if signature is None:
            raise StsFault('wst:FailedAuthentication', 'The request is not signed')
        try:
            verify(signature, certificate.public_key(), by_wsu_id(security.getroottree()))
        except BadSignature as error:
            raise StsFault('wst:FailedAuthentication',
                           'The request signature is not valid: %s' % error) from None
        return certificate

    def _user(self, security, signer):
        sessions = self.simulator.session_manager
        username = security.find('{%s}UsernameToken' % WSSE)
        if username is not None:
            name = username.findtext('{%s}Username' % WSSE) or ''
            user = sessions.authenticate(name, username.findtext('{%s}Password' % WSSE) or '')
        elif signer is not None:
            names = signer.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            user = sessions.known_user(names[0].value if names else '')
        else:
            user = None
        if user is None:
            raise StsFault('wst:FailedAuthentication', 'Authentication failed')
        return user

    # -- what is asked -------------------------------------------------------------
    def _issue(self, rst, security):
        signer = self._signer(security)
        user = self._user(security, signer)
        key_type = (rst.findtext('{%s}KeyType' % WST) or BEARER_KEY).strip()
        if key_type not in (BEARER_KEY, PUBLIC_KEY):
            raise StsFault('wst:InvalidRequest', 'Unsupported KeyType %s' % key_type)
        holder = None
        if key_type == PUBLIC_KEY:
            holder = signer
            if holder is None:
                raise StsFault('wst:InvalidRequest', 'A holder-of-key token needs the '
                               "holder's signature")
        not_before, not_after = _lifetime(rst)
        renewing = rst.find('{%s}Renewing' % WST)
        return self.simulator.token_service.issue(
            user, not_before, not_after,
            holder=holder and holder.public_bytes(serialization.Encoding.DER),
            renewable=renewing is not None and renewing.get('Allow') == 'true',
            delegatable=(rst.findtext('{%s}Delegatable' % WST) or '').strip() == 'true')

    def _renew(self, rst, security):
        target = rst.find('{%s}RenewTarget/{%s}Assertion' % (WST, SAML))
        tokens = self.simulator.token_service
        try:
            token = tokens.validate(target)
        except InvalidToken as error:
            raise StsFault('wst:InvalidRequest', 'The token cannot be renewed: %s' % error) \
                from None
        if not token.renewable:
            raise StsFault('wst:InvalidRequest', 'The token is not renewable')
        if token.holder is not None:
            signer = self._signer(security)
            if signer is None or signer.public_bytes(serialization.Encoding.DER) != \
                    token.holder.public_bytes(serialization.Encoding.DER):
                raise StsFault('wst:FailedAuthentication', "The request is not signed by "
                               "the token's holder")
        not_before, not_after = _lifetime(rst)
        return tokens.issue(token.user, not_before, not_after,
                            holder=token.holder and token.holder.public_bytes(
                                serialization.Encoding.DER),
                            renewable=True, delegatable=token.delegatable)


def _now():
    return clock.now().replace(tzinfo=datetime.timezone.utc)


def _lifetime(rst):
    """(not before, not after) a request asks for: its Lifetime, at most
    MAX_LIFETIME long; now and DEFAULT_LIFETIME without one."""
    now = _now()
    lifetime = rst.find('{%s}Lifetime' % WST)
    if lifetime is None:
        return now, now + DEFAULT_LIFETIME
    created = parse_time(lifetime.findtext('{%s}Created' % WSU)) or now
    expires = parse_time(lifetime.findtext('{%s}Expires' % WSU))
    if expires is not None:
        expires = min(expires, created + MAX_LIFETIME)
    if expires is None or expires <= created or expires <= now:
        raise StsFault('wst:InvalidTimeRange', 'The requested lifetime is not valid')
    return created, expires


def _response(rst, assertion):
    """The RequestSecurityTokenResponseCollection holding the token."""
    envelope = etree.Element('{%s}Envelope' % SOAP_ENV, nsmap={
        'S': SOAP_ENV, 'wst': WST, 'wsu': WSU})
    body = etree.SubElement(envelope, '{%s}Body' % SOAP_ENV)
    collection = etree.SubElement(body, '{%s}RequestSecurityTokenResponseCollection' % WST)
    response = etree.SubElement(collection, '{%s}RequestSecurityTokenResponse' % WST)
    etree.SubElement(response, '{%s}TokenType' % WST).text = \
        'urn:oasis:names:tc:SAML:2.0:assertion'
    conditions = assertion.find('{%s}Conditions' % SAML)
    lifetime = etree.SubElement(response, '{%s}Lifetime' % WST)
    etree.SubElement(lifetime, '{%s}Created' % WSU).text = conditions.get('NotBefore')
    etree.SubElement(lifetime, '{%s}Expires' % WSU).text = conditions.get('NotOnOrAfter')
    etree.SubElement(response, '{%s}RequestedSecurityToken' % WST).append(assertion)
    renewable = 'true' if conditions.find('{%s}Condition' % SAML) is not None else 'false'
    etree.SubElement(response, '{%s}Renewing' % WST, Allow=renewable, OK='false')
    etree.SubElement(response, '{%s}Delegatable' % WST).text = \
        'true' if conditions.find('{%s}ProxyRestriction' % SAML) is not None else 'false'
    holder = assertion.find('{%s}Subject//{%s}X509Certificate' % (SAML, DS))
    etree.SubElement(response, '{%s}KeyType' % WST).text = \
        BEARER_KEY if holder is None else PUBLIC_KEY
    return etree.tostring(envelope, xml_declaration=True, encoding='UTF-8')


def _fault(code, message):
    """A SOAP 1.1 fault of exactly a code and a string (pyVim.sso reads the
    fault's two text nodes)."""
    envelope = etree.Element('{%s}Envelope' % SOAP_ENV, nsmap={
        'S': SOAP_ENV, 'wst': WST, 'wsse': WSSE})
    fault = etree.SubElement(etree.SubElement(envelope, '{%s}Body' % SOAP_ENV),
                             '{%s}Fault' % SOAP_ENV)
    etree.SubElement(fault, 'faultcode').text = code
    etree.SubElement(fault, 'faultstring').text = message
    return HttpResponse(500, etree.tostring(envelope, xml_declaration=True, encoding='UTF-8'))
