# Finds PostgreSQL at 127.0.0.1:5432, starting the machine's cluster if it is installed but down.
pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1; then
  version=$(ls /etc/postgresql 2>/dev/null | head -n1)
  if [ -n "$version" ]; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    for _ in $(seq 1 20); do pg_up && break; sleep 0.5; done
  fi
fi
pg_up || echo "warning: PostgreSQL is not reachable at 127.0.0.1:5432" >&2

# Finds Redis at 127.0.0.1:6379 (the shared pace of replicas), starting it if installed but down.
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }
if ! redis_up && command -v redis-server >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' >/dev/null || true
  for _ in $(seq 1 20); do redis_up && break; sleep 0.5; done
fi
redis_up || echo "warning: Redis is not reachable at 127.0.0.1:6379" >&2
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/15}"
