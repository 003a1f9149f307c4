"""The pace of one bot token shared by replicas through a real Redis (`TEST_REDIS_URL`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from scheduler.shared_pacing import SharedPacer, token_key

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    if not REDIS_URL:
        pytest.skip("TEST_REDIS_URL is not set (CI sets it)")
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except OSError as error:
        await client.aclose()
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {error}")
    yield client
    await client.aclose()


async def replicas(redis: Redis, count: int, rate: float = 30, *, known: bool = True,
                   **options: int) -> list[SharedPacer]:
    """Pacers of `count` replicas on one token (a token of their own: tests run side by side).

    `known`: Redis has known the token for a while (no pause for a forgotten pace)."""
    prefix = token_key("telegram", f"123:{uuid.uuid4()}")
    if known:
        await redis.set(f"{prefix}:known", "1", ex=600)
    return [SharedPacer(redis, prefix, rate, per_chat_rate=1, **options) for _ in range(count)]


async def test_two_replicas_together_keep_the_tokens_overall_rate(redis: Redis) -> None:
    first, second = await replicas(redis, 2, rate=30, burst=1)
    started = time.time()
    waits = [await (first if n % 2 else second).overall_slot() for n in range(60)]
    last_slot = time.time() + waits[-1]
    # 60 messages at 30/s from both replicas take two seconds; each replica pacing alone would
    # have taken one. (The margin is for a busy machine, far below the second at stake.)
    assert last_slot - started >= 59 / 30 - 0.2
    assert waits[0] < 0.2


async def test_a_429_seen_by_one_replica_pauses_the_other(redis: Redis) -> None:
    first, second = await replicas(redis, 2)
    await first.pause_for(5)
    assert await second.overall_slot() >= 4.5
    # A later, shorter pause never shortens it.
    await second.pause_for(1)
    assert await first.overall_slot() >= 4.0


async def test_a_send_booked_before_a_429_on_another_replica_sees_the_pause(
    redis: Redis,
) -> None:
    first, second = await replicas(redis, 2)
    assert await second.clear_to_send("c") == 0
    await first.pause_for(5)
    assert 4.0 <= await second.clear_to_send("c") <= 5.0


async def test_a_chats_shared_pace_counts_from_when_its_message_really_went(
    redis: Redis,
) -> None:
    (pacer,) = await replicas(redis, 1)
    assert await pacer.chat_slot("late") < 0.2
    await asyncio.sleep(1.5)  # the message waited behind a broadcast
    assert await pacer.clear_to_send("late") == 0
    waits = [await pacer.chat_slot("late") for _ in range(2)]
    # Its burst of two counts from now: the next waits. Without the restart the burst would
    # be whole again, two at once.
    assert waits[1] > 0


async def test_a_redis_that_forgot_the_pace_holds_sending_until_bursts_have_refilled(
    redis: Redis,
) -> None:
    (pacer,) = await replicas(redis, 1)
    assert await pacer.overall_slot() < 0.2  # Redis knows the token: no wait
    # Redis restarts empty (it keeps nothing on disk): every chat's pace is forgotten.
    await redis.delete(*[key async for key in redis.scan_iter(f"{pacer.prefix}:*")])
    assert await pacer.overall_slot() >= 1.5  # two messages a chat, at one a second
    assert await pacer.clear_to_send("any") > 0  # a slot booked meanwhile waits too


async def test_a_replica_started_as_redis_came_back_empty_holds_sending_too(
    redis: Redis,
) -> None:
    # A process that never booked before finds the token unknown: Redis forgot it (or it is
    # new; nobody can tell), so any chat's burst may still be spent at the platform.
    newcomer, older = await replicas(redis, 2, known=False)
    assert await newcomer.overall_slot() >= 1.5
    assert await older.clear_to_send("any") > 0


async def test_a_send_booked_before_redis_forgot_the_pace_waits_before_it_goes(
    redis: Redis,
) -> None:
    (pacer,) = await replicas(redis, 1)
    assert await pacer.chat_slot("late") < 0.2
    assert await pacer.overall_slot() < 0.2
    await redis.delete(*[key async for key in redis.scan_iter(f"{pacer.prefix}:*")])
    # Its slot was booked while Redis knew the chat; the chat's next one may not be.
    assert await pacer.clear_to_send("late") >= 1.5


async def test_one_chats_pace_is_shared_too(redis: Redis) -> None:
    first, second = await replicas(redis, 2)
    assert [await first.chat_slot("42") for _ in range(2)] == pytest.approx([0, 0], abs=0.05)
    assert await second.chat_slot("42") >= 0.9
    assert await second.chat_slot("43") < 0.05  # another person is not held up


class Proxy:
    """A TCP relay in front of Redis that the test can cut and restore, as an outage would."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.server: asyncio.Server | None = None
        self.port = 0
        self.links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()
        for writer in list(self.links):
            writer.close()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self.links |= {writer, upstream_writer}

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            sink.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))


async def test_while_redis_is_away_nothing_is_booked_and_sending_resumes_when_it_is_back(
    redis: Redis,
) -> None:
    connection = redis.connection_pool.connection_kwargs
    proxy = Proxy((connection.get("host", "127.0.0.1"), int(connection.get("port", 6379))))
    await proxy.start()
    through_proxy = Redis(host="127.0.0.1", port=proxy.port, db=connection.get("db", 0))
    (pacer,) = await replicas(through_proxy, 1)
    try:
        assert await pacer.overall_slot() < 0.05
        await proxy.cut()
        waiting = asyncio.ensure_future(pacer.overall_slot())
        done, _ = await asyncio.wait({waiting}, timeout=1.5)
        assert not done  # no slot without Redis: sending unpaced would earn 429s
        await proxy.start()  # Redis is back, on the same address
        assert await asyncio.wait_for(waiting, 30) >= 0
    finally:
        await proxy.cut()
        await through_proxy.aclose()
