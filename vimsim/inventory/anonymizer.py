"""`vimsim record --anonymize`: replace what identifies a recorded site.

Every text value of every document of one recording goes through one
rewrite, so the same original gets the same replacement in every file:

- entity names (the `name` property of every recorded object, but
  vCenter's fixed folder and pool names) and DNS names (host names, domain
  and search domains) become ``<Type>-<n>`` (``dns-<n>``), wherever they
  occur (datastore paths, summaries, guest host names), matched without
  regard to case, and so do a host name's first label and its domain
  (``domain<n>.example``);
- IPv4 addresses become 10.x.y.z and IPv6 addresses fd00::n (netmasks,
  0.0.0.0, loopback and unspecified addresses stay);
- MAC addresses become locally administered 02:00:00:xx:xx:xx;
- UUIDs and other hex identifiers (``8-4-4-4-12``, VMFS ``8-8-4-12``, vSAN
  ``16-16``, spaced pairs as switches and BIOS serials write them, 32 digits,
  certificate thumbprints)
  keep their shape but get other digits, from a keyed hash of their digits,
  so one identifier written two ways stays one identifier;
- serial numbers and identifying values (`serialNumber`,
  `identifierValue`) become ``SN-<hash>``.

Moids, type names, property names and versions are never changed, so every reference
still resolves. The hash key is random per recording: replacements cannot
be looked up across recordings.
"""
import hashlib
import ipaddress
import re
import secrets

from lxml import etree

# vCenter's and ESXi's own names: identify nothing
FIXED_NAMES = {'datacenters', 'vm', 'host', 'datastore', 'network', 'resources',
               'ha-folder-root', 'ha-datacenter', 'none', 'localhost', 'localdomain',
               'localhost.localdomain'}
DNS_ELEMENTS = ('hostName', 'domainName', 'searchDomain', 'domain')   # their values are names
SERIAL_ELEMENTS = {'serialNumber', 'serial', 'enclosureSerialNumber', 'identifierValue'}

_HEX_ID = (r'[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}'
           r'|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}'
           r'|[0-9A-Fa-f]{16}-[0-9A-Fa-f]{16}'
           r'|[0-9A-Fa-f]{2}(?: [0-9A-Fa-f]{2}){7}[- ][0-9A-Fa-f]{2}(?: [0-9A-Fa-f]{2}){7}'
           r'|[0-9A-Fa-f]{32}'
           r'|[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){19,63}')   # certificate thumbprints
_MAC = r'[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5}'
_IPV4 = r'\d{1,3}(?:\.\d{1,3}){3}'
_IPV6 = r'(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}'
_ADDRESSES = (r'(?<![0-9A-Za-z])(?P<hex>%s)(?![0-9A-Za-z])'
              r'|(?<![0-9A-Za-z:.])(?:(?P<mac>%s)|(?P<ipv6>%s))(?![0-9A-Za-z:.])'
              r'|(?<![0-9.])(?P<ipv4>%s)(?![0-9]|\.[0-9])' % (_HEX_ID, _MAC, _IPV6, _IPV4))
_ADDRESS_PATTERN = re.compile(_ADDRESSES)
_MASK_OCTETS = {'0', '128', '192', '224', '240', '248', '252', '254', '255'}


