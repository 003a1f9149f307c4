"""A 4,000-recipient broadcast through the real `cutri run`, killed with SIGKILL five times.

The process is killed at random moments while it is sending (no shutdown code runs, as after
a power cut or the OOM killer) and started again each time; the fake Telegram server keeps
running throughout, so it sees every send of every life. At the end nobody has been missed,
and the messages sent twice are counted, printed and bounded per kill by the dispatcher's
fixed window. Another process keeps a core busy all along: the bound must not depend on it.
"""

from __future__ import annotations

import asyncio
import bisect
import os
import random
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.population import (
    outbox_counts,
    prepare_database,
    queue_commune_broadcast,
    release_broadcast,
    seed_population,
)
from tests.e2e.process import BotProcess, busy_core
from tests.fakes.telegram import FakeTelegram

RECIPIENTS = 4_000
RATE = 1000
KILLS = 5
LEASE_SECONDS = 3
# Time a life sends before it is killed: short enough that five lives leave work for a sixth
# (4,000 messages take ~4 s at this rate), long enough to kill in the middle of batches. At
# this rate a dispatcher without the window (batches of 2,000 in flight) repeated hundreds.
LIFE_SECONDS = (0.2, 0.6)
# The dispatcher's repeat window: sends in flight plus sends not yet recorded never exceed it,
# so one kill repeats at most this many messages, whatever the machine's speed or load.
WINDOW = 50


def sends_beyond(telegram: FakeTelegram, count: int) -> Callable[[], bool]:
    return lambda: len(telegram.sent) > count


def duplicates_per_life(telegram: FakeTelegram, kills_at: list[int]) -> list[int]:
    """Repeated messages, counted against the life that sent the copy before each repeat.

    `kills_at[k]` is how many sends the fake had seen when life k was killed. A copy goes out
    again only because the life that sent the previous copy died before recording it, so each
    repeat is that life's: a message repeated by two kills in a row counts once for each.
    """
    last_send: dict[int, int] = {}
    repeats: Counter[int] = Counter()
    for index, entry in enumerate(telegram.sent):
        chat = entry["chat_id"]
        if chat in last_send:
            repeats[bisect.bisect_right(kills_at, last_send[chat])] += 1
        last_send[chat] = index
    return [repeats[life] for life in range(len(kills_at) + 1)]


async def wait_until(condition: Callable[[], bool], what: str, *, seconds: float) -> None:
    """Poll `condition()` every 50 ms for at most `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        await asyncio.sleep(0.05)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'cutri.db'}"
    # A freshly built schema (conftest), emptied again by prepare_database.
    return str(request.getfixturevalue("postgres_ready"))


async def test_a_broadcast_killed_five_times_reaches_everyone_with_few_duplicates(
    tmp_path: Path, database_url: str
) -> None:
    url = database_url
    db = await prepare_database(url)
    population = await seed_population(db, RECIPIENTS)
    broadcast_id = await queue_commune_broadcast(db, population, hold=True)
    seed = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
    chance = random.Random(seed)
    print(f"\ncrash test seed {seed} (set CRASH_SEED to replay)")

    async with (
        FakeTelegram(rate_limits=True, global_rate=RATE, per_chat_rate=1) as telegram,
        busy_core(),
    ):
        telegram.remember_chats(population.chat_ids)
        bot = BotProcess(
            tmp_path,
            DATABASE_URL=url,
            TELEGRAM_BOT_TOKEN=telegram.token,
            TELEGRAM_API_URL=telegram.base_url,
            TELEGRAM_RATE=str(RATE),
            TELEGRAM_PER_CHAT_RATE="1",
            OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS),
            OUTBOX_POLL_SECONDS="0.2",
            OUTBOX_WINDOW=str(WINDOW),
        )
        await bot.start()
        await release_broadcast(db, broadcast_id)
        sent_per_life: list[int] = []
        kills_at: list[int] = []
        try:
            for _ in range(KILLS):
                at_start = len(telegram.sent)
                # Kill only while sending is under way: after the first send of this life.
                # A bound for liveness, not for speed: a machine with both cores busy may take
                # long to restart a process and wait out the lease.
                await wait_until(sends_beyond(telegram, at_start), "the restarted bot sends",
                                 seconds=LEASE_SECONDS + 120)
                await asyncio.sleep(chance.uniform(*LIFE_SECONDS))
                assert await bot.kill() == -9
                sent_per_life.append(len(telegram.sent) - at_start)
                kills_at.append(len(telegram.sent))
                await bot.start()
            await wait_until(lambda: len(telegram.sent) >= RECIPIENTS
                             and all(telegram.messages_for(c) for c in population.chat_ids),
                             "everyone has the broadcast", seconds=300)
            # The last life records what it sent before it is asked to stop.
            deadline = time.monotonic() + 60
            while (counts := await outbox_counts(db, broadcast_id)) != {"sent": RECIPIENTS}:
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.1)
        finally:
            assert await bot.stop() == 0
            await db.dispose()

    received = Counter({chat: len(telegram.messages_for(chat)) for chat in population.chat_ids})
    missed = [chat for chat, count in received.items() if count == 0]
    repeated = duplicates_per_life(telegram, kills_at)
    bound = WINDOW
    print(f"sends per life before its kill: {sent_per_life}; total sends {len(telegram.sent)}")
    print(f"duplicates: {sum(repeated)} ({sum(repeated) / RECIPIENTS:.1%}); per life, the last "
          f"one not killed: {repeated}; bound per kill {bound}; most copies to one chat: "
          f"{max(received.values())}")
    assert all(count > 0 for count in sent_per_life), "every kill hit a sending process"
    assert missed == []
    assert counts == {"sent": RECIPIENTS}, counts  # settled too: nothing left to resend
    assert max(repeated[:-1]) <= bound
    assert repeated[-1] == 0
    assert len(telegram.sent) == RECIPIENTS + sum(repeated)
    assert telegram.rate_limited_count == 0 and telegram.retry_window_violations == 0
    assert telegram.violations == []
    bot.assert_clean_log(telegram.token)
