"""The vim25 SOAP codec: requests decoded and answers encoded, driven by the
schema alone."""
