"""The clock: APScheduler's jobs, tracked so that a shutdown lets them finish or ends them quietly.

APScheduler logs a job that ends by cancellation as a failure, with a traceback. A job here is
wrapped: while it runs it is known, a shutdown waits for it for a while, and if it must be
cut short (its transaction then rolls back and its work is taken up on the next start), it
ends with one line in the log.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)
Job = Callable[..., Awaitable[Any]]


class Clock:
    def __init__(self, timezone: str) -> None:
        self.scheduler = AsyncIOScheduler(timezone=timezone)
        self._running: set[asyncio.Task[Any]] = set()

    def add_job(self, job: Job, trigger: str, **options: Any) -> None:
        """As `AsyncIOScheduler.add_job`; the job is tracked while it runs."""
        self.scheduler.add_job(self._tracked(job, options.get("id") or job.__name__), trigger,
                               **options)

    def _tracked(self, job: Job, name: str) -> Job:
        @functools.wraps(job)
        async def run(*args: Any, **kwargs: Any) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._running.add(task)
            try:
                await job(*args, **kwargs)
            except asyncio.CancelledError:
                # Cut short by a shutdown: the transaction in hand rolled back, and leases or
                # due rows bring the work back on the next start.
                log.info("job stopped by the shutdown", extra={"outcome": name})
            finally:
                if task is not None:
                    self._running.discard(task)

        return run

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self, grace_seconds: float) -> None:
        """Start no more jobs; wait up to `grace_seconds` for running ones, then cut them short."""
        if not self.scheduler.running:
            return
        # APScheduler's own shutdown cancels running jobs at once: pause first, let them end.
        self.scheduler.pause()
        running = set(self._running)
        if running:
            _done, late = await asyncio.wait(running, timeout=grace_seconds)
            for task in late:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*late, return_exceptions=True)
        self.scheduler.shutdown(wait=False)
