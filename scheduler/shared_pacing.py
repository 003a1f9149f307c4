"""One bot token's pace shared by every replica, in Redis (`REDIS_URL`).

The same generic cell rate algorithm as `scheduler.pacing.Pacer`, with its state (the next
free slot overall, per chat, and a pause after a 429) in Redis keys that a Lua script reads and
moves in one step, on Redis's own clock: two replicas never book the same slot, and their
clocks need not agree. A 429 seen by one replica pauses the token for all of them.

Keys carry a hash of the token, never the token; they expire once their slot has passed, so an
idle bot leaves nothing behind. While Redis does not answer, nothing is sent (sending unpaced
would earn a storm of 429s): the pace waits and tries again, and sending resumes by itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from scheduler.pacing import PER_CHAT_BURST

log = logging.getLogger(__name__)

# KEYS[1]: the slot to book; KEYS[2]: the pause (or the same key again, for a chat).
# ARGV: interval, tolerance (seconds). Returns the seconds to wait, as a string.
_BOOK = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, next_free - tolerance)
if KEYS[2] ~= KEYS[1] then
  slot = math.max(slot, tonumber(redis.call('GET', KEYS[2]) or '0'))
end
local booked = math.max(next_free, slot) + interval
redis.call('SET', KEYS[1], string.format('%.6f', booked),
           'PX', math.ceil((booked - now) * 1000) + 1000)
return string.format('%.6f', slot - now)
"""

# Whether Redis still knows this token (KEYS[3], kept without expiry). An empty Redis
# (restarted: it keeps nothing on disk) has forgotten every chat's pace, so nobody sends for
# ARGV[n] seconds, until any chat's burst has refilled at the platform, or the first replies
# would each find it spent. A replica cannot tell a Redis that forgot from a token never used
# (a process started just then has booked nothing before either): both wait, once.
_FORGOTTEN = """
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('SET', KEYS[3], '1')
  local forgotten = tonumber(ARGV[%d])
  if forgotten > 0 and now + forgotten > tonumber(redis.call('GET', KEYS[2]) or '0') then
    redis.call('SET', KEYS[2], string.format('%%.6f', now + forgotten),
               'PX', math.ceil(forgotten * 1000) + 1000)
  end
end
"""

# The overall slot, as _BOOK, after _FORGOTTEN (ARGV[3]); KEYS[2] is the pause.
_BOOK_OVERALL = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
""" + _FORGOTTEN % 3 + """
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local slot = math.max(now, next_free - tolerance,
                      tonumber(redis.call('GET', KEYS[2]) or '0'))
local booked = math.max(next_free, slot) + interval
redis.call('SET', KEYS[1], string.format('%.6f', booked),
           'PX', math.ceil((booked - now) * 1000) + 1000)
return string.format('%.6f', slot - now)
"""

# KEYS[1]: the pause; ARGV[1]: seconds from now. Never shortens a pause already set.
_PAUSE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > current then
  redis.call('SET', KEYS[1], string.format('%.6f', until_),
             'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
end
return 1
"""

# KEYS[1]: a chat's slot; KEYS[2]: the pause; ARGV[1]: the chat's interval; _FORGOTTEN with
# ARGV[2] (a slot booked before Redis forgot waits too). Returns the seconds the pause still
# lasts, as a string; if none, the chat's pace restarts from now.
_CLEAR = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
""" + _FORGOTTEN % 2 + """
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > now then
  return string.format('%.6f', paused - now)
end
local interval = tonumber(ARGV[1])
local next_free = tonumber(redis.call('GET', KEYS[1]) or '0')
if now + interval > next_free then
  redis.call('SET', KEYS[1], string.format('%.6f', now + interval),
             'PX', math.ceil(interval * 1000) + 1000)
end
return '0'
"""

RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)


def token_key(channel: str, token: str) -> str:
    """The keys' prefix for one bot token: the channel and a short hash of the token."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:16]
    return f"cutri:pace:{channel}:{digest}"


class SharedPacer:
    def __init__(
        self, redis: Redis, prefix: str, rate: float, *, per_chat_rate: float,
        per_chat_burst: int = PER_CHAT_BURST, burst: int | None = None,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.interval = 1.0 / rate
        self.tolerance = self.interval * max(0, (burst or max(1, int(rate / 10))) - 1)
        self.chat_interval = 1.0 / per_chat_rate
        self.chat_tolerance = self.chat_interval * max(0, per_chat_burst - 1)
        self._book = redis.register_script(_BOOK)
        self._book_overall = redis.register_script(_BOOK_OVERALL)
        # After Redis forgot the token: until any chat's burst has refilled at the platform.
        self.forgotten_pause = self.chat_interval * per_chat_burst
        self._pause = redis.register_script(_PAUSE)
        self._clear = redis.register_script(_CLEAR)
        self._unreachable = False

    async def chat_slot(self, chat_id: str) -> float:
        key = f"{self.prefix}:chat:{chat_id}"
        return float(await self._call(self._book, [key, key],
                                      [self.chat_interval, self.chat_tolerance]))

    async def overall_slot(self) -> float:
        return float(await self._call(
            self._book_overall,
            [f"{self.prefix}:all", f"{self.prefix}:paused", f"{self.prefix}:known"],
            [self.interval, self.tolerance, self.forgotten_pause]))

    async def pause_for(self, seconds: float) -> None:
        await self._call(self._pause, [f"{self.prefix}:paused"], [seconds])

    async def clear_to_send(self, chat_id: str) -> float:
        return float(await self._call(
            self._clear,
            [f"{self.prefix}:chat:{chat_id}", f"{self.prefix}:paused", f"{self.prefix}:known"],
            [self.chat_interval, self.forgotten_pause]))

    async def _call(self, script: Any, keys: list[str], args: list[float]) -> Any:
        attempt = 0
        while True:
            try:
                result = await script(keys=keys, args=args)
            except (RedisError, OSError) as error:
                if not self._unreachable:
                    log.warning("Redis unreachable: sending waits for it",
                                extra={"error": type(error).__name__})
                    self._unreachable = True
                await asyncio.sleep(RETRY_SECONDS[min(attempt, len(RETRY_SECONDS) - 1)])
                attempt += 1
                continue
            if self._unreachable:
                log.warning("Redis is back: sending resumes")
                self._unreachable = False
            return result.decode() if isinstance(result, bytes) else result
