"""LocalizationManager: the message catalogs clients download for localized
event and fault text."""
import hashlib
from datetime import datetime, timezone

from vimsim.managed.manager import Manager, manager_type


@manager_type('LocalizationManager')
class LocalizationManager(Manager):
    """The message catalogs a client downloads for localized event/fault text."""
    CATALOGS = ('auth', 'cluster', 'default', 'enum', 'event', 'fault', 'locmsg', 'perf',
                'question', 'task', 'vim')
    LOCALES = ('de', 'en', 'es', 'fr', 'it', 'ja', 'ko', 'zh_CN', 'zh_TW')

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        T = server.schema.types
        built = datetime(2025, 1, 1, tzinfo=timezone.utc)
        module = 'esx' if server.esx else 'VirtualCenter'
        self.catalog = []
        for locale in self.LOCALES:
            for name in self.CATALOGS:
                uri = '/catalog/%s/%s.vmsg' % (locale, name)
                self.catalog.append(T['LocalizationManagerMessageCatalog'].cls(
                    moduleName=module, catalogName=name, locale=locale, catalogUri=uri,
                    lastModified=built, md5sum=hashlib.md5(uri.encode()).hexdigest()))
