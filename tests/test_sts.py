"""The STS at /sts/STSService through pyVmomi's `pyVim.sso`: bearer and
holder-of-key SAML tokens for SSO users, LoginByToken with them, Renew,
and the tokens and requests vCenter refuses."""
import datetime
import ssl
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from pyVim import sso
from pyVmomi import SoapStubAdapter, vim

from tests.conftest import _simulator, on_reactor

USER, PASSWORD = 'administrator@vsphere.local', 'Secret1!'
SAML = 'urn:oasis:names:tc:SAML:2.0:assertion'


@pytest.fixture(scope='module')
def sim(validator):
    """HTTPS (pyVim.sso speaks TLS only), one account."""
    return _simulator(validator, username=USER, password=PASSWORD)


def _context():
    return ssl._create_unverified_context()


def _authenticator(sim):
    return sso.SsoAuthenticator(sts_url='https://%s:%d/sts/STSService' % (sim.host, sim.port))


def _stub(sim):
    return SoapStubAdapter(host=sim.host, port=sim.port, sslContext=_context(), poolSize=0)


def _login(sim, token, key_file=None):
    """LoginByToken as pyVim.connect's token login methods call it: the
    token in the stub's WS-Security header, a holder-of-key request signed."""
    stub = _stub(sim)
    si = vim.ServiceInstance('ServiceInstance', stub)
    stub.samlToken = token
    try:
        if key_file is None:
            session = si.content.sessionManager.LoginByToken()
        else:
            with stub.requestModifier(lambda request: sso.add_saml_context(
                    request, token, key_file)):
                session = si.content.sessionManager.LoginByToken()
    finally:
        stub.samlToken = None
    return si, session


def test_acceptance_bearer_token_and_login_by_token(sim):
    """Acceptance: a bearer token from the STS for an SSO user, then
    LoginByToken: the session is that user's and serves calls."""
    token = _authenticator(sim).get_bearer_saml_assertion(USER, PASSWORD,
                                                          ssl_context=_context())
    assertion = etree.fromstring(token)
    assert assertion.findtext('{%s}Subject/{%s}NameID' % (SAML, SAML)) == USER
    assert assertion.find('{%s}Subject/{%s}SubjectConfirmation' % (SAML, SAML)).get(
        'Method') == 'urn:oasis:names:tc:SAML:2.0:cm:bearer'
    si, session = _login(sim, token)
    assert session.userName == USER
    assert si.content.sessionManager.currentSession.key == session.key
    assert si.content.rootFolder.name


def test_wrong_credentials_fail_authentication(sim):
    with pytest.raises(sso.SoapException) as raised:
        _authenticator(sim).get_bearer_saml_assertion(USER, 'wrong', ssl_context=_context())
    assert raised.value._fault_code == 'wst:FailedAuthentication'


def _solution_user(tmp_path, name):
    """A solution user's key pair as PEM files: (certificate, key)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / (name + '.crt'), tmp_path / (name + '.key')
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def test_holder_of_key_token_and_signed_login(sim, tmp_path):
    """A solution user's signed request gets a holder-of-key token naming
    its certificate; LoginByToken with it needs the request signed by that
    key (add_saml_context): unsigned, or signed by another key, is refused."""
    cert_file, key_file = _solution_user(tmp_path, USER)
    token = _authenticator(sim).get_hok_saml_assertion(cert_file, key_file,
                                                       ssl_context=_context())
    confirmation = etree.fromstring(token).find('{%s}Subject/{%s}SubjectConfirmation'
                                                % (SAML, SAML))
    assert confirmation.get('Method') == 'urn:oasis:names:tc:SAML:2.0:cm:holder-of-key'
    _, session = _login(sim, token, key_file)
    assert session.userName == USER
    with pytest.raises(vim.fault.InvalidLogin):
        _login(sim, token)
    _, other_key = _solution_user(tmp_path, 'someone-else')
    with pytest.raises(vim.fault.InvalidLogin):
        _login(sim, token, other_key)
    _, unknown_key = _solution_user(tmp_path, 'not-a-user')
    with pytest.raises(sso.SoapException):   # a certificate of no SSO user
        _authenticator(sim).get_hok_saml_assertion(
            tmp_path / 'not-a-user.crt', unknown_key, ssl_context=_context())


def _issued(sim, user=USER, lifetime=datetime.timedelta(minutes=5), shift=None,
            audience=None):
    """A token the simulator's STS signs for `user`, `shift` from now, for
    `audience` (default: the simulator's)."""
    def issue():
        tokens = sim.sim.token_service
        now = datetime.datetime.now(datetime.timezone.utc) + (shift or datetime.timedelta())
        if audience is not None:
            class Elsewhere(type(tokens)):
                pass
            Elsewhere.audience = audience
            other = Elsewhere(sim.sim)
            other._key, other._certificate = tokens._signing_pair()
            tokens = other
        return etree.tostring(tokens.issue(user, now, now + lifetime)).decode()
    return on_reactor(issue)


def test_refused_tokens_answer_invalid_login(sim):
    """Expired, forged (changed after signing), signed by another STS, or
    for another audience: InvalidLogin."""
    assert _login(sim, _issued(sim))[1].userName == USER
    expired = _issued(sim, shift=-datetime.timedelta(hours=2))
    forged = _issued(sim, user='root').replace('>root<', '>%s<' % USER)

    def foreign():
        from vimsim.sts.tokens import TokenService
        return etree.tostring(TokenService(sim.sim).issue(
            USER, datetime.datetime.now(datetime.timezone.utc),
            datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=5))).decode()
    other_sts = on_reactor(foreign)
    elsewhere = _issued(sim, audience='urn:vimsim:vcenter:another')
    for token in (expired, forged, other_sts, elsewhere, '<not-a-token/>'):
        with pytest.raises(vim.fault.InvalidLogin):
            _login(sim, token)


