"""vSAN's service objects (vCenter's /vsanHealth, vimsim/vsan/endpoint.py):
one module a managed type, over the model's cluster vSAN
(host/vsan_cluster.py). They are no objects of /sdk's registry: found only
in their endpoint's table, at their well-known moids."""
