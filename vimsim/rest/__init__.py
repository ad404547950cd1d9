"""vCenter's vAPI services: the JSON REST API (/api), its older form (/rest)
and the Automation SDKs' JSON-RPC protocol (POST /api), over the one model.

protocol.py is the HTTP side (`RestApi`, what the HTTP app mounts),
service.py the operation table the three doors share, types.py the vAPI
types with their wire forms, errors.py the standard errors; each service
module (session, tagging, vcenter, appliance) registers its operations as
protocol.py imports it. The tagging model is tagging_model.py.
"""
