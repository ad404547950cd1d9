"""Alarm: one alarm definition on an entity (its `info`); the AlarmManager
evaluates it, checks its specs and keeps the states it triggers."""
import copy

from vimsim.managed.base import ExtensibleManagedObject


class Alarm(ExtensibleManagedObject):
    type_name = 'Alarm'

    def __init__(self, server, moid, manager, entity, spec, user, event_key):
        super().__init__(server, moid)
        self.manager = manager
        self.entity_object = entity
        self.info = self._info(spec, user)
        self.info.creationEventId = event_key

    def _info(self, spec, user):
        """An AlarmInfo of `spec` (copied, so the caller's object stays theirs)."""
        T = self.server.schema.types
        info = T['AlarmInfo'].cls(**{field.name: copy.deepcopy(getattr(spec, field.name))
                                     for field in T['AlarmSpec'].fields})
        info.key, info.alarm, info.entity = self.ref.value, self.ref, self.entity_object.ref
        info.lastModifiedTime = self.manager.now()
        info.lastModifiedUser = user
        info.enabled = bool(spec.enabled)
        if info.setting is None:
            info.setting = T['AlarmSetting'].cls(toleranceRange=0, reportingFrequency=300)
        return info

    def ReconfigureAlarm(self, ctx, spec):
        """Replace the definition (checked first: a fault changes nothing);
        the states it triggered are evaluated again."""
        self.manager.check_spec(ctx, self.entity_object, spec, renaming=self)
        before = self.info
        info = self._info(spec, ctx.session.user if ctx.session is not None else '')
        info.creationEventId = before.creationEventId
        self.info = info
        self.changed('info')
        self.manager.reconfigured(ctx, self, before)

    def RemoveAlarm(self, ctx):
        self.manager.remove(ctx, self)
