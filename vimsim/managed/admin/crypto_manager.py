"""CryptoManagerKmip (vCenter) and CryptoManager (a standalone host): the key
management of VM encryption, with no key provider set up."""
from vimsim.managed.manager import Manager, manager_type


@manager_type('CryptoManagerKmip', 'CryptoManager')
class CryptoManager(Manager):
    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        # vCenter's CryptoManagerKmip is enabled with no key providers; a
        # standalone host's CryptoManager is not in crypto-safe mode.
        self.enabled = type_name == 'CryptoManagerKmip'
        if type_name == 'CryptoManagerKmip':
            self.kmipServers = []
