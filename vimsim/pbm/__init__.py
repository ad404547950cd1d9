"""PBM, vCenter's storage policy service, at /pbm/sdk: `endpoint` (the SOAP
endpoint over PBM's own schema and objects), `service` (its managed
objects), `policies` (the profiles and their rules, part of the model)."""