def _post(sim, body):
    request = urllib.request.Request('https://%s:%d/sts/STSService' % (sim.host, sim.port),
                                     data=body.encode(), method='POST',
                                     headers={'Content-Type': 'text/xml; charset=UTF-8'})
    try:
        with urllib.request.urlopen(request, context=_context()) as response:
            return response.status, etree.fromstring(response.read())
    except urllib.error.HTTPError as error:
        return error.code, etree.fromstring(error.read())


RENEW = '''<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header>
<wsse:Security xmlns:wsse=
 "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"/>
</S:Header><S:Body><wst:RequestSecurityToken
 xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512">
<wst:TokenType>urn:oasis:names:tc:SAML:2.0:assertion</wst:TokenType>
<wst:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Renew</wst:RequestType>
<wst:RenewTarget>%s</wst:RenewTarget></wst:RequestSecurityToken></S:Body></S:Envelope>'''


def test_renew_issues_a_renewable_token_again(sim):
    """A renewable bearer token renewed gets a new lifetime and logs in; a
    token issued not renewable cannot be renewed; junk is InvalidRequest."""
    token = _authenticator(sim).get_bearer_saml_assertion(USER, PASSWORD, renewable=True,
                                                          ssl_context=_context())
    status, answer = _post(sim, RENEW % token)
    assert status == 200
    renewed = answer.find('.//{%s}Assertion' % SAML)
    old = etree.fromstring(token)
    assert renewed.get('ID') != old.get('ID')
    assert renewed.findtext('.//{%s}NameID' % SAML) == USER
    assert _login(sim, etree.tostring(renewed).decode())[1].userName == USER
    fixed = _authenticator(sim).get_bearer_saml_assertion(USER, PASSWORD,
                                                          ssl_context=_context())
    status, answer = _post(sim, RENEW % fixed)
    assert status == 500 and answer.findtext('.//faultcode') == 'wst:InvalidRequest'
    assert _issue_for(sim, '2020-01-01T00:00:00Z', '9999-12-31T23:59:59Z') == \
        'wst:InvalidTimeRange'   # capped at 30 days from its start: long over
    for junk in ('not xml', '<a/>', RENEW % '<x/>'):
        status, answer = _post(sim, junk)
        assert status == 500 and answer.findtext('.//faultcode') == 'wst:InvalidRequest'


ISSUE = '''<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">
<S:Header><wsse:Security xmlns:wsse=
 "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">
<wsse:UsernameToken><wsse:Username>%s</wsse:Username><wsse:Password>%s</wsse:Password>
</wsse:UsernameToken></wsse:Security></S:Header><S:Body><wst:RequestSecurityToken
 xmlns:wst="http://docs.oasis-open.org/ws-sx/ws-trust/200512">
<wst:RequestType>http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue</wst:RequestType>
<wst:Lifetime><wsu:Created>%s</wsu:Created><wsu:Expires>%s</wsu:Expires></wst:Lifetime>
</wst:RequestSecurityToken></S:Body></S:Envelope>'''


def _issue_for(sim, created, expires):
    """The fault code of an Issue asking for that lifetime (None: issued)."""
    status, answer = _post(sim, ISSUE % (USER, PASSWORD, created, expires))
    return None if status == 200 else answer.findtext('.//faultcode')
