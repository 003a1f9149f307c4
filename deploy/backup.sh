#!/usr/bin/env bash
# A dated pg_dump of cutri's PostgreSQL database, keeping KEEP_DAYS days of them.
#
#   DATABASE_URL  the URL cutri uses (postgresql+asyncpg://user:password@host/db); read from
#                 /etc/cutri/cutri.env by deploy/cutri-backup.service
#   COMPOSE_FILE  instead of DATABASE_URL: dump the `db` service of this compose stack
#   BACKUP_DIR    where dumps go (default /var/backups/cutri)
#   KEEP_DAYS     dumps older than this many days are removed (default 14)
#
# The encryption key is not in the dump, on purpose: keep a copy of it somewhere else (README,
# "Going live"). Restoring a dump, with cutri stopped:
#   pg_restore --clean --if-exists --no-owner --dbname="postgresql://user:password@host/db" FILE
# (with compose: docker compose -f deploy/compose.yaml exec -T db \
#      pg_restore --clean --if-exists --no-owner -U cutri -d cutri < FILE)
set -euo pipefail

BACKUP_DIR=${BACKUP_DIR:-/var/backups/cutri}
KEEP_DAYS=${KEEP_DAYS:-14}

if ! [[ $KEEP_DAYS =~ ^[0-9]+$ ]]; then
    echo "backup.sh: KEEP_DAYS must be a number of days" >&2
    exit 2
fi
umask 077
mkdir -p "$BACKUP_DIR"
target="$BACKUP_DIR/cutri-$(date +%Y%m%d-%H%M%S).dump"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT

if [[ -n ${COMPOSE_FILE:-} ]]; then
    docker compose -f "$COMPOSE_FILE" exec -T db pg_dump --format=custom -U cutri cutri > "$partial"
elif [[ -n ${DATABASE_URL:-} ]]; then
    # pg_dump speaks libpq URLs: the same URL without SQLAlchemy's driver name.
    url=${DATABASE_URL/postgresql+asyncpg:/postgresql:}
    if [[ $url != postgresql://* ]]; then
        echo "backup.sh: DATABASE_URL is not PostgreSQL; copy the SQLite file instead" >&2
        exit 2
    fi
    pg_dump --format=custom --dbname="$url" > "$partial"
else
    echo "backup.sh: set DATABASE_URL (or COMPOSE_FILE)" >&2
    exit 2
fi
# Renamed only once complete: a dump in BACKUP_DIR is never a half-written one.
mv "$partial" "$target"
find "$BACKUP_DIR" -maxdepth 1 -name 'cutri-*.dump' -type f -mtime +"$KEEP_DAYS" -delete
echo "$target"
