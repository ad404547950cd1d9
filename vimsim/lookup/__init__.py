"""The lookup service at /lookupservice/sdk: where a vCenter's services are."""
