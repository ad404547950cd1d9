"""GuestAuthManager: checking guest credentials and trading them for a
ticket (TicketedSessionAuthentication) later calls can carry instead."""
from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.fault import InvalidArgument


@manager_type('GuestAuthManager')
class GuestAuthManager(Manager):
    guests = None   # the GuestStore, set by GuestOperationsManager

    def ValidateCredentialsInGuest(self, ctx, vm, auth):
        self.guests.enter(ctx, vm, auth)

    def AcquireCredentialsInGuest(self, ctx, vm, requestedAuth, sessionID=None):
        """A ticket standing for `requestedAuth` until released or the
        guest's next boot. It is a model id (replayed by -state like any):
        the guest's password is no secret either (simulated_guest)."""
        guest = self.guests.enter(ctx, vm, requestedAuth)
        ticket = self.server.new_uuid()
        guest.tickets.add(ticket)
        return self.server.schema.types['TicketedSessionAuthentication'].cls(
            interactiveSession=False, ticket=ticket)

    def ReleaseCredentialsInGuest(self, ctx, vm, auth):
        """`auth` must be a ticket this guest handed out (InvalidArgument)."""
        guest = self.guests.enter(ctx, vm, auth)
        if getattr(auth, 'ticket', None) not in guest.tickets:
            raise InvalidArgument('auth')
        guest.tickets.discard(auth.ticket)
