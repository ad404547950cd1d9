"""SAML 2.0 tokens: what the STS issues and what LoginByToken accepts.

One `TokenService` per simulator (`Simulator.token_service`, in the frame:
tokens outlive a reset as they outlive a vCenter's sessions). Its signing
certificate is made on first use (RSA 2048, self-signed, as an SSO domain's
own). A token is an Assertion for one user, signed (enveloped, exclusive
c14n, RSA-SHA256), with a lifetime (`Conditions`), the simulator's audience,
and a subject confirmation: bearer, or holder-of-key naming the holder's
certificate. `validate` refuses what vCenter refuses: a token not signed by
this STS, expired or not yet valid, for another audience.
"""
import base64
import datetime
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from vimsim import clock
from vimsim.server import tls
from vimsim.soap.decode import parse_envelope, soap_header
from vimsim.sts.signatures import (DS, WSU, BadSignature, by_wsu_id, certificate_of,
                                   enveloped_target, sign_enveloped, verify)

SAML = 'urn:oasis:names:tc:SAML:2.0:assertion'
XSI = 'http://www.w3.org/2001/XMLSchema-instance'
WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd'
BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer'
HOLDER_OF_KEY = 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key'
UPN = 'http://schemas.xmlsoap.org/claims/UPN'
DOMAIN = 'vsphere.local'
MAX_LIFETIME = datetime.timedelta(days=30)   # vCenter's default maximum token lifetime
CLOCK_TOLERANCE = datetime.timedelta(minutes=10)   # vCenter's default clock skew


def timestamp(moment):
    return moment.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'


def parse_time(text):
    """An xsd:dateTime of a token or request (UTC), or None."""
    try:
        value = datetime.datetime.fromisoformat((text or '').strip().replace('Z', '+00:00'))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


class InvalidToken(Exception):
    """Why a token is refused."""


class Token:
    """A validated token: its user, the holder's certificate (None for a
    bearer token), its lifetime and whether it may be renewed."""

    def __init__(self, user, holder, not_before, not_after, renewable, delegatable):
        self.user = user
        self.holder = holder
        self.not_before = not_before
        self.not_after = not_after
        self.renewable = renewable
        self.delegatable = delegatable


