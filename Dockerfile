# syntax=docker/dockerfile:1
# failover-sync: the core and every adapter under providers/, as a non-root runtime image.
# Built and smoke-tested in GitHub Actions (.github/workflows/ci.yml); linted by hadolint
# in `make lint`.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: install into a virtualenv that the runtime stage copies whole -------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/failover-sync
WORKDIR /src
COPY pyproject.toml README.md ./
COPY failover_sync ./failover_sync
COPY providers ./providers
# The core and every adapter from this tree (local paths, so the versions are this commit's).
RUN /opt/failover-sync/bin/pip install --no-cache-dir \
        . ./providers/akamai ./providers/azure ./providers/cloudflare ./providers/dnsmadeeasy \
        ./providers/powerdns ./providers/rfc2136 ./providers/route53 \
    && /opt/failover-sync/bin/failover-sync --version

# --- runtime: no compiler, no pip cache, no source; a fixed non-root uid for runAsNonRoot ---
FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="failover-sync" \
      org.opencontainers.image.description="Self-hosted DNS failover controller" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 failover-sync \
    && useradd --system --uid 10001 --gid 10001 --no-create-home \
       --home-dir /nonexistent --shell /usr/sbin/nologin failover-sync \
    && mkdir -p /etc/failover-sync
COPY --from=build /opt/failover-sync /opt/failover-sync
ENV PATH=/opt/failover-sync/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FAILOVER_SYNC_CONFIG=/etc/failover-sync/failover-sync.yaml \
    FAILOVER_SYNC_LOG_FORMAT=json
USER 10001:10001
WORKDIR /tmp
# /metrics, /healthz and /readyz when run with --metrics-addr 0.0.0.0:9100
EXPOSE 9100
ENTRYPOINT ["failover-sync"]
CMD ["run"]
