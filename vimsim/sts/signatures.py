"""XML signatures as WS-Security and SAML use them: exclusive
canonicalization, RSA with SHA-256 or SHA-512, references to elements by
ID. Only this profile (what vCenter's STS and pyVmomi's `pyVim.sso` send)
is read; anything else is refused rather than half checked. Written on
lxml and cryptography, both already dependencies (see README's
dependencies for why not signxml)."""
import base64
import hashlib

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from lxml import etree

DS = 'http://www.w3.org/2000/09/xmldsig#'
WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd'
EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#'
ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature'
# SignatureMethod / DigestMethod algorithm -> hash
SIGNATURE_HASHES = {'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': hashes.SHA256,
                    'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': hashes.SHA512}
DIGESTS = {'http://www.w3.org/2001/04/xmlenc#sha256': hashlib.sha256,
           'http://www.w3.org/2001/04/xmlenc#sha512': hashlib.sha512}
RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'
SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256'


class BadSignature(Exception):
    """A signature that is missing, malformed, of another profile or wrong."""


def canonical(element):
    return etree.tostring(element, method='c14n', exclusive=True, with_comments=False)


def _ds(parent, name, **attributes):
    return etree.SubElement(parent, '{%s}%s' % (DS, name), **attributes)


def sign_enveloped(element, key, certificate, after):
    """Sign `element` (its `ID` attribute) with an enveloped signature
    placed right after its child `after` (SAML: the Issuer): RSA-SHA256,
    the certificate in KeyInfo."""
    digest = base64.b64encode(hashlib.sha256(canonical(element)).digest()).decode()
    signature = etree.Element('{%s}Signature' % DS, nsmap={'ds': DS})
    info = _ds(signature, 'SignedInfo')
    _ds(info, 'CanonicalizationMethod', Algorithm=EXC_C14N)
    _ds(info, 'SignatureMethod', Algorithm=RSA_SHA256)
    reference = _ds(info, 'Reference', URI='#' + element.get('ID'))
    transforms = _ds(reference, 'Transforms')
    _ds(transforms, 'Transform', Algorithm=ENVELOPED)
    _ds(transforms, 'Transform', Algorithm=EXC_C14N)
    _ds(reference, 'DigestMethod', Algorithm=SHA256)
    _ds(reference, 'DigestValue').text = digest
    after.addnext(signature)
    value = key.sign(canonical(info), padding.PKCS1v15(), hashes.SHA256())
    _ds(signature, 'SignatureValue').text = base64.b64encode(value).decode()
    data = _ds(_ds(signature, 'KeyInfo'), 'X509Data')
    _ds(data, 'X509Certificate').text = base64.b64encode(certificate).decode()


def verify(signature, public_key, resolve):
    """Check a ds:Signature: every reference's digest (`resolve(uri)` gives
    the element an URI names, as the signer digested it) and the
    SignedInfo's signature by `public_key`. BadSignature otherwise."""
    info = signature.find('{%s}SignedInfo' % DS)
    value = signature.findtext('{%s}SignatureValue' % DS)
    if info is None or not value:
        raise BadSignature('no SignedInfo or SignatureValue')
    method = info.find('{%s}SignatureMethod' % DS)
    c14n = info.find('{%s}CanonicalizationMethod' % DS)
    if c14n is None or c14n.get('Algorithm') != EXC_C14N or method is None \
            or method.get('Algorithm') not in SIGNATURE_HASHES:
        raise BadSignature('unsupported signature algorithms')
    references = info.findall('{%s}Reference' % DS)
    if not references:
        raise BadSignature('nothing signed')
    for reference in references:
        digest = DIGESTS.get(reference.find('{%s}DigestMethod' % DS).get('Algorithm')
                             if reference.find('{%s}DigestMethod' % DS) is not None else None)
        transforms = [t.get('Algorithm') for t in reference.iter('{%s}Transform' % DS)]
        if digest is None or not set(transforms) <= {ENVELOPED, EXC_C14N}:
            raise BadSignature('unsupported reference')
        target = resolve(reference.get('URI') or '')
        if target is None:
            raise BadSignature('reference to nothing')
        expected = base64.b64encode(digest(canonical(target)).digest()).decode()
        if expected != (reference.findtext('{%s}DigestValue' % DS) or '').strip():
            raise BadSignature('digest mismatch')
    try:
        public_key.verify(base64.b64decode(value), canonical(info), padding.PKCS1v15(),
                          SIGNATURE_HASHES[method.get('Algorithm')]())
    except (InvalidSignature, ValueError, TypeError) as error:
        raise BadSignature('signature mismatch') from error


def enveloped_target(element, signature):
    """The element as an enveloped signature's signer digested it: a copy
    without the signature."""
    copy = etree.fromstring(etree.tostring(element))
    for found in copy.iter('{%s}Signature' % DS):
        if found.getparent() is copy:
            copy.remove(found)
            break
    return copy


def certificate_of(text):
    """An X509Certificate element's text (base64 DER) as a certificate."""
    try:
        return x509.load_der_x509_certificate(base64.b64decode(text or ''))
    except (ValueError, TypeError) as error:
        raise BadSignature('unreadable certificate') from error


def by_wsu_id(document):
    """resolve() for WS-Security references: '#id' -> the element whose
    wsu:Id (or ID) is id."""
    def resolve(uri):
        if not uri.startswith('#'):
            return None
        wanted = uri[1:]
        for element in document.iter():
            if isinstance(element.tag, str) and wanted in (
                    element.get('{%s}Id' % WSU), element.get('ID')):
                return element
        return None
    return resolve