class Anonymizer:
    def __init__(self, key=None):
        self.key = key or secrets.token_bytes(16)
        self.replaced = {}   # (kind, original lowered) -> replacement
        self.counts = {}
        self.taken = set()   # the originals (lowered): what no replacement may be
        self.pattern = None

    # -- the rewrite -------------------------------------------------------------------
    def rewrite(self, documents):
        """Anonymize the recording's documents (lxml elements) in place."""
        self.learn_names(documents)
        values = list(self.values(documents))
        for element, _ in values:   # no replacement may be an original
            if self.may_hold_address(element.text):
                self.taken.update(match.group(0).lower()
                                  for match in _ADDRESS_PATTERN.finditer(element.text))
        for element, local in values:
            if local in SERIAL_ELEMENTS:
                element.text = 'SN-' + self.digest(element.text)[:12]
            else:
                element.text = self.text(element.text)

    @staticmethod
    def values(documents):
        """(element, local name) of every text value to rewrite."""
        for root in documents:
            for element in root.iter():
                if not isinstance(element.tag, str) or not element.text:
                    continue
                local = etree.QName(element).localname
                if element.get('type') is not None or local.lower().endswith('version') \
                        or local == 'name' and \
                        etree.QName(element.getparent()).localname == 'propSet':
                    continue   # a moid, a version ('8.0.3.0' is no address), a property path
                yield element, local

    def learn_names(self, documents):
        """The names to replace: every recorded object's `name`, and the
        domains of those that are host names."""
        names = {}
        for root in documents:
            obj = root.find('{urn:vim25}obj')
            obj = obj if obj is not None else root.find('obj')
            for prop in root:
                if etree.QName(prop).localname != 'propSet' or obj is None:
                    continue
                parts = {etree.QName(child).localname: child for child in prop}
                if parts.get('name') is not None and parts['name'].text == 'name' \
                        and parts.get('val') is not None and parts['val'].text:
                    names.setdefault(parts['val'].text, obj.get('type'))
            for element in root.iter(*('{urn:vim25}' + n for n in DNS_ELEMENTS), *DNS_ELEMENTS):
                text = (element.text or '').strip()
                if len(text) >= 4:   # shorter ones ('dns', '0') are words, not names
                    names.setdefault(text, 'dns')
        for name in list(names):   # a host name's first label, alone (a guest's hostName)
            label = name.split('.', 1)[0]
            if '.' in name and len(label) >= 4 and not _is_address(name):
                names.setdefault(label, names[name])
        self.taken.update(name.lower() for name in names)
        alternatives = []
        for name, type_name in sorted(names.items(), key=lambda item: -len(item[0])):
            if name.lower() in FIXED_NAMES or _is_address(name) or name.isdigit():
                continue
            self.replacement('name', name, type_name)
            if '.' in name and not name.endswith('.'):
                domain = name.split('.', 1)[1]
                if '.' in domain or len(domain) > 3:
                    self.replacement('domain', domain, None)
            alternatives.append(name)
        domains = [original for kind, original in self.replaced if kind == 'domain']
        words = sorted(set(alternatives) | set(domains), key=len, reverse=True)
        long_words = [re.escape(word) for word in words if len(word) >= 3]
        named = r'|(?P<name>(?i:%s))' % '|'.join(long_words) if long_words else ''
        # one pass, so a replacement is never rewritten again
        self.pattern = re.compile(_ADDRESSES + named)
        self.words = [word.lower() for word in words if len(word) >= 3]
        self.short_names = {word.lower() for word in words if len(word) < 3}

    @staticmethod
    def may_hold_address(text):
        """Cheap: can `text` hold an identifier or address at all?"""
        return len(text) >= 16 or '.' in text or ':' in text

    def text(self, text):
        lowered = text.lower()
        if lowered in self.short_names:
            return self.replaced.get(('name', lowered)) or self.replaced[('domain', lowered)]
        if any(word in lowered for word in self.words):
            return self.pattern.sub(self._match, text)
        if self.may_hold_address(text):   # the same without the names: much faster
            return _ADDRESS_PATTERN.sub(self._match, text)
        return text

    def _match(self, match):
        kind = match.lastgroup
        found = match.group(kind)
        if kind == 'name':
            lowered = found.lower()
            return self.replaced.get(('name', lowered)) or self.replaced[('domain', lowered)]
        if kind == 'hex':
            return self.reshape(found)
        if kind == 'mac':
            return self.replacement('mac', found, None)
        if kind == 'ipv4':
            return self.ipv4(found)
        return self.ipv6(found)

    # -- replacements ------------------------------------------------------------------
    def replacement(self, kind, original, type_name):
        """The replacement of `original`, made on first sight."""
        key = (kind, original.lower())
        found = self.replaced.get(key)
        while found is None or found.lower() in self.taken:
            counter = (kind, type_name)
            n = self.counts[counter] = self.counts.get(counter, 0) + 1
            if kind == 'name':
                found = '%s-%d' % (type_name or 'Object', n)
            elif kind == 'domain':
                found = 'domain%d.example' % n
            elif kind == 'mac':
                found = '02:00:00:%02x:%02x:%02x' % ((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
            elif kind == 'ipv4':
                found = '10.%d.%d.%d' % ((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff)
            else:
                found = 'fd00::%x' % n
            self.replaced[key] = found
        return found

    def ipv4(self, text):
        try:
            address = ipaddress.IPv4Address(text)
        except ValueError:
            return text
        if address.is_loopback or address.is_unspecified or text.startswith('255.') \
                and set(text.split('.')) <= _MASK_OCTETS:
            return text
        return self.replacement('ipv4', str(address), None)

    def ipv6(self, text):
        try:
            address = ipaddress.IPv6Address(text)
        except ValueError:
            return text
        if address.is_loopback or address.is_unspecified:
            return text
        return self.replacement('ipv6', str(address), None)

    def digest(self, text):
        return hashlib.sha256(self.key + text.lower().encode()).hexdigest()

    def reshape(self, text):
        """`text` with its hex digits replaced by a keyed hash of them, the
        separators and letter case kept."""
        digits = iter(self.digest(re.sub('[^0-9A-Fa-f]', '', text)) * 2)
        out = []
        for char in text:
            if char in '0123456789abcdefABCDEF':
                new = next(digits)
                out.append(new.upper() if char.isupper() else new)
            else:
                out.append(char)
        return ''.join(out)


def _is_address(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False
