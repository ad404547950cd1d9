"""Host profile composition (CompositeHostProfile_Task and its validation):
sub-profiles of a source profile copied into target profiles.

Each of the four HostApplyProfile arguments selects sub-profiles by where
they are and their key (the values in it do not matter): `toBeMerged`
copies the source's into the target (added, or replacing the target's of
the same key), `toBeReplacedWith` replaces every sub-profile of the
families it names with the source's, `toBeDeleted` removes the target's,
`enableStatusToBeCopied` gives the target's the source's `enabled`. A
selected sub-profile the source (or, to delete, the target) lacks is an
error of that target, which then stays as it is.
"""
import copy

from vimsim.managed.admin.host_profile_settings import (FAMILIES, apply_profile,
                                                        instance_name, instances,
                                                        set_instances)

DIFFS = ('sourceDiffForToBeMerged', 'targetDiffForToBeMerged', 'toBeAdded', 'toBeDeleted',
         'toBeDisabled', 'toBeEnabled')


def selected(tree):
    """{family name: [instance names]} a selection tree names."""
    if tree is None:
        return {}
    out = {}
    for family in FAMILIES:
        found = instances(family, tree)
        if found:
            out[family.name] = [instance_name(family, profile) for profile in found]
    return out


def _by_name(family, tree):
    return {instance_name(family, p): p for p in instances(family, tree) or []}


def compose(types, source, target, merge, replace, delete, enable):
    """(the target's new tree, {diff name: [(family, profile)]}, errors)."""
    tree = copy.deepcopy(target)
    diffs = {name: [] for name in DIFFS}
    errors = []
    by_family = {family.name: family for family in FAMILIES}
    for name, names in selected(replace).items():
        family = by_family[name]
        theirs, ours = _by_name(family, source), _by_name(family, tree)
        diffs['toBeAdded'].extend((family, p) for key, p in theirs.items() if key not in ours)
        diffs['toBeDeleted'].extend((family, p) for key, p in ours.items() if key not in theirs)
        set_instances(types, family, tree, [copy.deepcopy(p) for p in theirs.values()])
    for name, names in selected(merge).items():
        family = by_family[name]
        theirs, ours = _by_name(family, source), _by_name(family, tree)
        for key in names:
            if key not in theirs:
                errors.append('the source has no %s %s' % (family.label, key))
                continue
            if key in ours:
                if ours[key] != theirs[key]:
                    diffs['sourceDiffForToBeMerged'].append((family, theirs[key]))
                    diffs['targetDiffForToBeMerged'].append((family, ours[key]))
            else:
                diffs['toBeAdded'].append((family, theirs[key]))
            ours[key] = copy.deepcopy(theirs[key])
        set_instances(types, family, tree, list(ours.values()))
    for name, names in selected(delete).items():
        family = by_family[name]
        ours = _by_name(family, tree)
        for key in names:
            if key not in ours:
                errors.append('the target has no %s %s to delete' % (family.label, key))
                continue
            diffs['toBeDeleted'].append((family, ours.pop(key)))
        set_instances(types, family, tree, list(ours.values()))
    for name, names in selected(enable).items():
        family = by_family[name]
        theirs, ours = _by_name(family, source), _by_name(family, tree)
        for key in names:
            if key not in theirs or key not in ours:
                errors.append('%s %s is not in both profiles' % (family.label, key))
                continue
            if ours[key].enabled != theirs[key].enabled:
                diffs['toBeEnabled' if theirs[key].enabled else 'toBeDisabled'].append(
                    (family, ours[key]))
                ours[key].enabled = theirs[key].enabled
    return tree, diffs, errors


def diff_tree(types, entries):
    """A HostApplyProfile holding the sub-profiles of a diff (None when empty)."""
    if not entries:
        return None
    tree = apply_profile(types, {})
    for family in FAMILIES:
        mine = [copy.deepcopy(p) for f, p in entries if f is family]
        if mine:
            set_instances(types, family, tree, mine)
    return tree