class TokenService:
    def __init__(self, server):
        self.server = server
        self._key = None
        self._certificate = None   # DER

    def _signing_pair(self):
        if self._key is None:
            cert_pem, key_pem = tls.self_signed(['ssoserver-sign'])
            self._key = serialization.load_pem_private_key(key_pem, password=None)
            self._certificate = x509.load_pem_x509_certificate(cert_pem).public_bytes(
                serialization.Encoding.DER)
        return self._key, self._certificate

    @property
    def audience(self):
        """Whom its tokens are for: this vCenter."""
        about = self.server.service_instance.content.about
        return 'urn:vimsim:vcenter:%s' % (about.instanceUuid if about is not None else '')

    @property
    def issuer(self):
        return 'https://vimsim/websso/SAML2/Metadata/%s' % DOMAIN

    def issue(self, user, not_before, not_after, holder=None, renewable=False,
              delegatable=False):
        """A signed Assertion element for `user`; `holder` (a certificate's
        DER) makes it holder-of-key."""
        key, certificate = self._signing_pair()
        now = clock.now().replace(tzinfo=datetime.timezone.utc)
        nsmap = {'saml2': SAML, 'xsi': XSI, 'ds': DS}
        assertion = etree.Element('{%s}Assertion' % SAML, nsmap=nsmap, ID='_%s' % uuid.uuid4(),
                                  IssueInstant=timestamp(now), Version='2.0')
        issuer = etree.SubElement(assertion, '{%s}Issuer' % SAML,
                                  Format='urn:oasis:names:tc:SAML:2.0:nameid-format:entity')
        issuer.text = self.issuer
        subject = etree.SubElement(assertion, '{%s}Subject' % SAML)
        name = etree.SubElement(subject, '{%s}NameID' % SAML, Format=UPN)
        name.text = user
        confirmation = etree.SubElement(subject, '{%s}SubjectConfirmation' % SAML,
                                        Method=HOLDER_OF_KEY if holder else BEARER)
        data = etree.SubElement(confirmation, '{%s}SubjectConfirmationData' % SAML,
                                NotOnOrAfter=timestamp(not_after))
        if holder:
            data.set('{%s}type' % XSI, 'saml2:KeyInfoConfirmationDataType')
            x509_data = etree.SubElement(etree.SubElement(data, '{%s}KeyInfo' % DS),
                                         '{%s}X509Data' % DS)
            etree.SubElement(x509_data, '{%s}X509Certificate' % DS).text = \
                base64.b64encode(holder).decode()
        conditions = etree.SubElement(assertion, '{%s}Conditions' % SAML,
                                      NotBefore=timestamp(not_before),
                                      NotOnOrAfter=timestamp(not_after))
        restriction = etree.SubElement(conditions, '{%s}AudienceRestriction' % SAML)
        etree.SubElement(restriction, '{%s}Audience' % SAML).text = self.audience
        if delegatable:
            etree.SubElement(conditions, '{%s}ProxyRestriction' % SAML, Count='10')
        if renewable:   # vCenter's own condition: the token may be renewed
            etree.SubElement(conditions, '{%s}Condition' % SAML, {
                '{%s}type' % XSI: 'saml2:RenewRestrictionType'}, Count='10')
        statement = etree.SubElement(assertion, '{%s}AuthnStatement' % SAML,
                                     AuthnInstant=timestamp(now))
        context = etree.SubElement(statement, '{%s}AuthnContext' % SAML)
        etree.SubElement(context, '{%s}AuthnContextClassRef' % SAML).text = \
            'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport'
        sign_enveloped(assertion, key, certificate, after=issuer)
        return assertion

    def validate(self, assertion, now=None):
        """The Token an Assertion element is, or InvalidToken: signed by this
        STS, within its lifetime (with vCenter's clock tolerance), for this
        vCenter."""
        if assertion is None or assertion.tag != '{%s}Assertion' % SAML:
            raise InvalidToken('not a SAML 2.0 assertion')
        key, _ = self._signing_pair()
        signature = assertion.find('{%s}Signature' % DS)
        if signature is None:
            raise InvalidToken('the token is not signed')
        wanted = '#' + (assertion.get('ID') or '')
        try:
            verify(signature, key.public_key(),
                   lambda uri: enveloped_target(assertion, signature) if uri == wanted else None)
        except BadSignature as error:
            raise InvalidToken('the token is not signed by this STS (%s)' % error) from None
        conditions = assertion.find('{%s}Conditions' % SAML)
        not_before = parse_time(conditions.get('NotBefore')) if conditions is not None else None
        not_after = parse_time(conditions.get('NotOnOrAfter')) if conditions is not None else None
        if not_before is None or not_after is None:
            raise InvalidToken('the token has no lifetime')
        now = now or clock.now().replace(tzinfo=datetime.timezone.utc)
        if now + CLOCK_TOLERANCE < not_before or now >= not_after + CLOCK_TOLERANCE:
            raise InvalidToken('the token is expired or not yet valid')
        audiences = [a.text for a in conditions.iter('{%s}Audience' % SAML)]
        if self.audience not in audiences:
            raise InvalidToken('the token is for another audience')
        subject = assertion.find('{%s}Subject' % SAML)
        user = subject.findtext('{%s}NameID' % SAML) if subject is not None else None
        confirmation = subject.find('{%s}SubjectConfirmation' % SAML) if subject is not None \
            else None
        if not user or confirmation is None:
            raise InvalidToken('the token has no subject')
        holder = None
        if confirmation.get('Method') == HOLDER_OF_KEY:
            try:
                holder = certificate_of(confirmation.findtext('.//{%s}X509Certificate' % DS))
            except BadSignature:
                raise InvalidToken("the holder's certificate is unreadable") from None
        return Token(user, holder, not_before, not_after,
                     renewable=conditions.find('{%s}Condition' % SAML) is not None,
                     delegatable=conditions.find('{%s}ProxyRestriction' % SAML) is not None)

    def user_of(self, body):
        """The user a LoginByToken request's token logs in, or None: the
        WS-Security header's Assertion, valid (`validate`); for a
        holder-of-key token, the request's Body signed by the holder's key."""
        fault_type = self.server.schema.types['MethodFault'].cls
        try:
            header = soap_header(parse_envelope(body))
        except fault_type:
            return None
        security = header.find('{%s}Security' % WSSE) if header is not None else None
        if security is None:
            return None
        try:
            token = self.validate(security.find('{%s}Assertion' % SAML))
            if token.holder is not None:
                self._check_holder_signature(security, token)
        except InvalidToken:
            return None
        return token.user

    @staticmethod
    def _check_holder_signature(security, token):
        signature = security.find('{%s}Signature' % DS)
        envelope = security.getroottree().getroot()
        body = next((child for child in envelope if isinstance(child.tag, str)
                     and etree.QName(child).localname == 'Body'), None)
        if signature is None or body is None:
            raise InvalidToken("the request is not signed by the token's holder")
        signed = {reference.get('URI') for reference in signature.iter('{%s}Reference' % DS)}
        body_id = body.get('{%s}Id' % WSU)
        if not body_id or '#' + body_id not in signed:
            raise InvalidToken("the request's Body is not signed")
        try:
            verify(signature, token.holder.public_key(), by_wsu_id(envelope))
        except BadSignature as error:
            raise InvalidToken("the request is not signed by the token's holder (%s)"
                               % error) from None
