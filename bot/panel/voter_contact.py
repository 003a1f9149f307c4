"""The panel's voter contact: meetings as a month's calendar and a list, a meeting's attendance,
and the year's plan imported from a spreadsheet.

The plan file is checked as the chat's `/plan` checks it (`storage.voter_contact.plan_file`)
and imported by the same operation; the only difference is that the file is at hand in the
request, so nothing has to be fetched from a platform in the background.
"""

from __future__ import annotations

import asyncio
import calendar
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.web_request import FileField
from sqlalchemy.ext.asyncio import AsyncSession

from bot.panel.context import PANEL, render, render_message, staff_of
from bot.panel.words import first_upper
from handlers.dates import example_span, read_when
from handlers.i18n import N_, translator
from handlers.voter_contact.notices import TIMING
from handlers.voter_contact.plan_upload import ACCEPTED, PROBLEMS, describe_problem
from storage.models import Meeting, Person
from storage.models.base import utcnow
from storage.permissions import NotAllowed
from storage.petitions.petitions import LOCAL
from storage.places import get_commune
from storage.voter_contact.attendance import meeting_attendance, nudge_silent_delegates
from storage.voter_contact.meetings import (
    BadPlan,
    cancel_meeting,
    get_commune_meeting,
    move_meeting,
    rounds_of_commune,
    unit_name,
    upcoming_meetings_of_commune,
)
from storage.voter_contact.plan_import import import_plan, plan_references
from storage.voter_contact.schedule import ScheduledMeeting, meetings_between

# The HTTP server refuses a larger body anyway (its client_max_size); a plan of a few
# thousand rows is well under it.
MAX_PLAN_BYTES = 1024 * 1024
STATUS_NAMES = {"planned": N_("Planned"), "held": N_("Held"), "cancelled": N_("Cancelled")}
MAX_REASON = 500
# What the meeting's page says after a change: (text, whether it is a warning).
NOTICES = {
    "nudged": (N_("The delegates who have not answered were reminded."), False),
    "none": (N_("Every delegate has answered already: nobody to remind."), False),
    "refused": (N_("Nothing was changed: the meeting is no longer planned."), True),
    "moved": (N_("Moved. Reminders are planned again and those who had been told are told."),
              False),
    "moved_wide": (N_("Moved. The new day is outside the round's window, so the round now "
                      "runs to include it: check that this still suits the session and the "
                      "Front's report. Those who had been told are told."), True),
    "cancelled": (N_("The meeting is cancelled; no reminder will go out for it and those who "
                     "had been told are told."), False),
    "bad_when": (N_("Nothing was changed: please write a coming day and time, e.g. "
                    "15/07/2027 8:00-10:00."), True),
    "bad_end": (N_("The meeting would end before it starts or last over 12 hours; nothing "
                   "was changed."), True),
    "no_reason": (N_("Nothing was changed: please write the reason; the delegates and voters "
                     "who were told will read it."), True),
}


def routes() -> list[web.RouteDef]:
    return [
        web.get("/meetings", meetings_page),
        web.get(r"/meetings/{id:\d+}", meeting_page),
        web.post(r"/meetings/{id:\d+}/remind", remind_silent),
        web.post(r"/meetings/{id:\d+}/move", move),
        web.post(r"/meetings/{id:\d+}/cancel", cancel),
        web.get("/plan", plan_page),
        web.post("/plan", upload_plan),
        web.get("/plan/template.xlsx", plan_template),
    ]


@dataclass(frozen=True)
class Day:
    day: date | None  # None: a cell of the grid outside the month
    meetings: list[ScheduledMeeting]
    today: bool


def _month_of(text: str | None, today: date) -> date:
    """The month asked for as "2026-12", or this month."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        return date(year, month, 1) if 2000 <= year <= 2100 else today.replace(day=1)
    except ValueError:
        return today.replace(day=1)


def _shift(month: date, by: int) -> date:
    index = month.year * 12 + month.month - 1 + by
    return date(index // 12, index % 12 + 1, 1)


def month_grid(month: date, meetings: list[ScheduledMeeting], today: date) -> list[list[Day]]:
    """The month's weeks, Monday first, each day with its meetings."""
    by_day: dict[date, list[ScheduledMeeting]] = {}
    for meeting in meetings:
        by_day.setdefault(meeting.starts_at.astimezone(LOCAL).date(), []).append(meeting)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month):
        weeks.append([Day(d, by_day.get(d, []), d == today) if d.month == month.month
                      else Day(None, [], False) for d in week])
    return weeks


