"""HostDatastoreBrowser: the browser of a host's datastores
(HostSystem.datastoreBrowser) or of one datastore (Datastore.browser), and
the file queries it supports."""
from vimsim.managed.base import ManagedObject
from vimsim.managed.entity import data_types, refs


class HostDatastoreBrowser(ManagedObject):
    type_name = 'HostDatastoreBrowser'
    supportedType = ()

    def __init__(self, server, moid, datastores):
        super().__init__(server, moid)
        self._datastores = datastores   # a live list (a host's or a datastore's own)
        T = data_types(server)
        self.supportedType = [T.FolderFileQuery(), T.VmConfigFileQuery(), T.TemplateConfigFileQuery(),
                              T.VmDiskFileQuery(), T.FloppyImageFileQuery(), T.IsoImageFileQuery(),
                              T.VmNvramFileQuery(), T.VmLogFileQuery()]

    @property
    def datastore(self):
        return refs(self._datastores)
