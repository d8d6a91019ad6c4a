# syntax=docker/dockerfile:1
# One image for every Tradeplane service; the command picks the service:
#   docker run tradeplane python -m tradeplane.gateway     (or risk, pnl, notifier, execution, marketdata, bots, backtests, compliance)
#   docker run tradeplane tradeplane --help                (operator CLI: migrate, user, killswitch, tail)
# Every service listens on 0.0.0.0:8080 in the image and is configured by TP_* variables only.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.8

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src

# Third-party dependencies first, from the lock alone: this layer survives source changes.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --all-packages --no-install-workspace

# Then the workspace members, installed as wheels so the runtime stage needs no source tree.
COPY . /src
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --all-packages --no-editable

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="tradeplane" \
      org.opencontainers.image.description="Tradeplane services and operator CLI"
# A numeric user, so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
RUN groupadd --system --gid 10001 tradeplane \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin tradeplane
COPY --from=build --chown=0:0 /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    HOME=/tmp \
    TP_ENV=production \
    TP_HTTP_HOST=0.0.0.0 \
    TP_HTTP_PORT=8080
WORKDIR /app
USER 10001:10001
EXPOSE 8080
CMD ["tradeplane", "--help"]
