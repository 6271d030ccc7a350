# The bot: channels, web chat, admin, the embedded engine (also Rasa's fallback).
# Debian's own Python 3.11 on any Debian bookworm base: debian:bookworm-slim where a registry
# is reachable, or the base `make deploy-test` builds from Debian's archive (docker/base-image.sh).
ARG BASE_IMAGE=debian:bookworm-slim

FROM ${BASE_IMAGE} AS build
ARG PIP_INDEX_URL=https://pypi.org/simple
ENV PIP_INDEX_URL=${PIP_INDEX_URL} PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=120
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/laodong
# Exactly the tested packages, each checked against its hash (make lock writes the file).
COPY requirements.lock /tmp/requirements.lock
RUN /opt/laodong/bin/pip install --require-hashes --no-deps -r /tmp/requirements.lock
COPY pyproject.toml README.md alembic.ini /src/
COPY bot /src/bot
COPY nlu /src/nlu
COPY actions /src/actions
COPY knowledge /src/knowledge
RUN /opt/laodong/bin/pip install --no-deps /src

FROM ${BASE_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1001 laodong \
    && mkdir -p /app/var && chown laodong /app/var
COPY --from=build /opt/laodong /opt/laodong
ENV PATH=/opt/laodong/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LANG=C.UTF-8
WORKDIR /app
USER laodong
# The models trained once, in the image: a new volume on /app/var starts with them, so replicas
# starting together load them instead of training (a lock in the models directory covers the rest).
RUN laodong nlu train
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
CMD ["laodong", "serve"]
