"""The simulator's web pages: the Managed Object Browser (/mob) and VI Web
Access (/ui), server-rendered from the model through the /sdk dispatcher
(vimsim.web.mount mounts them)."""
