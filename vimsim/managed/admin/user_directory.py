"""UserDirectory: the domains users come from (vCenter's SSO domain; none on
a host) and the search of their users and groups (users.Directory, which the
AuthorizationManager holds; a host's own UserDirectory, host/config_managers.py,
searches the host's local users)."""
from vimsim.managed.manager import Manager, manager_type
from vimsim.soap.fault import NotFound


def retrieve_user_groups(server, directory, domains, domain, search, exact, users, groups,
                         in_group, of_user):
    """RetrieveUserGroups over a users.Directory: the users and groups whose
    names contain `search` (or are it, when `exact`), of one of `domains`
    or all, members of a group or groups of a user when asked; NotFound for
    a domain not listed."""
    if domain is not None and domain.casefold() not in (d.casefold() for d in domains):
        raise NotFound('The domain %s was not found.' % domain)
    Result = server.schema.types['UserSearchResult'].cls
    return [Result(principal=principal.name, fullName=principal.name, group=group)
            for principal, group in directory.search(domain, search or '', exact, users,
                                                     groups, in_group, of_user)]


@manager_type('UserDirectory')
class UserDirectory(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        # vCenter: the SSO domain (and any identity sources); ESXi: none.
        self.domainList = [] if server.esx else ['VSPHERE.LOCAL']

    def RetrieveUserGroups(self, ctx, searchStr, exactMatch, findUsers, findGroups,
                           domain=None, belongsToGroup=None, belongsToUser=None):
        return retrieve_user_groups(
            self.server, self.server.authorization_manager.directory, self.domainList, domain,
            searchStr, exactMatch, findUsers, findGroups, belongsToGroup, belongsToUser)
