"""Wiring the process: database, conversation runner, channels, dispatcher and HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.documents import process_document_jobs
from bot.field_training import FieldTraining
from bot.files import Fetchers, file_route
from bot.heap import settle_heap
from bot.local_chat import LocalChat
from bot.panel.app import PREFIX as PANEL_PREFIX
from bot.panel.app import build_panel_app
from bot.panel.context import Panel
from bot.plan_imports import process_plan_imports
from bot.settings import Settings
from bot.setup_imports import process_setup_imports
from bot.telegram import WEBHOOK_PATH as TELEGRAM_PATH
from bot.telegram import TelegramChannel
from bot.zalo import WEBHOOK_PATH as ZALO_PATH
from bot.zalo import ZaloChannel
from handlers.conversation import ConversationRunner
from handlers.inbound_limit import InboundLimit
from handlers.turn import HandlerConfig
from scheduler.clock import Clock
from scheduler.dispatcher import Channel, Dispatcher
from scheduler.jobs import build_scheduler, one_replica
from scheduler.pacing import Pace, Pacer
from storage.db import Database, database_unreachable
from storage.messaging.quiet_hours import QuietHours
from storage.migrate import upgrade_database_async

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)
# SIGTERM to exit: jobs and sends in hand get this long together, the HTTP server's open
# requests a little more (see `run_process`), well inside the 10 s an orchestrator allows.
SHUTDOWN_SECONDS = 6
JOB_GRACE_SECONDS = 4
# 200 once every channel is up: what a container's or a load balancer's health check asks.
HEALTH_PATH = "/health"
WEBHOOK_PATHS = frozenset({TELEGRAM_PATH, ZALO_PATH})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Process:
    settings: Settings
    db: Database
    runner: ConversationRunner
    dispatcher: Dispatcher = field(init=False)
    telegram: TelegramChannel | None = None
    zalo: ZaloChannel | None = None
    local: LocalChat | None = None
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    redis: Redis | None = None


def _pace(process: Process, channel: str, token: str, rate: float, per_chat_rate: float) -> Pace:
    """This process's pace, or with `REDIS_URL` the token's pace shared by every replica."""
    if process.settings.redis_url is None:
        return Pacer(rate, per_chat_rate=per_chat_rate)
    # Redis's client weighs some 16 MB: loaded only where it is used.
    from redis.asyncio import Redis

    from scheduler.shared_pacing import SharedPacer, token_key

    if process.redis is None:
        process.redis = Redis.from_url(process.settings.redis_url.get_secret_value())
    return SharedPacer(process.redis, token_key(channel, token), rate,
                       per_chat_rate=per_chat_rate)


def build_process(settings: Settings) -> Process:
    db = Database(settings.database_url, replica=True)
    runner = ConversationRunner(
        db,
        HandlerConfig(
            default_locale=settings.default_locale,
            link_code_minutes=settings.link_code_minutes,
            link_codes_per_target=settings.link_codes_per_target,
            link_codes_per_claimant=settings.link_codes_per_claimant,
            timezone=settings.timezone,
            quiet_hours=QuietHours.parse(settings.quiet_hours, settings.timezone),
            dialogue_offer_hours=settings.dialogue_offer_hours,
            dialogue_release_hours=settings.dialogue_release_hours,
            bot_username=settings.telegram_bot_username,
            zalo_bot_url=settings.zalo_bot_url,
            public_url=settings.public_base_url,
            panel_link_minutes=settings.panel_link_minutes,
        ),
        limit=InboundLimit(settings.inbound_per_minute, burst=settings.inbound_burst),
    )
    channels: dict[str, Channel] = {}
    process = Process(settings, db, runner)
    if settings.telegram_bot_token is not None:
        process.telegram = TelegramChannel(
            settings.telegram_bot_token.get_secret_value(),
            runner,
            api_url=settings.telegram_api_url,
            webhook_url=settings.telegram_webhook_url,
            webhook_secret=_secret(settings.telegram_webhook_secret),
            public_url=settings.public_base_url,
        )
        channels["telegram"] = Channel(process.telegram, _pace(
            process, "telegram", settings.telegram_bot_token.get_secret_value(),
            settings.telegram_rate, settings.telegram_per_chat_rate))
    if settings.zalo_bot_token is not None:
        process.zalo = ZaloChannel(
            settings.zalo_bot_token.get_secret_value(),
            runner,
            api_url=settings.zalo_api_url,
            webhook_url=settings.zalo_webhook_url,
            webhook_secret=_secret(settings.zalo_webhook_secret),
            public_url=settings.public_base_url,
        )
        channels["zalo"] = Channel(process.zalo, _pace(
            process, "zalo", settings.zalo_bot_token.get_secret_value(),
            settings.zalo_rate, settings.zalo_per_chat_rate))
    if settings.local_chat_enabled:
        process.local = LocalChat(runner, public_url=settings.public_base_url)
        channels["local"] = Channel(process.local, Pacer(1000, per_chat_rate=100))
    process.dispatcher = Dispatcher(
        db,
        channels,
        poll_seconds=settings.outbox_poll_seconds,
        max_attempts=settings.outbox_max_attempts,
        lease_seconds=settings.outbox_lease_seconds,
        window=settings.outbox_window,
    )
    runner.on_queued.append(process.dispatcher.wake)
    return process


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def platform_fetchers(process: Process) -> Fetchers:
    """How to fetch a user's file from each platform that is switched on."""
    fetchers: Fetchers = {}
    if process.telegram is not None:
        fetchers["telegram"] = process.telegram.download
    if process.zalo is not None:
        fetchers["zalo"] = process.zalo.download
    return fetchers


