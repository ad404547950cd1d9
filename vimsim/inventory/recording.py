"""Replaying a recorded vCenter (`-load DIR`, as vcsim): a directory written by
`govc object.save`.

Such a directory holds one ObjectContent document per managed object,
``NNNN-Type-moid.xml``::

    <ObjectContent><obj type="Folder">group-d1</obj>
      <propSet><name>name</name><val xsi:type="xsd:string">Datacenters</val></propSet>
      ...

and, for some objects, recorded method responses in a subdirectory named
``Type-moid`` (``VmwareDistributedVirtualSwitch-dvs-50/FetchDVPorts.xml``:
``<FetchDVPortsResponse><returnval>...``), which are replayed whatever the
arguments, as vcsim does.

`read` parses the files (lxml, no DTDs, no entities, no network) and decodes
each property value against the schema with the SOAP decoder, by its declared
type and the recorded xsi:type (arrays are ``ArrayOfX``). What the schema does
not accept is left out with a logged warning, the smallest part possible: an
unknown element inside a data object; an optional field or array item whose
value does not decode; else the whole property (a data object lacking a field
the recorded API version requires counts as not decoding, so that what is
served validates). An unreadable file or an unknown managed type leaves out
the object. Every such problem is also kept in `Recording.problems`. govc
writes xsd:byte values unsigned (``<bus>255</bus>``); they are read back
signed, as the server sent them.

`build` makes the model: the recorded inventory becomes the model's own
objects (`recorded_inventory`), so it is writable; any other recorded object
becomes a `RecordedObject` of its recorded type and moid, serving the
recorded properties on read (Fetch, RetrieveProperties, updates) and the
inventory links to container views, and replaying its recorded method
responses; a recorded finished Task is the TaskManager's. The
ServiceInstance answers with the recorded ServiceContent, but the
PropertyCollector, SessionManager and ViewManager it names are the simulator's
own (under the recorded moids), so login, property collection and views work
over the recorded inventory. The other service managers are the simulator's
too, so their methods work (SearchIndex finds recorded objects), with the
recorded property values set over the simulator's; one the recording lacks is
made as the simulator makes it. The simulator serves the recorded API version
unless -api-version says otherwise.
"""
import copy
import logging
import os

from lxml import etree

from vimsim.inventory.recorded_inventory import build_inventory, replay_unmodelled
from vimsim.managed.base import ManagedObject
from vimsim.managed.catalog import make_manager
from vimsim.managed.inventory.folder import Folder
from vimsim.managed.service.property_collector import PropertyCollector
from vimsim.managed.service.service_instance import (ESX_MANAGERS, VCENTER_MANAGERS,
                                                     ServiceInstance, about_info)
from vimsim.managed.service.session_manager import SessionManager
from vimsim.managed.service.view import ViewManager
from vimsim.schema import MoRef
from vimsim.soap.decode import SKIP, Decoder
from vimsim.soap.fault import message_of

log = logging.getLogger(__name__)

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          remove_comments=True, remove_pis=True, huge_tree=True)

# The simulator's own objects: their state is live, not recorded.
_LIVE_FIELDS = ('propertyCollector', 'sessionManager', 'viewManager')
# SessionManager properties taken from the recording (the rest are per session).
_SESSION_MANAGER_PROPERTIES = ('defaultLocale', 'supportedLocaleList',
                               'messageLocaleList', 'message')
# Properties of the live objects that depend on the caller, and the
# TaskManager's recent tasks (the recorded ones it keeps, and its own): not
# even decoded.
_PER_CALLER = {'SessionManager': ('currentSession', 'sessionList'),
               'PropertyCollector': ('filter',), 'ViewManager': ('viewList',),
               'TaskManager': ('recentTask',)}


class RecordingError(Exception):
    """The directory cannot be served at all."""


class Recording:
    """A parsed and decoded recording directory."""

    def __init__(self, directory):
        self.directory = directory
        self.objects = {}     # MoRef -> {property: value}, in file order
        self.responses = {}   # MoRef -> {method: decoded result}
        self.problems = []    # what was left out, one line each

    def problem(self, where, message):
        line = '%s: %s' % (where, message)
        self.problems.append(line)
        log.warning('-load %s: %s', self.directory, line)

    @property
    def content(self):
        """The recorded ServiceContent, or None."""
        return self.objects.get(MoRef('ServiceInstance', 'ServiceInstance'), {}).get('content')

    @property
    def about(self):
        content = self.content
        return content.about if content is not None else None

    def api_version(self, schema):
        """The recorded server's API version if the schema knows it, else None."""
        about = self.about
        if about is None or not about.apiVersion:
            return None
        if about.apiVersion not in schema.versions:
            self.problem('ServiceInstance', 'API version %s is unknown; serving %s' % (
                about.apiVersion, schema.version_name(schema.newest)))
            return None
        return about.apiVersion

    @property
    def esx(self):
        """True if the recording is of a standalone host."""
        about = self.about
        return about is not None and about.apiType == 'HostAgent'


