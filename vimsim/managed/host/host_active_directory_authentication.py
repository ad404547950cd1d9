"""HostActiveDirectoryAuthentication: a host's Active Directory membership
and smart card authentication (one of HostAuthenticationManager's
`supportedStore`), as Ansible's vmware_host_active_directory uses it.

The simulator has no domain controller to ask, so every well-formed DNS
domain answers and admits any non-empty credentials (an empty user or
password is InvalidLogin, as the controller refuses it; a name that is no
DNS domain ActiveDirectoryFault, as likewise-open answers one it cannot
find). Joining a host already in a domain, or leaving when in none, answers
InvalidState; the joined domain is the host's `config.domainList` and its
UserDirectory's `domainList`. Joining through a CAM server needs that
server's certificate imported first (ImportCertificateForCAM_Task, from a
PEM file on one of the host's datastores, /vmfs/volumes/<datastore>/<path>).

Smart card authentication keeps its trust anchors (PEM certificates; one
that is not answers HostConfigFault, as does removing one the host lacks).
"""
import re

from vimsim.managed.host.config_managers import HostManagerObject, host_config_fault
from vimsim.managed.host.host_certificate_manager import _pem_certificates, _thumbprint
from vimsim.managed.monitoring.task import run_task
from vimsim.managed.storage.datastore_files import on_datastore
from vimsim.soap.fault import FileNotFound, fault

DOMAIN = re.compile(r'\A(?=.{1,253}\Z)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+'
                    r'[A-Za-z]{2,63}\Z')
VOLUMES = '/vmfs/volumes/'
CERTIFICATE_MAX = 64 * 1024      # a PEM certificate is a few kB


def _pem(certificate):
    from cryptography.hazmat.primitives import serialization   # on first use, not at start
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


class HostActiveDirectoryAuthentication(HostManagerObject):
    type_name = 'HostActiveDirectoryAuthentication'

    def __init__(self, server, type_name, moid, host):
        super().__init__(server, type_name, moid, host)
        self.domain = None
        self.cam_servers = set()           # CAM servers whose certificate was imported
        self.smart_card = False
        self.anchors = []                  # x509 certificates

    @property
    def info(self):
        joined = self.domain is not None
        return self.host.T.HostActiveDirectoryInfo(
            enabled=joined, joinedDomain=self.domain, trustedDomain=[self.domain] if joined
            else [], domainMembershipStatus='ok' if joined else None,
            smartCardAuthenticationEnabled=self.smart_card)

    def domains(self):
        return [self.domain] if self.domain is not None else []

    def _changed(self):
        self.changed('info')
        self.host.managers['authenticationManager'].changed('info')
        self.host.changed('config')

    def _check_join(self, domainName):
        if self.domain is not None:
            raise fault('InvalidState', 'The host is already a member of domain %s.'
                        % self.domain)
        if not DOMAIN.match(domainName or ''):
            raise fault('ActiveDirectoryFault', 'Cannot find a domain controller for %s.'
                        % domainName)

    def _join(self, ctx, method, domainName):
        def work(task):
            self.domain = domainName
            self._changed()
        return run_task(ctx, self.host, method, work, this=self)

    # -- domain membership --------------------------------------------------------
    def JoinDomain_Task(self, ctx, domainName, userName, password):
        self._check_join(domainName)
        if not userName or not password:
            raise fault('InvalidLogin', 'The domain refused the user name or password.')
        return self._join(ctx, 'JoinDomain_Task', domainName)

    def JoinDomainWithCAM_Task(self, ctx, domainName, camServer):
        self._check_join(domainName)
        if camServer not in self.cam_servers:
            raise fault('ActiveDirectoryFault', 'The certificate of CAM server %s has not '
                        'been imported.' % camServer)
        return self._join(ctx, 'JoinDomainWithCAM_Task', domainName)

    def ImportCertificateForCAM_Task(self, ctx, certPath, camServer):
        if not camServer:
            raise fault('ActiveDirectoryFault', 'No CAM server was given.')
        pem = self._host_file(certPath)
        _pem_certificates([pem], 'CAM server certificate')

        def work(task):
            self.cam_servers.add(camServer)
        return run_task(ctx, self.host, 'ImportCertificateForCAM_Task', work, this=self)

    def _host_file(self, path):
        """The text of a file of one of the host's datastores, by its host path."""
        if path.startswith(VOLUMES):
            volume, _, relative = path[len(VOLUMES):].partition('/')
            for ds in self.host.datastores:
                if volume in (ds.name, ds.vmfs_uuid) and relative:
                    found = on_datastore(ds, relative, path)
                    if found.exists() and not found.is_dir():
                        with open(found.path, errors='replace') as stream:
                            return stream.read(CERTIFICATE_MAX)
        raise FileNotFound(path)

    def LeaveCurrentDomain_Task(self, ctx, force):
        if self.domain is None:
            raise fault('InvalidState', 'The host is not a member of a domain.')

        def work(task):
            self.domain = None
            self._changed()
        return run_task(ctx, self.host, 'LeaveCurrentDomain_Task', work, this=self)

    # -- smart cards -------------------------------------------------------------------
    def EnableSmartCardAuthentication(self, ctx):
        self._set_smart_card(True)

    def DisableSmartCardAuthentication(self, ctx):
        self._set_smart_card(False)

    def _set_smart_card(self, enabled):
        if self.smart_card != enabled:
            self.smart_card = enabled
            self._changed()

    def InstallSmartCardTrustAnchor(self, ctx, cert):
        certificate, = _pem_certificates([cert], 'trust anchor')
        if certificate not in self.anchors:
            self.anchors.append(certificate)

    def ReplaceSmartCardTrustAnchors(self, ctx, certs=()):
        self.anchors = list(dict.fromkeys(_pem_certificates(list(certs), 'trust anchor')))

    def ListSmartCardTrustAnchors(self, ctx):
        return [_pem(certificate) for certificate in self.anchors]

    def _remove(self, matches, what):
        kept = [c for c in self.anchors if not matches(c)]
        if len(kept) == len(self.anchors):
            raise host_config_fault('No trust anchor matches %s.' % what)
        self.anchors = kept

    def RemoveSmartCardTrustAnchor(self, ctx, issuer, serial):
        self._remove(lambda c: c.issuer.rfc4514_string() == issuer
                     and format(c.serial_number, 'x') == serial.lower().lstrip('0x'),
                     'issuer %s, serial %s' % (issuer, serial))

    def RemoveSmartCardTrustAnchorByFingerprint(self, ctx, fingerprint, digest):
        wanted = fingerprint.upper()
        self._remove(lambda c: _thumbprint(c) == wanted, 'fingerprint %s' % fingerprint)

    def RemoveSmartCardTrustAnchorCertificate(self, ctx, certificate):
        removed, = _pem_certificates([certificate], 'certificate')
        self._remove(lambda c: c == removed, 'the certificate')
