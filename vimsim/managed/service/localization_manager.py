"""LocalizationManager: the message catalogs clients download for localized
event, task and performance counter text.

Each catalog is made from the texts the model itself answers with, in
vCenter's .vmsg form (`key = "text"` lines): `event` from the
EventManager's eventInfo (category, description and every format of each
event type), `task` from the TaskManager's methodInfo, `perf` from the
PerformanceManager's counters. vimsim carries English texts only, so the
catalogs are the `en` locale's; `md5sum` is of each catalog's content,
served at its `catalogUri` by server/catalog.py. A recorded vCenter's
catalog list (-load) is served as recorded; its files were not recorded, so
none downloads.
"""
import hashlib

from vimsim.managed.manager import Manager, manager_type

LOCALE = 'en'
FORMATS = ('category', 'description', 'formatOnDatacenter', 'formatOnComputeResource',
           'formatOnHost', 'formatOnVm', 'fullFormat')


def _line(key, text):
    escaped = (text or '').replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')
    return '%s = "%s"' % (key, escaped)


@manager_type('LocalizationManager')
class LocalizationManager(Manager):
    """The message catalogs a client downloads for localized event/fault text."""

    def __init__(self, server, type_name, moid):
        super().__init__(server, type_name, moid)
        self.built = server.model_built
        self.recorded = None     # a recording's catalog list, which replaces ours

    # -- the catalogs' content -------------------------------------------------------------
    def _event_lines(self):
        manager = getattr(self.server, 'event_manager', None)
        for info in manager.description.eventInfo if manager is not None else ():
            prefix = 'vim.event.%s' % info.key
            if info.key == 'EventEx':      # its formats are 'eventTypeId|message'
                type_id, _, message = (info.fullFormat or '').partition('|')
                yield _line('%s.%s.description' % (prefix, type_id), info.description)
                yield _line('%s.%s.fullFormat' % (prefix, type_id), message)
                continue
            for name in FORMATS:
                yield _line('%s.%s' % (prefix, name), getattr(info, name))

    def _task_lines(self):
        manager = getattr(self.server, 'task_manager', None)
        for info in manager.description.methodInfo if manager is not None else ():
            yield _line('vim.%s.label' % info.key, info.label)
            yield _line('vim.%s.summary' % info.key, info.summary)

    def _perf_lines(self):
        manager = self.server.managers.get('perfManager')
        for counter in getattr(manager, 'perfCounter', None) or ():
            key = '%s.%s' % (counter.groupInfo.key, counter.nameInfo.key)
            yield _line(key + '.label', counter.nameInfo.label)
            yield _line(key + '.summary', counter.nameInfo.summary)

    def catalog_text(self, locale, name):
        """The text of catalog `name` of `locale`, or None when there is none."""
        lines = {'event': self._event_lines, 'task': self._task_lines,
                 'perf': self._perf_lines}.get(name) \
            if locale == LOCALE and self.recorded is None else None
        if lines is None:
            return None
        return '\n'.join(lines()) + '\n'

    # -- the property --------------------------------------------------------------------
    @property
    def catalog(self):
        if self.recorded is not None:
            return self.recorded
        Catalog = self.server.schema.types['LocalizationManagerMessageCatalog'].cls
        module = 'esx' if self.server.esx else 'VirtualCenter'
        out = []
        for name in ('event', 'perf', 'task'):
            text = self.catalog_text(LOCALE, name)
            out.append(Catalog(
                moduleName=module, catalogName=name, locale=LOCALE,
                catalogUri='/catalog/%s/%s.vmsg' % (LOCALE, name), lastModified=self.built,
                md5sum=hashlib.md5(text.encode('utf-8')).hexdigest()))
        return out

    @catalog.setter
    def catalog(self, recorded):
        self.recorded = recorded
