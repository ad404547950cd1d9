"""The tagging model: categories, tags and their attachments to inventory
objects, one per simulator (`Simulator.tagging`).

It is vCenter's tagging service apart from any protocol: the vAPI services
(vimsim/rest/tagging.py) call it, and the inventory reads it, since vCenter
shows an entity's tags in its `tag` property (`Tag.key`: the tag's name, the
"human readable form"). Attachments name objects by MoRef; one whose object
has left the inventory is dropped on read, as vCenter drops the tags of a
deleted object.
"""
import uuid

from vimsim.rest.errors import already_exists, invalid_argument, not_found
from vimsim.schema import MoRef

__all__ = ['Tagging', 'Category', 'Tag', 'CARDINALITIES']

CARDINALITIES = ('SINGLE', 'MULTIPLE')
NAME_LIMIT = 256          # characters in a category or tag name
CATEGORY_ID = 'urn:vmomi:InventoryServiceCategory:%s:GLOBAL'
TAG_ID = 'urn:vmomi:InventoryServiceTag:%s:GLOBAL'


class Category:
    def __init__(self, identifier, name, description, cardinality, associable_types):
        self.id = identifier
        self.name = name
        self.description = description
        self.cardinality = cardinality
        self.associable_types = list(associable_types)
        self.used_by = []

    def admits(self, type_name):
        """Whether objects of `type_name` may carry this category's tags
        (an empty list admits every type)."""
        return not self.associable_types or type_name in self.associable_types


class Tag:
    def __init__(self, identifier, category, name, description):
        self.id = identifier
        self.category = category
        self.name = name
        self.description = description
        self.used_by = []


def _checked_name(name, what):
    if not name.strip() or len(name) > NAME_LIMIT:
        raise invalid_argument('The %s name must have 1 to %d characters.' % (what, NAME_LIMIT),
                               what)
    return name


