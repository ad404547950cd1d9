# vimsim: a simulated vCenter (or ESXi, with -esx) on port 8989, as vcsim's image.
#   podman build --format docker -t vimsim .   (docker build; the docker format keeps HEALTHCHECK)
#   podman run --rm -p 8989:8989 vimsim
#   podman run --rm -p 8989:8989 vimsim -l 0.0.0.0:8989 -cluster 2 -vm 10
# Arguments are vcsim's flags (the entry point is the vimsim command, as
# /vcsim is vcsim's); give -l 0.0.0.0:8989 with them, as with vcsim's image.
# -E /run/vimsim/env writes the GOVC_URL line to a file or fifo mounted there.

# The base: any image with python3 (3.10+) as `python` and its venv module.
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY setup.cfg pyproject.toml README.md ./
COPY vimsim ./vimsim
RUN python -m venv /opt/vimsim \
 && /opt/vimsim/bin/pip install --no-cache-dir . \
 && find /opt/vimsim -name '__pycache__' -prune -exec rm -rf {} +

FROM ${PYTHON_IMAGE}
COPY --from=build /opt/vimsim /opt/vimsim
RUN useradd --system --uid 10001 --home-dir /var/lib/vimsim --create-home vimsim \
 && mkdir -p /run/vimsim && chown vimsim /run/vimsim
ENV PATH=/opt/vimsim/bin:$PATH PYTHONDONTWRITEBYTECODE=1
USER 10001
WORKDIR /var/lib/vimsim
EXPOSE 8989
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import ssl, sys, urllib.request; sys.exit(0 if b'<namespace>' in urllib.request.urlopen('https://127.0.0.1:8989/sdk/vimServiceVersions.xml', context=ssl._create_unverified_context(), timeout=4).read() else 1)"]
ENTRYPOINT ["vimsim"]
CMD ["-l", "0.0.0.0:8989"]