async def _commune_name(request: web.Request) -> str:
    panel = request.app[PANEL]
    async with panel.db.transaction() as db:
        commune = await get_commune(db, staff_of(request).commune_id)
    return commune.name if commune else ""


async def meetings_page(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    staff = staff_of(request)
    today = utcnow().astimezone(LOCAL).date()
    month = _month_of(request.query.get("month"), today)
    last = _shift(month, 1).replace(day=1)
    async with panel.db.transaction() as db:
        meetings = await meetings_between(db, staff.commune_id, month,
                                          date.fromordinal(last.toordinal() - 1))
        rounds = await rounds_of_commune(db, staff.commune_id)
        coming = await upcoming_meetings_of_commune(db, staff.commune_id, utcnow(), limit=1)
    return await render(
        request, "meetings.html", month=month, weeks=month_grid(month, meetings, today),
        meetings=meetings, rounds=rounds, coming=coming[0] if coming else None,
        timing=TIMING, status_names=STATUS_NAMES,
        previous=f"{_shift(month, -1):%Y-%m}", following=f"{_shift(month, 1):%Y-%m}",
        this_month=f"{today:%Y-%m}", zone=ZoneInfo(panel.timezone), first_upper=first_upper,
        commune=await _commune_name(request))


async def _forbidden(request: web.Request) -> web.Response:
    return await render_message(request, N_("Not allowed"),
                                N_("You cannot open that meeting."), status=403)


async def meeting_page(request: web.Request) -> web.Response:
    panel = request.app[PANEL]
    staff = staff_of(request)
    async with panel.db.transaction() as db:
        meeting = await get_commune_meeting(db, staff.commune_id, int(request.match_info["id"]))
        person = await db.get(Person, staff.person_id)
        if meeting is None or person is None:
            return await _forbidden(request)
        try:
            attendance = await meeting_attendance(db, person, meeting)
        except NotAllowed:
            return await _forbidden(request)
        unit = await unit_name(db, meeting)
        day = meeting.starts_at.astimezone(LOCAL).date()
        listed = [m for m in await meetings_between(db, staff.commune_id, day, day)
                  if m.id == meeting.id]
    notice = NOTICES.get(request.query.get("notice", ""))
    return await render(request, "meeting.html", meeting=meeting, unit=unit,
                        attendance=attendance, scheduled=listed[0] if listed else None,
                        status_names=STATUS_NAMES, timing=TIMING, notice=notice,
                        zone=ZoneInfo(panel.timezone), back_month=f"{day:%Y-%m}",
                        example=example_span(utcnow(), panel.timezone),
                        commune=await _commune_name(request))


MeetingMove = Callable[[AsyncSession, Person, Meeting], Awaitable[str]]


async def _act_on_meeting(request: web.Request, act: MeetingMove,
                          told: Callable[[str], bool]) -> web.Response:
    """One of the chat's moves on a meeting, from its page: `act` returns what happened (a
    key of NOTICES); when someone was `told`, the dispatcher is woken. Back to the page."""
    panel = request.app[PANEL]
    staff = staff_of(request)
    async with panel.db.transaction() as db:
        meeting = await get_commune_meeting(db, staff.commune_id, int(request.match_info["id"]))
        person = await db.get(Person, staff.person_id)
        if meeting is None or person is None:
            return await _forbidden(request)
        meeting_id = meeting.id
        try:
            outcome = await act(db, person, meeting)
        except NotAllowed:
            return await _forbidden(request)
    if told(outcome):
        panel.wake()
    raise web.HTTPSeeOther(f"/panel/meetings/{meeting_id}?notice={outcome}")


async def remind_silent(request: web.Request) -> web.Response:
    """The chat's "remind those who have not answered", from the meeting's page."""

    async def remind(db: AsyncSession, person: Person, meeting: Meeting) -> str:
        try:
            return "nudged" if await nudge_silent_delegates(db, person, meeting) else "none"
        except BadPlan:
            return "refused"

    return await _act_on_meeting(request, remind, lambda outcome: outcome == "nudged")


async def move(request: web.Request) -> web.Response:
    """The chat's "move it": a new day and time (and place), with the reason people will read."""
    panel = request.app[PANEL]
    form = await request.post()
    now = utcnow()
    when = read_when(str(form.get("when", ""))[:200], panel.timezone, now)
    place = str(form.get("place", "")).strip()[:300]
    reason = str(form.get("reason", "")).strip()

    async def move_it(db: AsyncSession, person: Person, meeting: Meeting) -> str:
        if when is None or when.moment <= now:
            return "bad_when"
        if not reason or len(reason) > MAX_REASON:
            return "no_reason"
        try:
            moved = await move_meeting(db, person, meeting, starts_at=when.moment,
                                       ends_at=when.ends_at, place=place or when.rest or None,
                                       reason=reason, now=now)
        except BadPlan as error:
            return {"bad_end": "bad_end", "in_the_past": "bad_when"}.get(error.reason,
                                                                          "refused")
        return "moved" if moved.stretched_from is None else "moved_wide"

    return await _act_on_meeting(request, move_it, lambda outcome: outcome.startswith("moved"))


async def cancel(request: web.Request) -> web.Response:
    """The chat's "cancel it", with the reason the delegates and voters told will read."""
    form = await request.post()
    reason = str(form.get("reason", "")).strip()

    async def cancel_it(db: AsyncSession, person: Person, meeting: Meeting) -> str:
        if not reason or len(reason) > MAX_REASON:
            return "no_reason"
        try:
            await cancel_meeting(db, person, meeting, reason=reason)
        except BadPlan:
            return "refused"
        return "cancelled"

    return await _act_on_meeting(request, cancel_it, lambda outcome: outcome == "cancelled")


async def plan_page(request: web.Request) -> web.Response:
    return await _plan_page(request)


async def _plan_page(request: web.Request, *, status: int = 200, **values: Any
                     ) -> web.Response:
    panel = request.app[PANEL]
    async with panel.db.transaction() as db:
        rounds = await rounds_of_commune(db, staff_of(request).commune_id)
    values.setdefault("problems", [])
    values.setdefault("imported", None)
    values.setdefault("file_name", "")
    values.setdefault("error", None)
    return await render(request, "plan.html", status=status, rounds=rounds, timing=TIMING,
                        accepted=", ".join(ACCEPTED), commune=await _commune_name(request),
                        **values)


async def upload_plan(request: web.Request) -> web.Response:
    """Check the file sent; import it only if it is clean, else show every problem."""
    panel = request.app[PANEL]
    staff = staff_of(request)
    form = await request.post()
    sent = form.get("plan")
    if not isinstance(sent, FileField) or not sent.filename:
        return await _plan_page(request, status=400, error=N_("Please choose the plan file."))
    name = sent.filename[:200]
    data = sent.file.read(MAX_PLAN_BYTES + 1)
    if not name.lower().endswith(ACCEPTED) or len(data) > MAX_PLAN_BYTES:
        return await _plan_page(request, status=400, file_name=name, error=PROBLEMS[
            "unsupported_format" if len(data) <= MAX_PLAN_BYTES else "too_many_rows"])
    async with panel.db.transaction() as db:
        units, delegates = await plan_references(db, staff.commune_id)
    # The spreadsheet library loads with the first plan, not with the bot; reading a large
    # file takes a moment, which is spent off the event loop.
    from storage.voter_contact.plan_file import read_plan

    plan = await asyncio.to_thread(read_plan, data, name, units=units, delegates=delegates)
    if not plan.ok:
        t = translator(staff.locale or panel.locale)
        problems = [
            (p.row or None, p.column or None,
             describe_problem(t, {"key": p.key, "params": p.params, "row": 0, "column": ""}))
            for p in plan.problems
        ] or [(None, None, t._(PROBLEMS["no_rows"]))]
        return await _plan_page(request, status=422, file_name=name, problems=problems)
    async with panel.db.transaction() as db:
        person = await db.get(Person, staff.person_id)
        assert person is not None
        try:
            imported = await import_plan(db, person, staff.commune_id, plan)
        except NotAllowed:
            return await render_message(request, N_("Not allowed"),
                                        N_("Only the commune office can import the plan."),
                                        status=403)
    panel.wake()
    return await _plan_page(request, file_name=name, imported=imported)


async def plan_template(request: web.Request) -> web.Response:
    """The same Excel template the chat hands out, for this commune's electoral units."""
    panel = request.app[PANEL]
    async with panel.db.transaction() as db:
        units, _delegates = await plan_references(db, staff_of(request).commune_id)
    year = utcnow().astimezone(LOCAL).year
    from storage.voter_contact.plan_file import build_plan_template_xlsx

    content = await asyncio.to_thread(lambda: build_plan_template_xlsx(units=units,
                                                                       example_year=year))
    return web.Response(body=content, content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), headers={
        "Content-Disposition": f'attachment; filename="mau-ke-hoach-txct-{year}.xlsx"'})
