"""Profile: what host and cluster profiles share: a name, the entities
it is attached to (an entity is attached to one profile of a kind at most:
attaching it to another moves it), its compliance results (its manager's
`compliance`, so the ProfileComplianceManager reads the same) and its
events. A subclass says which entity types it attaches to, what it checks
for an attached entity (`targets_within`, `failures`) and how it
describes itself (`sections`).
"""
from vimsim import clock
from vimsim.managed.base import ManagedObject
from vimsim.managed.monitoring.event_manager import event_manager
from vimsim.soap.decode import Decoder, parse_document
from vimsim.soap.encode import encoder_for
from vimsim.soap.fault import InvalidArgument, fault, message_of

XSD, XSI = 'http://www.w3.org/2001/XMLSchema', 'http://www.w3.org/2001/XMLSchema-instance'


def make(types, type_name, /, **fields):
    """A data object of type `type_name` of the schema's `types`."""
    return types[type_name].cls(**fields)


def message(types, key, text):
    return make(types, 'LocalizableMessage', key=key, message=text)


def export_xml(ctx, tag, value):
    """A data object as a standalone XML document, as vCenter
    exports a profile or an answer file; `import_xml` reads it back."""
    out = ['<%s xmlns="urn:vim25" xmlns:xsd="%s" xmlns:xsi="%s" xsi:type="%s">' % (
        tag, XSD, XSI, value._type.name)]
    encoder_for(ctx.server.schema, ctx.version).fields(out, value, value._type)
    out.append('</%s>' % tag)
    return ''.join(out)


def import_xml(ctx, text, type_name, argument):
    """The value of `type_name` an exported document holds (InvalidArgument
    naming `argument` for anything else)."""
    schema = ctx.server.schema
    try:
        root = parse_document(text.encode('utf-8'))
        return Decoder(schema, ctx.version, ctx.server.objects).value(root, type_name)
    except schema.types['InvalidRequest'].cls as error:
        raise InvalidArgument(argument, 'A specified parameter was not correct: %s (%s)' % (
            argument, message_of(error))) from None


def duplicate_name(name, ref):
    return fault('DuplicateName', "The name '%s' already exists." % name, name=name, object=ref)


class Profile(ManagedObject):
    type_name = 'Profile'
    attachable = ()                 # the entity types AssociateProfile takes
    config_type = 'ProfileConfigInfo'

    def __init__(self, server, moid, manager, spec):
        super().__init__(server, moid)
        self.manager = manager
        self.name = spec.name
        self.annotation = spec.annotation
        self.enabled = spec.enabled if spec.enabled is not None else True
        self.createdTime = self.modifiedTime = clock.now()
        self.attached = []          # MoRefs of the attached entities, in attach order

    # -- properties ------------------------------------------------------------------------
    @property
    def types(self):
        return self.server.schema.types

    @property
    def config(self):
        return make(self.types, self.config_type, name=self.name, annotation=self.annotation,
                    enabled=self.enabled, **self.config_fields())

    def config_fields(self):
        """The fields of `config` beyond those every profile has."""
        return {}

    @property
    def description(self):
        return self.RetrieveDescription(None)

    @property
    def entity(self):
        live = self.server.objects.get
        return [ref for ref in self.attached if live(ref) is not None]

    @property
    def complianceStatus(self):
        """nonCompliant when a target is, compliant when all are checked and are, else unknown."""
        results = self.manager.results_of(self)
        states = {result.complianceStatus for result in results}
        if 'nonCompliant' in states:
            return 'nonCompliant'
        if states == {'compliant'} and len(results) == len(self.targets()):
            return 'compliant'
        return 'unknown'

    def targets(self):
        """The entities the profile checks: those within each attached one."""
        out = []
        for ref in self.entity:
            for target in self.targets_within(self.server.objects.get(ref)):
                if target not in out:
                    out.append(target)
        return out

    def targets_within(self, entity):
        raise NotImplementedError

    def failures(self, target):
        """The ComplianceFailures of `target` (connected or of no host)."""
        raise NotImplementedError

    def sections(self):
        """The ProfileDescriptionSections of RetrieveDescription."""
        raise NotImplementedError

    def event_argument(self):
        return make(self.types, 'ProfileEventArgument', profile=self.ref, name=self.name)

    def post(self, ctx, type_name, entity=None, **fields):
        event_manager(self.server).post(type_name, entity, ctx=ctx,
                                        profile=self.event_argument(), **fields)

    def touched(self, *names):
        self.modifiedTime = clock.now()
        self.changed('modifiedTime', *names)

    def rename(self, spec):
        """A config spec's name, annotation and enabled (DuplicateName)."""
        if spec.name and spec.name != self.name:
            self.manager.check_name(spec.name)
        self.name = spec.name or self.name
        if spec.annotation is not None:
            self.annotation = spec.annotation
        if spec.enabled is not None:
            self.enabled = spec.enabled

    # -- Profile ---------------------------------------------------------------------------
    def RetrieveDescription(self, ctx):
        return make(self.types, 'ProfileDescription', section=self.sections())

    def DestroyProfile(self, ctx):
        self.post(ctx, 'ProfileRemovedEvent')
        self.manager.forget(self)
        self.destroy()

    def AssociateProfile(self, ctx, entity):
        objects = [self._attachable(ref) for ref in entity]
        for obj in objects:
            for other in self.manager.profiles_of(obj.ref):
                if other is not self:
                    other.detach(ctx, [obj.ref])
            if obj.ref not in self.attached:
                self.attached.append(obj.ref)
                self.post(ctx, 'ProfileAssociatedEvent')
        self.changed('entity', 'complianceStatus')

    def DissociateProfile(self, ctx, entity=()):
        for ref in entity:
            if self.server.objects.get(ref) is None or ref not in self.attached:
                raise InvalidArgument('entity')
        self.detach(ctx, list(entity) or list(self.attached))

    def detach(self, ctx, refs):
        for ref in refs:
            self.attached.remove(ref)
            self.manager.clear_results(self, ref)
            self.post(ctx, 'ProfileDissociatedEvent')
        self.changed('entity', 'complianceStatus')

    def _attachable(self, ref):
        obj = self.server.objects.resolve(ref)
        if ref.type not in self.attachable:
            raise InvalidArgument('entity')
        return obj

    def CheckProfileCompliance_Task(self, ctx, entity=()):
        return self.manager.check_compliance(ctx, [self], list(entity),
                                             'CheckProfileCompliance_Task', self)

    def ExportProfile(self, ctx):
        """The profile's configuration as an XML document (CreateProfile
        takes it back in a serialized spec)."""
        return export_xml(ctx, 'profile', self.config)
