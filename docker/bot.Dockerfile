# The bot: channels, web chat, admin, the embedded engine (also Rasa's fallback).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY bot ./bot
COPY nlu ./nlu
COPY actions ./actions
COPY knowledge ./knowledge
RUN pip install . && useradd --create-home --uid 1001 laodong && mkdir -p /app/var && chown laodong /app/var
USER laodong
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --retries=5 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
CMD ["laodong", "serve"]
