# Redis from Debian's archive, for machines that reach no image registry. It holds only the
# replicas' shared rate limits (keys that expire), so nothing is kept on disk. Without a
# password, Redis refuses other hosts unless protected mode is off: the bots reach it over
# the compose network only (it publishes no port).
ARG BASE_IMAGE=debian:bookworm-slim
FROM ${BASE_IMAGE}
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-server \
    && rm -rf /var/lib/apt/lists/*
USER redis
EXPOSE 6379
HEALTHCHECK --interval=5s --timeout=5s --retries=10 CMD redis-cli ping
CMD ["redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"]
