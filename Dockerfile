# cutri in a container: `cutri db upgrade`, then `cutri run`, as a user without privileges.
# Built by deploy/compose.yaml (with PostgreSQL); see "Going live" in the README.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed uid, so that a volume's owner is the same on every rebuild.
RUN groupadd --system --gid 10001 cutri \
    && useradd --system --uid 10001 --gid cutri --home-dir /var/lib/cutri --no-create-home cutri

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY handlers handlers
COPY scheduler scheduler
COPY storage storage
RUN pip install . && rm -rf /src

# The key file lives on a volume of its own (its own backup, never beside the database's).
RUN mkdir -p /var/lib/cutri/keys && chown -R cutri:cutri /var/lib/cutri && chmod 700 /var/lib/cutri/keys
WORKDIR /var/lib/cutri
USER cutri

# Inside a container the server must listen beyond loopback; the port is published (or
# reached by the reverse proxy) from outside. SQLite is only the fallback of a bare
# `docker run`: compose sets DATABASE_URL to its PostgreSQL.
ENV HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    DATABASE_URL=sqlite+aiosqlite:////var/lib/cutri/cutri.db \
    ENCRYPTION_KEY_FILE=/var/lib/cutri/keys/cutri.key
EXPOSE 8080

# /health answers 200 once every channel is up (webhooks set, polling started). The image has
# no curl: Python asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('HTTP_PORT', '8080'), timeout=4)"

# SIGTERM reaches cutri itself (exec), which stops within 10 s; compose waits 15.
CMD ["sh", "-c", "cutri db upgrade && exec cutri run"]
