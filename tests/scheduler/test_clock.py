"""The clock's jobs: a shutdown waits for them a while, then ends them quietly."""

from __future__ import annotations

import asyncio
import logging

import pytest

from scheduler.clock import Clock


async def test_a_job_that_outlives_the_grace_is_cut_short_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    started = asyncio.Event()
    never = asyncio.Event()

    async def wait_for_the_database() -> None:
        started.set()
        await never.wait()  # a lock that is not coming

    clock = Clock("Asia/Ho_Chi_Minh")
    clock.start()
    clock.add_job(wait_for_the_database, "date", id="reminders")
    with caplog.at_level(logging.INFO):
        async with asyncio.timeout(30):
            await started.wait()
            await clock.stop(grace_seconds=0.1)
        await asyncio.sleep(0)  # let the scheduler's own callbacks run and log, if they would
    assert not clock.scheduler.running
    assert [r.getMessage() for r in caplog.records if r.name == "scheduler.clock"] == [
        "job stopped by the shutdown"
    ]
    assert not any(r.exc_info for r in caplog.records)


async def test_a_running_job_is_let_finish_within_the_grace() -> None:
    finished: list[str] = []
    started = asyncio.Event()
    release = asyncio.Event()

    async def import_a_plan() -> None:
        started.set()
        await release.wait()
        finished.append("imported")

    clock = Clock("Asia/Ho_Chi_Minh")
    clock.start()
    clock.add_job(import_a_plan, "date", id="plan-import")
    async with asyncio.timeout(30):
        await started.wait()
        stopping = asyncio.create_task(clock.stop(grace_seconds=30))
        await asyncio.sleep(0)
        release.set()
        await stopping
    assert finished == ["imported"]