# ----------------------------------------------------------------------------
# reading

class _LenientDecoder(Decoder):
    """The SOAP decoder, dropping what the schema does not accept (unknown
    elements, undecodable optional values) and reporting it."""

    requires_arrays = False   # recorded answers: an empty required array is absent

    def __init__(self, schema, version, report):
        super().__init__(schema, version)   # the fields this version requires must be there
        self.report = report
        # what decoding raises for a value it cannot read
        self.errors = (schema.types['MethodFault'].cls, ValueError, TypeError)

    # govc records xsd:byte values unsigned (`HostPciDevice.bus` 255); the
    # server sent them signed (-1), as the schema requires.
    def primitive(self, type_name, text):
        if type_name == 'byte':
            unsigned = super().primitive('short', text)
            if 127 < unsigned < 256:
                text = str(unsigned - 256)
        return super().primitive(type_name, text)

    def unknown_element(self, tag, data_type):
        self.report('unknown element %s in %s left out' % (tag, data_type.name))

    def member_value(self, element, field, data_type):
        try:
            return super().member_value(element, field, data_type)
        except self.errors as error:
            if not (field.optional or field.array):
                raise
            self.report('%s.%s left out: %s' % (data_type.name, field.name, _text(error)))
            return SKIP

    def field_value(self, element, field):
        """The value of an element holding `field` (an array: ArrayOfX)."""
        if field.array:
            return [self.value(child, field.type) for child in element
                    if isinstance(child.tag, str)]
        return self.value(element, field.type)


def _text(error):
    return message_of(error) or type(error).__name__


def _child_text(element, name):
    for child in _children(element, name):
        return child.text or ''
    return None


def _children(element, name):
    return [child for child in element
            if isinstance(child.tag, str) and etree.QName(child).localname == name]


def read(directory, schema):
    """Parse and decode the recording in `directory` (see the module doc)."""
    if not os.path.isdir(directory):
        raise RecordingError('-load %s: not a directory' % directory)
    recording = Recording(directory)
    documents = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.endswith('.xml') and os.path.isfile(path):
            document = _object_document(recording, schema, path, name)
            if document is not None:
                documents.append(document)
    if not documents:
        raise RecordingError('-load %s: no recorded objects (govc object.save files)'
                             % directory)
    version = _recorded_version(schema, documents)
    for where, ref, root in documents:
        _decode_object(recording, schema, version, where, ref, root)
    for ref in recording.objects:
        subdir = os.path.join(directory, '%s-%s' % (ref.type, ref.value))
        if os.path.isdir(subdir):
            for name in sorted(os.listdir(subdir)):
                if name.endswith('.xml'):
                    _read_response(recording, schema, version, ref,
                                   os.path.join(subdir, name),
                                   '%s-%s/%s' % (ref.type, ref.value, name))
    return recording


def _parse(recording, path, where):
    try:
        with open(path, 'rb') as fh:
            data = fh.read()
        if b'<!DOCTYPE' in data or b'<!doctype' in data:
            raise ValueError('DTDs are not allowed')
        return etree.fromstring(data, _PARSER)
    except (OSError, ValueError, etree.XMLSyntaxError) as error:
        recording.problem(where, 'unreadable, left out (%s)' % error)
        return None


def _object_document(recording, schema, path, where):
    """(where, MoRef, root element) of an ObjectContent file, or None."""
    root = _parse(recording, path, where)
    if root is None:
        return None
    objs = _children(root, 'obj')
    if etree.QName(root).localname != 'ObjectContent' or len(objs) != 1 \
            or not objs[0].get('type'):
        recording.problem(where, 'not an ObjectContent document, left out')
        return None
    ref = Decoder.moref(objs[0])
    if ref.type not in schema.managed:
        recording.problem(where, 'unknown managed type %s, %s left out' % (ref.type, ref.value))
        return None
    return where, ref, root


def _recorded_version(schema, documents):
    """The version index of the recorded server (its ServiceContent's
    about.apiVersion), else the newest: what the values must be complete for."""
    for _, ref, root in documents:
        if ref.type == 'ServiceInstance':
            for prop in _children(root, 'propSet'):
                if _child_text(prop, 'name') == 'content':
                    for val in _children(prop, 'val'):
                        for about in _children(val, 'about'):
                            text = _child_text(about, 'apiVersion')
                            if text in schema.versions:
                                return schema.version(text)
    return schema.newest


