"""A virtual disk's chain of backings (a snapshot or linked clone stacks
delta files over the base through `parent`) and the file names in it, which
the VM's layout, its snapshots' layouts and its storage all read."""


def backing_chain(backing):
    """A disk backing's chain of backings, base first (through `parent`)."""
    chain = []
    while backing is not None:
        chain.append(backing)
        backing = getattr(backing, 'parent', None)
    chain.reverse()
    return chain


def extent_name(descriptor, delta):
    """The data file of a disk descriptor: '-flat.vmdk', or '-sesparse.vmdk'
    for a VMFS 6 snapshot delta."""
    stem = descriptor[:-len('.vmdk')] if descriptor.endswith('.vmdk') else descriptor
    return stem + ('-sesparse.vmdk' if delta else '-flat.vmdk')


def chain_units(chain, keys):
    """layoutEx's disk units of a chain: per backing, the file keys (in
    `keys`, {file name: key}) of its descriptor and extent."""
    units = []
    for backing in chain:
        delta = bool(getattr(backing, 'deltaDiskFormat', None))
        unit = [keys[n] for n in (backing.fileName, extent_name(backing.fileName, delta))
                if n in keys]
        units.append(unit)
    return units
