"""`cutri admin` and `cutri invite`: who gets in, as the operator sets it up from a terminal.

Invites print what the invited person needs on each channel: the Telegram link (when the
bot's username is known: TELEGRAM_BOT_USERNAME), the Zalo chat page (ZALO_BOT_URL) and the
code, which works anywhere once typed in the chat with the bot. A delegate's invite is for one
seat of the office's plan (`cutri invite seats` lists them): the seat is how their meetings and
reminders find them.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.ext.asyncio import AsyncSession

from bot.settings import Settings
from handlers.links import telegram_start_link, zalo_chat_link
from storage.db import Database
from storage.folding import fold
from storage.migrate import upgrade_database_async
from storage.models import Commune
from storage.people.roles import (
    INVITE_PREFIX,
    SeatRequired,
    create_first_admin,
    create_invites,
    create_province_admin,
    delegate_seats,
    find_seat,
    format_invite_code,
    live_invites,
    revoke_invite,
)
from storage.places import find_commune_by_code, find_province_by_code, list_agencies


def fail(message: str) -> int:
    print(f"cutri: {message}", file=sys.stderr)
    return 2


async def open_database(settings: Settings) -> Database:
    await upgrade_database_async(settings.database_url)
    return Database(settings.database_url)


def print_invite(settings: Settings, label: str, code: str) -> None:
    """One invite: its code, and the links that open the bot on each configured channel."""
    print(f"{label:12} code {format_invite_code(code)}")
    telegram = telegram_start_link(settings.telegram_bot_username, INVITE_PREFIX + code)
    print(f"{'':12} Telegram: {telegram or f'/start {INVITE_PREFIX}{code}'}")
    zalo = zalo_chat_link(settings)
    if zalo:
        print(f"{'':12} Zalo: {zalo} (then type the code)")


def print_link_hints(settings: Settings) -> None:
    if not settings.telegram_bot_username:
        print("Set TELEGRAM_BOT_USERNAME to print t.me links; typing the code always works.")
    if not settings.zalo_bot_url:
        print("Set ZALO_BOT_URL (https://zalo.me/<bot id>) to print the Zalo chat link.")


async def create_admin(settings: Settings, args: argparse.Namespace) -> int:
    channel, external_id = ("telegram", args.telegram) if args.telegram else ("zalo", args.zalo)
    if channel == "telegram" and not str(external_id).isdigit():
        return fail("a Telegram user id is a number")
    db = await open_database(settings)
    try:
        async with db.transaction() as session:
            if args.province:
                province = await find_province_by_code(session, args.province)
                if province is None:
                    return fail(f"no province with code {args.province!r}")
                await create_province_admin(session, province, channel, str(external_id))
                print(f"admin of every commune of {province.name} bound to {channel} account "
                      f"{external_id}")
                return 0
            commune = await find_commune_by_code(session, args.commune)
            if commune is None:
                return fail(f"no commune with code {args.commune!r}")
            await create_first_admin(session, commune, channel, str(external_id))
            print(f"admin of {commune.name} bound to {channel} account {external_id}")
            for issued in await create_invites(session, commune, "office", 3,
                                               actor_label="operator"):
                print_invite(settings, "office", issued.token)
    finally:
        await db.dispose()
    print("Delegates are invited one seat at a time, so their meetings reach them: "
          f"`cutri invite seats --commune {commune.code}`, then "
          f"`cutri invite --commune {commune.code} --role delegate --seat <id or name>` "
          "(or from the admin's menu in the bot).")
    print_link_hints(settings)
    return 0


async def invite(settings: Settings, args: argparse.Namespace) -> int:
    if args.action == "revoke":
        if args.id is None:
            return fail("invite revoke needs the invite's number (see `cutri invite list`)")
    elif not args.commune or (args.action == "create" and not args.role):
        return fail("invite needs --commune (and --role to create)")
    db = await open_database(settings)
    try:
        async with db.transaction() as session:
            if args.action == "revoke":
                revoked = await revoke_invite(session, args.id, commune_id=None, actor_id=None,
                                              actor_label="operator")
                if revoked is None:
                    return fail(f"no live invite number {args.id}")
                print(f"invite {args.id} revoked")
                return 0
            commune = await find_commune_by_code(session, args.commune)
            if commune is None:
                return fail(f"no commune with code {args.commune!r}")
            if args.action == "list":
                return await _list(session, commune)
            if args.action == "seats":
                return await _seats(session, commune)
            return await _create(settings, session, commune, args)
    finally:
        await db.dispose()


async def _list(session: AsyncSession, commune: Commune) -> int:
    invites = await live_invites(session, commune.id)
    for invite in invites:
        print(f"{invite.id:6}  {invite.role:9} until {invite.expires_at:%d/%m/%Y %H:%M} UTC"
              + (f"  agency {invite.agency_id}" if invite.agency_id else "")
              + (f"  delegate seat {invite.delegate_id}" if invite.delegate_id else ""))
    print(f"{len(invites)} live invite(s); the codes themselves are not stored.")
    return 0


async def _seats(session: AsyncSession, commune: Commune) -> int:
    seats = await delegate_seats(session, commune.id)
    for seat in seats:
        print(f"{seat.delegate_id:6}  {seat.name:32} {seat.unit or '-':28} "
              + ("held" if seat.held else "open"))
    print(f"{len(seats)} seat(s); `held`: a chat account has joined by that seat's invite.")
    return 0


async def _create(settings: Settings, session: AsyncSession, commune: Commune,
                  args: argparse.Namespace) -> int:
    agency_id = delegate_id = None
    label = args.role
    if args.role == "agency":
        agencies = await list_agencies(session, commune.id)
        found = {fold(a.name): a for a in agencies}.get(fold(args.agency or ""))
        if found is None:
            return fail("--role agency needs --agency, one of: "
                        + "; ".join(a.name for a in agencies))
        agency_id = found.id
    if args.role == "delegate":
        seat = await find_seat(session, commune.id, args.seat or "")
        if seat is None:
            return fail("--role delegate needs --seat, a delegate's id or name as listed by "
                        f"`cutri invite seats --commune {commune.code}`")
        delegate_id, label = seat.delegate_id, f"delegate {seat.name}"
    try:
        issued = await create_invites(session, commune, args.role, max(1, args.count),
                                      agency_id=agency_id, delegate_id=delegate_id,
                                      actor_label="operator")
    except SeatRequired as error:
        return fail(str(error))
    for item in issued:
        print_invite(settings, label, item.token)
    print_link_hints(settings)
    return 0