def _decode_object(recording, schema, version, where, ref, root):
    managed = schema.managed[ref.type]
    if ref in recording.objects:
        recording.problem(where, '%s %s recorded twice; the later file wins' % (
            ref.type, ref.value))
    properties = {}
    for prop in _children(root, 'propSet'):
        name = _child_text(prop, 'name')
        if name in _PER_CALLER.get(ref.type, ()):
            continue
        vals = _children(prop, 'val')
        field = managed.property_map.get(name)
        if field is None:
            recording.problem(where, 'unknown property %s.%s left out' % (ref.type, name))
            continue
        if len(vals) != 1:
            recording.problem(where, 'property %s has %d values, left out' % (name, len(vals)))
            continue
        decoder = _LenientDecoder(schema, version, lambda message: recording.problem(
            where, '%s: %s' % (name, message)))
        try:
            properties[name] = decoder.field_value(vals[0], field)
        except decoder.errors as error:
            recording.problem(where, 'property %s left out: %s' % (name, _text(error)))
    recording.objects[ref] = properties


def _read_response(recording, schema, version, ref, path, where):
    method = os.path.basename(path)[:-len('.xml')]
    operation = schema.managed[ref.type].methods.get(method)
    if operation is None:
        recording.problem(where, '%s has no method %s, left out' % (ref.type, method))
        return
    root = _parse(recording, path, where)
    if root is None:
        return
    decoder = _LenientDecoder(schema, version,
                              lambda message: recording.problem(where, message))
    result = operation.result
    try:
        values = [decoder.value(child, result.type) for child in _children(root, 'returnval')] \
            if result is not None else []
    except decoder.errors as error:
        recording.problem(where, 'left out: %s' % _text(error))
        return
    if result is None or result.array:
        value = values or None
    else:
        value = values[0] if values else None
    recording.responses.setdefault(ref, {})[method] = value


# ----------------------------------------------------------------------------
# the model

class RecordedObject(ManagedObject):
    """A managed object of any type serving its recorded properties and
    replaying its recorded method responses."""

    def __init__(self, server, type_name, moid, properties, responses=None):
        self.type_name = type_name
        self.properties = properties
        self._responses = responses or {}
        super().__init__(server, moid)

    def read(self, name, ctx):
        return self.properties.get(name)

    def __getattr__(self, name):
        responses = self.__dict__.get('_responses')
        if responses is None or name not in responses:
            raise AttributeError(name)
        value = responses[name]
        return lambda ctx, **arguments: value

    def view_children(self):
        """What a ContainerView sees inside: as the simulator's own classes."""
        managed = self.server.schema.managed[self.type_name]
        if managed.is_a('Folder'):
            names = ('childEntity',)
        elif managed.is_a('Datacenter'):
            names = ('vmFolder', 'hostFolder', 'datastoreFolder', 'networkFolder')
        elif managed.is_a('ComputeResource'):
            names = ('host', 'resourcePool')
        elif managed.is_a('ResourcePool'):
            names = ('resourcePool', 'vm')
        elif managed.is_a('HostSystem'):
            names = ('vm',)
        else:
            return ()
        children = []
        for name in names:
            value = self.properties.get(name)
            if isinstance(value, MoRef):
                children.append(value)
            elif isinstance(value, list):
                children.extend(v for v in value if isinstance(v, MoRef))
        return children


