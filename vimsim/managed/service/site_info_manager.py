"""SiteInfoManager: the information about the site the server is in.

SiteInfo (API 7.0) declares no properties, so the site's information is an
empty SiteInfo, on vCenter and ESX alike.
"""
from vimsim.managed.manager import Manager, manager_type


@manager_type('SiteInfoManager')
class SiteInfoManager(Manager):

    def GetSiteInfo(self, ctx):
        return self.server.schema.types['SiteInfo'].cls()