def build_web_app(process: Process) -> web.Application:
    # Webhooks' updates are a few kilobytes; the panel allows a photo to its signed-in staff.
    app = web.Application(client_max_size=1024 * 1024)

    async def health(_request: web.Request) -> web.Response:
        # Ready only once every channel has started (webhooks set, commands published), and
        # no longer once it is stopping: a load balancer sends the next updates elsewhere.
        if process.stop.is_set():
            return web.json_response({"ok": False, "draining": True}, status=503)
        status = 200 if process.ready.is_set() else 503
        return web.json_response({"ok": status == 200}, status=status)

    @web.middleware
    async def refuse_updates_while_draining(request: web.Request, handler: Handler,
                                            ) -> web.StreamResponse:
        # An update taken now might wait in this replica's inbox until it starts again, which
        # in a rolling restart may be never: refused, the platform delivers it again, to a
        # replica that is up.
        if process.stop.is_set() and request.path in WEBHOOK_PATHS:
            return web.json_response({"ok": False, "draining": True}, status=503)
        try:
            return await handler(request)
        except Exception as error:
            if request.path not in WEBHOOK_PATHS or not database_unreachable(error):
                raise
            # PostgreSQL restarting: nothing was recorded, the platform delivers the update
            # again (a load balancer tries another replica first). One line, no traceback.
            log.warning("update refused: the database is unreachable",
                        extra={"error": type(error).__name__})
            return web.json_response({"ok": False, "database": "unreachable"}, status=503)

    app.middlewares.append(refuse_updates_while_draining)

    app.router.add_get(HEALTH_PATH, health)
    app.router.add_routes([file_route(
        process.db, platform_fetchers(process),
        personal_link=timedelta(minutes=process.settings.personal_file_minutes))])
    if process.telegram is not None:
        app.router.add_post(TELEGRAM_PATH, process.telegram.webhook)
    if process.zalo is not None:
        app.router.add_post(ZALO_PATH, process.zalo.webhook)
    if process.local is not None:
        app.add_routes(process.local.routes())
    app.add_subapp(PANEL_PREFIX, build_panel_app(Panel(
        process.db, public_url=process.settings.public_base_url,
        session_hours=process.settings.panel_session_hours,
        locale=process.settings.default_locale, timezone=process.settings.timezone,
        fetchers=platform_fetchers(process), wake=process.dispatcher.wake.set,
        quiet_hours=QuietHours.parse(process.settings.quiet_hours, process.settings.timezone))))
    return app