def build(server, recording):
    """Make the recorded objects in `server` and return its ServiceInstance.
    Sets server.property_collector, session_manager, view_manager, managers
    and root_folder as the default build does."""
    schema = server.schema
    ServiceContent = schema.types['ServiceContent']
    recorded = recording.content
    content = {}
    if recorded is not None:
        content = {name: getattr(recorded, name) for name in ServiceContent._names
                   if getattr(recorded, name) is not None}
    defaults = ESX_MANAGERS if server.esx else VCENTER_MANAGERS

    def moid(field, esx_moid, vc_moid):
        ref = content.get(field)
        return ref.value if ref is not None else (esx_moid if server.esx else vc_moid)

    options = server.options
    server.property_collector = PropertyCollector(
        server, moid('propertyCollector', 'ha-property-collector', 'propertyCollector'))
    server.session_manager = SessionManager(
        server, moid('sessionManager', 'ha-sessionmgr', 'SessionManager'),
        username=options.username or None, password=options.password or None,
        idle_timeout=options.session_timeout)
    server.view_manager = ViewManager(server, moid('viewManager', 'ViewManager', 'ViewManager'))
    live = (server.property_collector, server.session_manager, server.view_manager)
    for field, obj in zip(_LIVE_FIELDS, live):
        content[field] = obj.ref
    for name, value in recording.objects.get(server.session_manager.ref, {}).items():
        if name in _SESSION_MANAGER_PROPERTIES:
            setattr(server.session_manager, name, value)

    live_refs = {obj.ref for obj in live}
    manager_refs = {ref for field, ref in content.items()
                    if isinstance(ref, MoRef) and field != 'rootFolder'}
    for ref in manager_refs - live_refs:
        properties = recording.objects.get(ref)
        if properties is None:
            continue
        if ref not in recording.responses:
            _recorded_manager(server, recording, ref, properties)
        else:
            RecordedObject(server, ref.type, ref.value, properties, recording.responses[ref])

    # Managers the content names (or, without a recorded content, the
    # defaults) that the recording lacks: made as the simulator makes them.
    server.managers = {}
    content_fields = ServiceContent.field_map
    for field, (type_name, default_moid) in sorted(defaults.items()):
        if recorded is None and field not in content and field in content_fields \
                and type_name in schema.managed:
            content[field] = MoRef(type_name, default_moid)
    for field, ref in sorted(content.items()):
        if not isinstance(ref, MoRef) or field in _LIVE_FIELDS or field == 'rootFolder':
            continue
        obj = server.objects.get(ref)
        if obj is None and ref.type in schema.managed:
            obj = make_manager(server, ref.type, ref.value)
        if obj is not None:
            server.managers[field] = obj

    root_ref = content.get('rootFolder') or _parentless_folder(recording)
    root = None
    if root_ref is not None and root_ref.type == 'Folder' and root_ref in recording.objects:
        root, _ = build_inventory(server, recording, root_ref)
    for ref, properties in recording.objects.items():
        if ref.type == 'ServiceInstance' or ref in live_refs or ref in manager_refs:
            continue
        obj = server.objects.get(ref)
        if obj is None and ref.type == 'Task':
            _recorded_task(server, recording, ref, properties)
        elif obj is None:
            RecordedObject(server, ref.type, ref.value, properties,
                           recording.responses.get(ref))
        elif not isinstance(obj, RecordedObject):   # made by the model (a host's managers)
            replay_unmodelled(obj, properties)
            for method in recording.responses.get(ref, ()):
                recording.problem('%s-%s' % (ref.type, ref.value), 'the recorded %s is not '
                                  'replayed: the simulator answers it' % method)
    if root is None:
        recording.problem('ServiceInstance', 'the root folder %s is not recorded; serving '
                          'an empty one' % (root_ref.value if root_ref else ''))
        root = Folder(server, root_ref.value if root_ref else 'group-d1', 'Datacenters', None,
                      ('Folder', 'Datacenter'))
    server.root_folder = root
    content['rootFolder'] = root.ref
    if content.get('about') is None:
        content['about'] = about_info(schema, server.api_version, server.esx,
                                      None if server.esx else server.new_uuid())
    return ServiceInstance(server, ServiceContent.cls(**content))


def _recorded_task(server, recording, ref, properties):
    """A recorded task is the TaskManager's, as one it ran would be: a
    finished one stays recent and readable for a while; one recorded
    unfinished is replayed (its work cannot run here)."""
    info = properties.get('info')
    manager = server.managers.get('taskManager')
    if manager is None or info is None or info.state not in ('success', 'error'):
        recording.problem('%s-%s' % (ref.type, ref.value),
                          'not a finished task; its recorded properties are replayed')
        RecordedObject(server, ref.type, ref.value, properties, recording.responses.get(ref))
        return
    manager.adopt_finished(ref.value, copy.deepcopy(info), server.objects.get(info.entity)
                           if info.entity is not None else None)


def _recorded_manager(server, recording, ref, properties):
    """A service manager as the simulator makes it (its methods work), its
    properties the recorded ones."""
    manager = make_manager(server, ref.type, ref.value)
    for name, value in properties.items():
        try:
            setattr(manager, name, value)
        except AttributeError:   # computed by the simulator
            recording.problem('%s-%s' % (ref.type, ref.value),
                              '%s is computed by the simulator, not replayed' % name)
    return manager


def _parentless_folder(recording):
    for ref, properties in recording.objects.items():
        if ref.type == 'Folder' and properties.get('parent') is None:
            return ref
    return None
