"""The soak test, short: three replicas behind a load balancer on PostgreSQL and Redis, one
killed and started again, Redis killed and started again, PostgreSQL restarted (a cluster of
the soak's own: tests/soak/postgres.py); nothing is lost, nothing is out of order, no 429
(bench/soak.py runs it at full size)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.soak import WINDOW, Soak, run_soak
from tests.conftest import PG_URL
from tests.soak.postgres import PrivatePostgres

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")
PRIVATE = PrivatePostgres.find()[0] is not None


@pytest.mark.skipif(not (PG_URL or PRIVATE) or not REDIS_URL,
                    reason="TEST_DATABASE_URL (or PostgreSQL's server binaries) and "
                           "TEST_REDIS_URL are needed")
async def test_replicas_killed_one_after_another_lose_nothing_and_keep_order(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # PostgreSQL is restarted for real on a cluster of the soak's own; without server binaries
    # (or without a way to run them here), the test database's connections are cut instead.
    database_url = "" if PRIVATE else request.getfixturevalue("postgres_ready")
    soak = Soak(people=30, broadcast=300, kill_every=8.0, max_kills=2,
                redis_restart_at=4.0, pg_restart_at=12.0, private_postgres=PRIVATE,
                fake_apart=True,
                database_url=database_url, redis_url=REDIS_URL, workdir=tmp_path)
    figures = await run_soak(soak)
    print("\n" + figures.report())
    assert figures.pg_trouble == ("restarted" if PRIVATE else "connections cut")
    assert figures.kills == 2
    assert figures.updates_acknowledged >= 30 * 12
    assert figures.lost_updates == 0
    assert figures.lost_messages == 0 and figures.stuck_people == 0
    assert figures.out_of_order_replies == 0
    # No 429 storm, through the kills, Redis's restart and PostgreSQL's: the pace keeps a
    # message to spare per chat, holds sending whenever Redis has forgotten the token, books
    # again a slot that went by while the replica could not run, and every 429 pauses every
    # replica. The fake judges by when it handles a call, though: on a machine with more work
    # than cores, sends that left at their pace may reach it together, and a send already on
    # its way when a 429 is answered may be read inside its window. A few: printed, not
    # hidden; a replica that ignored a 429 would make many.
    assert figures.rate_limited <= figures.people // 2
    assert figures.retry_window_violations <= figures.people // 2
    assert figures.repeats <= WINDOW * figures.kills
    assert figures.violations == []