async def run_process(settings: Settings) -> None:
    if settings.database_url.startswith("sqlite"):
        await upgrade_database_async(settings.database_url)
    process = build_process(settings)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, process.stop.set)
    # Webhook handlers are short; the local chat's long polls need not delay a shutdown.
    runner = web.AppRunner(build_web_app(process), access_log=None, shutdown_timeout=2)
    await runner.setup()
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    tasks = [asyncio.create_task(process.dispatcher.run(process.stop))]
    clock = build_scheduler(process.db, settings.timezone,
                            outbox_retention_days=settings.outbox_retention_days,
                            dossier_days=settings.dossier_days)
    clock.add_job(process_plan_imports, "interval", seconds=3,
                  args=[process.db, platform_fetchers(process)], id="process-plan-imports",
                  max_instances=1, coalesce=True)
    # Often: the asker was told the file will follow shortly.
    clock.add_job(process_document_jobs, "interval", seconds=2, args=[process.db],
                  id="process-document-jobs", max_instances=1, coalesce=True)
    clock.add_job(process_setup_imports, "interval", seconds=3,
                  args=[process.db, platform_fetchers(process)], id="process-setup-imports",
                  max_instances=1, coalesce=True)
    add_field_training(clock, FieldTraining(process.db,
                                            retrain_after=settings.field_model_retrain_after))
    if not process.db.is_sqlite:
        add_stale_sweep(clock, process.runner, settings.inbox_stale_seconds)
    clock.start()
    if process.telegram is not None:
        await process.telegram.start()
        process.runner.config = _with_username(process.runner.config, process.telegram.username)
    if process.zalo is not None:
        await process.zalo.start()
    resumed = await take_up_waiting(process.db, process.runner,
                                    timedelta(seconds=settings.inbox_stale_seconds))
    if resumed:
        log.info("resuming updates received before the restart", extra={"row": resumed})
    if process.telegram is not None and not settings.telegram_webhook_url:
        tasks.append(asyncio.create_task(process.telegram.poll(process.stop)))
    if process.zalo is not None and not settings.zalo_webhook_url:
        tasks.append(asyncio.create_task(process.zalo.poll(process.stop)))
    settle_heap()
    process.ready.set()
    log.info("cutri is running on http://%s:%s", settings.http_host, settings.http_port)
    if process.local is not None:
        log.info("local chat: open http://%s:%s/ in a browser", settings.http_host,
                 settings.http_port)
    await process.stop.wait()
    await shut_down(process, clock, tasks, runner)


async def take_up_waiting(db: Database, runner: ConversationRunner, stale: timedelta) -> int:
    """What arrived before the last stop and was not handled goes first, in its order.

    Beside other living replicas (PostgreSQL), only what waited longer than `stale`: the rest
    may be in their hands (recorded, queued to handle), and this process cannot tell its own
    from theirs. What it left itself is taken up by the sweep (`add_stale_sweep`) of whichever
    replica comes first, once it has waited as long. Alone, it takes everything at once.
    """
    if await db.others_connected():
        return await runner.resume_stale(stale)
    return await runner.resume()


def add_field_training(clock: Clock, training: FieldTraining) -> None:
    """Communes' field models: retrained at night, and in the day once enough is new; by one
    replica at a time (two would train the same commune twice)."""

    async def during_the_day(_db: Database) -> None:
        await training.during_the_day()

    async def at_night(_db: Database) -> None:
        await training.at_night()

    # Checked often: one query, and a child process only for a commune that is due.
    clock.add_job(one_replica("retrain-field-models", during_the_day), "interval", minutes=10,
                  args=[training.db], id="retrain-field-models", max_instances=1, coalesce=True)
    # 01:30 local, when nobody waits for the machine; a process down then catches up by dawn.
    clock.add_job(one_replica("retrain-field-models-night", at_night), "cron", hour=1,
                  minute=30, args=[training.db], id="retrain-field-models-night",
                  max_instances=1, coalesce=True, misfire_grace_time=4 * 3600)


def add_stale_sweep(clock: Clock, runner: ConversationRunner, stale_seconds: int) -> None:
    """Updates a dead replica recorded and left waiting, taken over by this one. Every replica
    sweeps: rows are claimed with SKIP LOCKED, and each sweep helps the others' backlog."""

    async def sweep() -> None:
        resumed = await runner.resume_stale(timedelta(seconds=stale_seconds))
        if resumed:
            log.info("taking over updates left waiting", extra={"row": resumed})

    clock.add_job(sweep, "interval", seconds=max(2, stale_seconds // 3),
                  id="resume-stale-updates", max_instances=1, coalesce=True)


async def shut_down(process: Process, clock: Clock, tasks: list[asyncio.Task[None]],
                    server: web.AppRunner) -> None:
    """Stop taking work, let what runs finish or roll back, and exit within the budget.

    Pollers stop asking for updates, the dispatcher finishes the sends in hand and returns the
    rest to pending, jobs get a few seconds; whatever is cut short rolls back and is taken up
    again on the next start (updates are redelivered, leases run out, due rows stay due).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SHUTDOWN_SECONDS
    await clock.stop(JOB_GRACE_SECONDS)
    _finished, late = await asyncio.wait(tasks, timeout=max(0.1, deadline - loop.time()))
    for task in late:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    # Updates recorded and not handled in time stay recorded: the next start handles them.
    await process.runner.stop(max(0.1, deadline - loop.time()))
    await server.cleanup()
    for channel in (process.telegram, process.zalo):
        if channel is not None:
            await channel.close()
    if process.redis is not None:
        await process.redis.aclose()
    await process.db.dispose()


def _with_username(config: HandlerConfig, username: str | None) -> HandlerConfig:
    # Telegram's own answer wins over TELEGRAM_BOT_USERNAME (a renamed bot, a typo).
    return replace(config, bot_username=username or config.bot_username)
