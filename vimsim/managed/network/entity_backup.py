"""Backups of switches and portgroups (DVSManagerExportEntity_Task,
DVSManagerImportEntity_Task): an EntityBackupConfig's `configBlob` is the
configuration as a spec, and importing one reconfigures an entity with it
or creates one from it.

The blob is the request a client would send to apply the configuration (a
ReconfigureDvs_Task or ReconfigureDVPortgroup_Task envelope, UTF-8): it is
written by the encoder and read back by the request decoder, so a blob is
checked exactly as such a request is, and a blob that is not one answers
the decoder's fault.
"""
from vimsim.soap.decode import Decoder
from vimsim.soap.encode import ENVELOPE_END, ENVELOPE_START, encoder_for, escape
from vimsim.soap.fault import fault

SWITCH, PORTGROUP = 'distributedVirtualSwitch', 'distributedVirtualPortgroup'
# the entity type of a backup -> the method its blob is a request of
METHODS = {SWITCH: 'ReconfigureDvs_Task', PORTGROUP: 'ReconfigureDVPortgroup_Task'}


def blob_of(entity, kind):
    """The configBlob of `entity` (a switch or portgroup, `kind`): its
    configuration as the request applying it."""
    schema = entity.server.schema
    operation = schema.operations[METHODS[kind]]
    spec_field = next(f for f in operation.params if f.name == 'spec')
    out = [ENVELOPE_START, '<%s xmlns="urn:vim25"><_this type="%s">%s</_this>' % (
        operation.name, escape(entity.type_name), escape(entity.ref.value))]
    encoder_for(schema, schema.newest).field(out, 'spec', entity.snapshot(), spec_field)
    out.append('</%s>' % operation.name)
    out.append(ENVELOPE_END)
    return ''.join(out).encode('utf-8')


def read_backup(server, backup):
    """(the entity the backup was taken of, as a MoRef; the spec) of a
    backup's blob, checked as its request would be; InvalidArgument for a
    blob of another kind."""
    method = METHODS.get(backup.entityType)
    if method is None:
        raise fault('InvalidArgument', 'A specified parameter was not correct: entityType',
                    invalidProperty='entityType')
    request = Decoder(server.schema, objects=server.objects).decode(backup.configBlob)
    if request.name != method:
        raise fault('InvalidArgument', 'A specified parameter was not correct: configBlob',
                    invalidProperty='configBlob')
    return request.this, request.args['spec']
