"""-state DIR: the simulator's state on disk, so that it survives restarts and
crashes (persistence.py: what is journaled and how it replays; journal.py: the
file)."""
