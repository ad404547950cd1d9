"""vslm at /vslm/sdk: vCenter's global first-class disk service, over the
same disks as /sdk's VcenterVStorageObjectManager (vimsim/managed/storage/)."""
