"""GuestAliasManager: the guest's SAML aliases (VGAuth), which let a
certificate's subject act as a guest user, and the mapped certificates that
need no user named. A guest keeps them on its disk, so across boots."""
import base64
import binascii

from vimsim.managed.entity import data_types
from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.fault import InvalidArgument, fault


def subject_key(subject):
    """What tells subjects apart: any subject, or a named one by its name."""
    name = getattr(subject, 'name', None)
    return ('named', name) if name is not None else ('any',)


def certificate(text):
    """The DER certificate in base64 `text` (whitespace allowed), as one
    canonical base64 string; InvalidArgument for anything else."""
    try:
        der = base64.b64decode(''.join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidArgument('base64Cert') from None
    if len(der) < 2 or der[0] != 0x30:   # a DER SEQUENCE, as every X.509 certificate is
        raise InvalidArgument('base64Cert')
    return base64.b64encode(der).decode()


@manager_type('GuestAliasManager')
class GuestAliasManager(Manager):
    guests = None   # the GuestStore, set by GuestOperationsManager

    def _enter(self, ctx, vm, auth, username):
        """The guest, after checking `username` names its account."""
        guest = self.guests.enter(ctx, vm, auth)
        known = username.lower() == guest.user.lower() if guest.windows else \
            username == guest.user
        if not known:
            raise InvalidArgument('username')
        return guest

    def AddGuestAlias(self, ctx, vm, auth, username, mapCert, base64Cert, aliasInfo):
        """Add (or re-comment) the alias; `mapCert` also maps the certificate
        to the user, which a certificate mapped to another user refuses
        (GuestMultipleMappings)."""
        guest = self._enter(ctx, vm, auth, username)
        cert = certificate(base64Cert)
        if aliasInfo.subject is None or type(aliasInfo.subject) is \
                data_types(self.server).GuestAuthSubject:
            raise InvalidArgument('aliasInfo.subject')
        key = subject_key(aliasInfo.subject)
        mapping = next((entry for entry in guest.mapped if entry[0] == cert), None)
        if mapCert and mapping is not None and mapping[1] != guest.user:
            raise fault('GuestMultipleMappings', 'The certificate is already mapped to '
                        'another user.')
        entries = guest.aliases.setdefault(guest.user, [])
        entries[:] = [(c, info) for c, info in entries
                      if (c, subject_key(info.subject)) != (cert, key)]
        entries.append((cert, aliasInfo))
        if mapCert:
            if mapping is None:
                guest.mapped.append((cert, guest.user, [aliasInfo.subject]))
            elif key not in {subject_key(subject) for subject in mapping[2]}:
                mapping[2].append(aliasInfo.subject)

    def RemoveGuestAlias(self, ctx, vm, auth, username, base64Cert, subject):
        """Remove the alias of that certificate and subject, and its mapping
        (InvalidArgument when the user has no such alias)."""
        guest = self._enter(ctx, vm, auth, username)
        cert, key = certificate(base64Cert), subject_key(subject)
        entries = guest.aliases.get(guest.user, [])
        kept = [(c, info) for c, info in entries if (c, subject_key(info.subject)) != (cert, key)]
        if len(kept) == len(entries):
            raise InvalidArgument('subject')
        guest.aliases[guest.user] = kept
        self._unmap(guest, cert, lambda subject_of: subject_key(subject_of) == key)

    def RemoveGuestAliasByCert(self, ctx, vm, auth, username, base64Cert):
        """Remove every alias of the certificate for the user, and its mapping."""
        guest = self._enter(ctx, vm, auth, username)
        cert = certificate(base64Cert)
        entries = guest.aliases.get(guest.user, [])
        kept = [(c, info) for c, info in entries if c != cert]
        if len(kept) == len(entries):
            raise InvalidArgument('base64Cert')
        guest.aliases[guest.user] = kept
        self._unmap(guest, cert, lambda subject_of: True)

    def ListGuestAliases(self, ctx, vm, auth, username):
        """The user's aliases, grouped by certificate."""
        guest = self._enter(ctx, vm, auth, username)
        by_cert = {}
        for cert, info in guest.aliases.get(guest.user, []):
            by_cert.setdefault(cert, []).append(info)
        T = data_types(self.server)
        return [T.GuestAliases(base64Cert=cert, aliases=infos) for cert, infos in by_cert.items()]

    def ListGuestMappedAliases(self, ctx, vm, auth):
        guest = self.guests.enter(ctx, vm, auth)
        T = data_types(self.server)
        return [T.GuestMappedAliases(base64Cert=cert, username=user, subjects=list(subjects))
                for cert, user, subjects in guest.mapped]

    @staticmethod
    def _unmap(guest, cert, removed):
        """Drop the mapped subjects of `cert` that `removed` selects; a
        mapping left with none goes."""
        for entry in list(guest.mapped):
            if entry[0] == cert:
                entry[2][:] = [subject for subject in entry[2] if not removed(subject)]
                if not entry[2]:
                    guest.mapped.remove(entry)
