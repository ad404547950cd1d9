"""Storage: Datastore, HostDatastoreBrowser and OvfManager."""
