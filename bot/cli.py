"""The `cutri` command: run the bot, chat in the terminal, migrate, load demo data, set communes
up from their workbook, add admins, manage invites, print the hamlets' posters, rotate the
encryption key, retrain the communes' field models."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from bot.cli_commune import add_parser as add_commune_parser
from bot.cli_fields import add_parser as add_fields_parser
from bot.cli_posters import add_parser as add_posters_parser
from bot.logs import configure_logging
from bot.settings import Settings, SettingsError, load_settings


def run_serving(main: Coroutine[Any, Any, None]) -> None:
    """Run the bot on uvloop where it is installed (Linux, macOS): the same asyncio, with its
    event loop and sockets in C, which the inbound bench measured as cheaper per update."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)

def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:
        print(f"cutri: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    command = args.command
    if command in DATABASE_COMMANDS:
        from bot.keys import install_keys, verify_keys
        from storage.encryption import KeyringError

        try:
            keyring = install_keys(settings)
        except (KeyringError, OSError) as error:
            print(f"cutri: encryption key: {error}", file=sys.stderr)
            return 2
        try:
            asyncio.run(verify_keys(settings, keyring))
        except KeyringError as error:
            # Most likely a replica or a restore that made a key of its own.
            print(f"cutri: encryption key: {error}. The database was encrypted with another "
                  "key: set ENCRYPTION_KEYS or ENCRYPTION_KEY_FILE to that key.",
                  file=sys.stderr)
            return 2
    if command == "run":
        run_serving(_run(settings))
    elif command == "chat":
        from bot.console import run_console

        asyncio.run(run_console(settings))
    elif command == "db":
        from storage.migrate import upgrade_database

        upgrade_database(settings.database_url)
        print("database is up to date")
    elif command == "seed-demo":
        asyncio.run(_seed_demo(settings, only_if_empty=args.if_empty,
                               commune_only=args.commune_only))
    elif command == "admin":
        from bot.cli_access import create_admin

        return asyncio.run(create_admin(settings, args))
    elif command == "invite":
        from bot.cli_access import invite

        return asyncio.run(invite(settings, args))
    elif command == "keys":
        return asyncio.run(_rotate_keys(settings))
    elif command == "commune":
        from bot.cli_commune import run_commune

        return run_commune(settings.database_url, args)
    elif command == "fields":
        from bot.cli_fields import run_fields

        return run_fields(settings.database_url, args)
    elif command == "posters":
        from bot.cli_posters import write_posters

        return write_posters(settings, args)
    else:
        parser.print_help()
    return 0


# Commands that open the database, and so need the encryption key.
DATABASE_COMMANDS = {"run", "chat", "db", "seed-demo", "admin", "invite", "commune"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cutri", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (channels, dispatcher, HTTP server)")
    commands.add_parser("chat", help="chat with the bot in this terminal (no token needed)")
    db = commands.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade"])
    seed = commands.add_parser("seed-demo", help="load the demo commune from the seed plans")
    seed.add_argument("--if-empty", action="store_true", help="only when no commune exists")
    seed.add_argument("--commune-only", action="store_true",
                      help="the commune's places, fields, agencies and delegates alone: no "
                           "citizens, plans, dialogue or petitions")
    admin = commands.add_parser(
        "admin", help="bind a commune's (or a whole province's) admin to a chat account"
    )
    admin.add_argument("action", choices=["create"])
    where = admin.add_mutually_exclusive_group(required=True)
    where.add_argument("--commune", help="commune code, e.g. tan-thuan-tay")
    where.add_argument("--province", help="province code: admin of every commune in it")
    who = admin.add_mutually_exclusive_group(required=True)
    who.add_argument("--telegram", help="Telegram user id (a number)")
    who.add_argument("--zalo", help="Zalo user id (from the bot's own logs of that user)")
    invite = commands.add_parser(
        "invite", help="make single-use invite codes and links (shown once), list or revoke "
        "live ones, list the delegate seats"
    )
    invite.add_argument("action", nargs="?", default="create",
                        choices=["create", "list", "revoke", "seats"])
    invite.add_argument("id", nargs="?", type=int, help="for revoke: the invite's number")
    invite.add_argument("--commune", help="commune code (create and list)")
    invite.add_argument("--role", choices=["office", "delegate", "agency", "admin"])
    invite.add_argument("--count", type=int, default=1)
    invite.add_argument("--agency", help="for --role agency: the agency's name, as listed")
    invite.add_argument("--seat", help="for --role delegate: the seat, by delegate id or name "
                        "(see `cutri invite seats`)")
    add_commune_parser(commands)
    keys = commands.add_parser("keys", help="the key phones and categories are encrypted with")
    keys.add_argument("action", choices=["rotate"])
    add_posters_parser(commands)
    add_fields_parser(commands)
    return parser


async def _run(settings: Settings) -> None:
    from bot.app import run_process

    await run_process(settings)


async def _prepare(settings: Settings) -> object:
    from storage.db import Database
    from storage.migrate import upgrade_database_async

    await upgrade_database_async(settings.database_url)
    return Database(settings.database_url)


async def _seed_demo(settings: Settings, *, only_if_empty: bool,
                     commune_only: bool) -> None:
    from storage.db import Database
    from storage.demo import COMMUNE, LoadedDemo, has_any_commune, load_demo, seed_demo
    from storage.people.roles import create_invites, format_invite_code

    db = await _prepare(settings)
    assert isinstance(db, Database)
    more = "another office invite: cutri invite --commune {} --role office"
    async with db.transaction() as session:
        if only_if_empty and await has_any_commune(session):
            print("communes exist already: demo data not loaded")
            print(more.format(COMMUNE[0]))
        else:
            loaded = (LoadedDemo(await seed_demo(session), life_added=False)
                      if commune_only else await load_demo(session))
            commune = loaded.commune
            print(f"demo commune ready: {commune.name} (code {commune.code})")
            if loaded.life_added:
                # Shown once (only its hash is kept): printed when the demo is first loaded,
                # so that running the command again changes nothing.
                issued = (await create_invites(session, commune, "office", 1,
                                               actor_label="operator"))[0]
                print("the office side: type the invite code "
                      f"{format_invite_code(issued.token)} on the chat page")
            elif not commune_only:
                print(more.format(commune.code))
    await db.dispose()


async def _rotate_keys(settings: Settings) -> int:
    from bot.keys import key_file_path, rotate_keys
    from storage.encryption import KeyringError

    try:
        rotated = await rotate_keys(settings)
    except (KeyringError, OSError) as error:
        print(f"cutri: encryption key: {error}", file=sys.stderr)
        return 2
    print(f"{rotated.values} value(s) re-encrypted under key {rotated.key_id}.")
    if settings.encryption_keys is None:
        print(f"The key file {key_file_path(settings)} now holds only the new key. "
              "Restart every running cutri process.")
    elif rotated.retired:
        print("Key(s) " + ", ".join(map(str, rotated.retired)) + " are no longer needed: "
              "remove them from ENCRYPTION_KEYS and restart every running cutri process.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