class Tagging:
    """Categories and tags by id, and which objects carry which tags."""

    def __init__(self, server):
        self.server = server
        self.categories = {}       # id -> Category, in creation order
        self.tags = {}             # id -> Tag, in creation order
        self._objects = {}         # tag id -> {MoRef: None}, in attachment order
        self._tags_of = {}         # MoRef -> {tag id: None}, in attachment order

    # -- lookups ---------------------------------------------------------------
    def category(self, identifier):
        found = self.categories.get(identifier)
        if found is None:
            raise not_found('Category', identifier)
        return found

    def tag(self, identifier):
        found = self.tags.get(identifier)
        if found is None:
            raise not_found('Tag', identifier)
        return found

    def inventory_object(self, type_name, moid):
        """The inventory object a DynamicID names."""
        obj = self.server.objects.get(MoRef(type_name, moid))
        if obj is None:
            raise not_found(type_name, moid)
        return obj

    def _live(self, refs):
        get = self.server.objects.get
        return [ref for ref in refs if get(ref) is not None]

    def attached_objects(self, tag):
        return self._live(self._objects.get(tag.id, ()))

    def attached_tags(self, ref):
        """The tags on the object of `ref` (none once it has left the inventory)."""
        if self.server.objects.get(ref) is None:
            return []
        return [self.tags[tag_id] for tag_id in self._tags_of.get(ref, ())]

    def entity_tags(self, entity):
        """ManagedEntity.tag: Tag data objects keyed by tag name."""
        make = self.server.schema.types['Tag'].cls
        return [make(key=tag.name) for tag in self.attached_tags(entity.ref)]

    # -- categories ----------------------------------------------------------------
    def create_category(self, name, description, cardinality, associable_types,
                        identifier=None):
        _checked_name(name, 'category')
        if any(category.name == name for category in self.categories.values()):
            raise already_exists('Category', name)
        identifier = self._new_id(CATEGORY_ID, identifier, self.categories)
        category = Category(identifier, name, description, cardinality, associable_types)
        self.categories[identifier] = category
        return category

    def update_category(self, category, name=None, description=None, cardinality=None,
                        associable_types=None):
        """Change what is given; all is checked before anything changes.
        As on vCenter, associable types can only be added (an empty list, all
        types, stays all), and cardinality goes from SINGLE to MULTIPLE only."""
        if name is not None and name != category.name:
            _checked_name(name, 'category')
            if any(other.name == name for other in self.categories.values()):
                raise already_exists('Category', name)
        if associable_types is not None:
            removed = [t for t in category.associable_types if t not in associable_types]
            if removed or (not category.associable_types and associable_types):
                raise invalid_argument('Associable types of a category can only be added, '
                                       'not removed.', 'associable_types')
        if (cardinality is not None and cardinality != category.cardinality
                and cardinality == 'SINGLE'):
            raise invalid_argument('The cardinality of a category can change from SINGLE '
                                   'to MULTIPLE only.', 'cardinality')
        if name is not None and name != category.name:
            category.name = name
        if description is not None:
            category.description = description
        if cardinality is not None:
            category.cardinality = cardinality
        if associable_types is not None:
            category.associable_types = list(associable_types)

    def delete_category(self, category):
        """A category goes with its tags (and so their attachments)."""
        for tag in [tag for tag in self.tags.values() if tag.category is category]:
            self.delete_tag(tag)
        del self.categories[category.id]

    # -- tags --------------------------------------------------------------------------
    def create_tag(self, category, name, description, identifier=None):
        _checked_name(name, 'tag')
        if any(tag.name == name and tag.category is category for tag in self.tags.values()):
            raise already_exists('Tag', name)
        identifier = self._new_id(TAG_ID, identifier, self.tags)
        tag = Tag(identifier, category, name, description)
        self.tags[identifier] = tag
        return tag

    def update_tag(self, tag, name=None, description=None):
        if name is not None and name != tag.name:
            _checked_name(name, 'tag')
            if any(other.name == name and other.category is tag.category
                   for other in self.tags.values()):
                raise already_exists('Tag', name)
            tag.name = name
            self._report(self.attached_objects(tag))
        if description is not None:
            tag.description = description

    def delete_tag(self, tag):
        refs = list(self._objects.pop(tag.id, ()))
        for ref in refs:
            self._tags_of[ref].pop(tag.id, None)
            if not self._tags_of[ref]:
                del self._tags_of[ref]
        del self.tags[tag.id]
        self._report(self._live(refs))

    # -- attachments ---------------------------------------------------------------------
    def attach(self, tag, type_name, moid):
        """Attach `tag` to an object (again: nothing changes). The category
        must admit the object's type; a SINGLE category allows one of its
        tags per object."""
        obj = self.inventory_object(type_name, moid)
        category = tag.category
        if not category.admits(type_name):
            raise invalid_argument('Tag %s cannot be attached to an object of type %s: its '
                                   'category does not admit that type.' % (tag.id, type_name),
                                   tag.id, type_name)
        present = self._tags_of.get(obj.ref, {})
        if tag.id in present:
            return
        if category.cardinality == 'SINGLE' and any(
                self.tags[other].category is category for other in present):
            raise invalid_argument('Object %s already carries a tag of the single '
                                   'cardinality category %s.' % (moid, category.name),
                                   moid, category.id)
        self._objects.setdefault(tag.id, {})[obj.ref] = None
        self._tags_of.setdefault(obj.ref, {})[tag.id] = None
        obj.changed('tag')

    def detach(self, tag, type_name, moid):
        obj = self.inventory_object(type_name, moid)
        present = self._tags_of.get(obj.ref)
        if present is None or tag.id not in present:
            return
        del present[tag.id]
        if not present:
            del self._tags_of[obj.ref]
        del self._objects[tag.id][obj.ref]
        obj.changed('tag')

    def attachable_tags(self, type_name, moid):
        """Tags that `attach` would add to the object."""
        obj = self.inventory_object(type_name, moid)
        present = self._tags_of.get(obj.ref, {})
        taken = {self.tags[tag_id].category for tag_id in present}
        return [tag for tag in self.tags.values()
                if tag.id not in present and tag.category.admits(type_name)
                and not (tag.category.cardinality == 'SINGLE' and tag.category in taken)]

    # -- helpers ---------------------------------------------------------------------------
    def _new_id(self, pattern, identifier, existing):
        """The id of a new category or tag: the one asked for (which must be
        free), else a fresh one in vCenter's urn form."""
        if identifier is None:
            return pattern % uuid.UUID(self.server.new_uuid())
        if identifier in existing:
            raise already_exists('Category' if existing is self.categories else 'Tag',
                                 identifier)
        if not identifier.strip():
            raise invalid_argument('An identifier cannot be empty.', identifier)
        return identifier

    def _report(self, refs):
        get = self.server.objects.get
        for ref in refs:
            get(ref).changed('tag')
