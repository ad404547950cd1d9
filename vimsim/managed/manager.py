"""Service managers that have no behaviour of their own yet.

Each is a real object of its managed type (it exists, answers Fetch and
RetrieveProperties); a method of it that vimsim does not implement answers
NotImplemented through the dispatcher.
"""
from vimsim.managed.base import ManagedObject


class Manager(ManagedObject):
    """A manager object of the given managed type."""

    def __init__(self, server, type_name, moid, **properties):
        self.type_name = type_name
        super().__init__(server, moid)
        for name, value in properties.items():
            setattr(self, name, value)
