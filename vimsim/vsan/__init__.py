"""vSAN's management service at /vsanHealth, as vCenter serves it beside /sdk:
`endpoint` (the SOAP endpoint and /sdk/vsanServiceVersions.xml), its
managed objects one a file, over the cluster vSAN of the model
(vimsim/managed/host/vsan_cluster.py)."""
