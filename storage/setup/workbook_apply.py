"""Applying a commune workbook: compare it with the database, list the changes, apply them.

`plan_setup` reads what the database holds for the workbook's communes and lists, per
commune, what would be added, updated (attribute by attribute, before → after) and removed.
Rows are matched by what does not change when the office corrects a spelling: a hamlet by
its code, a unit by its number, a field by its code, an agency and a seat by their folded
names, a dialogue option by its kind and code. So a renamed hamlet is an update, never a
delete and an add.

Nothing referenced is deleted: a hamlet people live in, a field or agency petitions point to,
a seat whose delegate has joined or has meetings, stays ("kept") and the plan says why.
Communes the workbook does not name are left alone.

`apply_setup` plans again inside its own transaction (the database may have moved since the
office looked) and removes only what the confirmed plan listed and is still unreferenced.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import record_action
from storage.encryption import phone_lookup
from storage.folding import fold
from storage.models import (
    Agency,
    AgencyField,
    ChannelIdentity,
    Commune,
    Delegate,
    Dialogue,
    DialogueOption,
    ElectoralUnit,
    Field,
    Hamlet,
    HamletQuota,
    Invite,
    Meeting,
    MeetingDelegate,
    Person,
    Petition,
    Province,
    Registration,
    RoleGrant,
)
from storage.models.base import utcnow
from storage.setup.workbook import (
    AgencyRow,
    CommuneRow,
    DialogueOptionRow,
    FieldRow,
    HamletRow,
    SeatRow,
    SetupProblem,
    UnitRow,
    Workbook,
)

# The sheets and the columns problems point at, as the workbook file (`workbook_sheets`)
# names them. The row is counted from the header in row 1: a file with blank rows or a title
# above the header points a little high.
SHEET_COMMUNES = "Xã"
SHEET_HAMLETS = "Thôn, ấp"
SHEET_UNITS = "Đơn vị bầu cử"
SHEET_SEATS = "Đại biểu"
SHEET_FIELDS = "Lĩnh vực"
SHEET_AGENCIES = "Cơ quan"
SHEET_OPTIONS = "Đối thoại"
COLUMN_COMMUNE = "Mã xã"
COLUMN_HAMLET_CODE = "Mã thôn"
COLUMN_HAMLET_NAME = "Tên"

# What a plan lists, in the order a reader meets it.
KINDS = ("commune", "unit", "hamlet", "seat", "field", "agency", "option")


@dataclass(frozen=True)
class Change:
    """One thing added, updated or removed in a commune.

    `key` is what it is matched by (a hamlet's code, a unit's number...), `label` what a
    person calls it; an update lists the attributes that differ as (attribute, before, after).
    """

    kind: str
    key: str
    label: str
    attributes: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class Kept:
    """Something the workbook no longer lists that stays, and what still uses it."""

    kind: str
    key: str
    label: str
    uses: tuple[tuple[str, int], ...]  # ("people", 12), ("petitions", 3)...


@dataclass(frozen=True)
class CommunePlan:
    code: str
    name: str
    new: bool
    added: tuple[Change, ...] = ()
    updated: tuple[Change, ...] = ()
    removed: tuple[Change, ...] = ()
    kept: tuple[Kept, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.new or self.added or self.updated or self.removed)

    def count(self, which: str) -> dict[str, int]:
        """How many of each kind were `added`, `updated` or `removed`, in `KINDS` order."""
        counts = Counter(change.kind for change in getattr(self, which))
        return {kind: counts[kind] for kind in KINDS if counts[kind]}


@dataclass(frozen=True)
class SetupPlan:
    workbook: Workbook
    communes: tuple[CommunePlan, ...]
    problems: tuple[SetupProblem, ...] = ()
    # The communes this plan may touch (None: any): what the uploader administers.
    allowed: frozenset[str] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> bool:
        return any(commune.changed for commune in self.communes)


@dataclass(frozen=True)
class SetupApplied:
    """What was done: the plan as applied (removals the database refused meanwhile are kept)."""

    communes: tuple[CommunePlan, ...]

    @property
    def changed(self) -> bool:
        return any(commune.changed for commune in self.communes)


class SetupNotClean(ValueError):
    """The workbook has problems against the database: nothing was applied."""

    def __init__(self, problems: tuple[SetupProblem, ...]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


# -- reading the database ------------------------------------------------------------------


@dataclass
class _Seat:
    delegate: Delegate
    person: Person
    unit_number: int
    joined: bool  # the holder has a chat account: the seat is someone's, not a placeholder


@dataclass
class _Existing:
    """What the database holds for one commune of the workbook."""

    commune: Commune
    province: Province
    units: dict[int, ElectoralUnit] = field(default_factory=dict)
    hamlets: dict[str, Hamlet] = field(default_factory=dict)
    seats: list[_Seat] = field(default_factory=list)
    fields: dict[str, Field] = field(default_factory=dict)
    agencies: dict[str, Agency] = field(default_factory=dict)  # by folded name
    agency_fields: dict[int, set[int]] = field(default_factory=dict)
    options: dict[tuple[str, str], DialogueOption] = field(default_factory=dict)


async def _load(db: AsyncSession, codes: Collection[str]) -> dict[str, _Existing]:
    """Every commune of `codes` found, with its places and bodies: a few queries in all."""
    rows = (await db.execute(
        select(Commune, Province).join(Province, Province.id == Commune.province_id)
        .where(Commune.code.in_(list(codes)))
    )).tuples().all()
    found = {commune.code: _Existing(commune, province) for commune, province in rows}
    by_id = {existing.commune.id: existing for existing in found.values()}
    if not by_id:
        return found
    ids = list(by_id)
    for unit in (await db.execute(
            select(ElectoralUnit).where(ElectoralUnit.commune_id.in_(ids)))).scalars():
        by_id[unit.commune_id].units[unit.number] = unit
    for hamlet in (await db.execute(
            select(Hamlet).where(Hamlet.commune_id.in_(ids)).order_by(Hamlet.position,
                                                                      Hamlet.id))).scalars():
        by_id[hamlet.commune_id].hamlets[hamlet.code] = hamlet
    for field_ in (await db.execute(
            select(Field).where(Field.commune_id.in_(ids)).order_by(Field.position,
                                                                    Field.id))).scalars():
        by_id[field_.commune_id].fields[field_.code] = field_
    agency_commune: dict[int, _Existing] = {}
    for agency in (await db.execute(
            select(Agency).where(Agency.commune_id.in_(ids)).order_by(Agency.id))).scalars():
        by_id[agency.commune_id].agencies[fold(agency.name)] = agency
        agency_commune[agency.id] = by_id[agency.commune_id]
    if agency_commune:
        for agency_id, field_id in (await db.execute(
                select(AgencyField.agency_id, AgencyField.field_id)
                .where(AgencyField.agency_id.in_(list(agency_commune))))).tuples():
            agency_commune[agency_id].agency_fields.setdefault(agency_id, set()).add(field_id)
    for option in (await db.execute(
            select(DialogueOption).where(DialogueOption.commune_id.in_(ids))
            .order_by(DialogueOption.position, DialogueOption.id))).scalars():
        by_id[option.commune_id].options[(option.kind, option.code)] = option
    seats = (await db.execute(
        select(Delegate, Person).join(Person, Person.id == Delegate.person_id)
        .where(Delegate.commune_id.in_(ids)).order_by(Delegate.id))).tuples().all()
    joined = set((await db.execute(
        select(ChannelIdentity.person_id).where(
            ChannelIdentity.person_id.in_([person.id for _, person in seats])))).scalars()
    ) if seats else set()
    numbers = {unit.id: number for existing in found.values()
               for number, unit in existing.units.items()}
    for delegate, person in seats:
        by_id[delegate.commune_id].seats.append(_Seat(
            delegate, person, numbers.get(delegate.electoral_unit_id or 0, 0),
            person.id in joined))
    return found


# -- comparing ----------------------------------------------------------------------------


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _differences(pairs: Iterable[tuple[str, object, object]]) -> tuple[tuple[str, str, str], ...]:
    return tuple((name, _text(before), _text(after)) for name, before, after in pairs
                 if _text(before) != _text(after))


def _seat_key(unit_number: int, name: str) -> str:
    return f"{unit_number}|{fold(name)}"


@dataclass
class _CommuneWork:
    """A commune's rows of the workbook, matched against what the database holds."""

    row: CommuneRow
    existing: _Existing | None
    new: bool
    units: list[UnitRow] = field(default_factory=list)
    hamlets: list[HamletRow] = field(default_factory=list)
    seats: list[SeatRow] = field(default_factory=list)
    fields: list[FieldRow] = field(default_factory=list)
    agencies: list[AgencyRow] = field(default_factory=list)
    options: list[DialogueOptionRow] = field(default_factory=list)
    # Workbook seat → the seat it updates (None: a new seat).
    seat_matches: list[_Seat | None] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    removable: list[tuple[Change, object]] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)

    def plan(self) -> CommunePlan:
        return CommunePlan(
            code=self.row.code, name=self.row.name, new=self.new,
            added=tuple(self.added), updated=tuple(self.updated),
            removed=tuple(change for change, _ in self.removable), kept=tuple(self.kept))


def _match_seats(work: _CommuneWork) -> None:
    """Each workbook seat's seat in the database: by unit and name, else by phone.

    A delegate who joined may have written their name their own way; their phone (as the
    office knows it) still finds the seat, and the seat is then moved or renamed, not doubled.
    """
    existing = work.existing.seats if work.existing else []
    by_key = {_seat_key(seat.unit_number, seat.person.full_name or ""): seat for seat in existing}
    taken: set[int] = set()
    matches: list[_Seat | None] = []
    for row in work.seats:
        seat = by_key.get(_seat_key(row.unit_number, row.name))
        matches.append(seat if seat is not None and seat.delegate.id not in taken else None)
        if matches[-1] is not None:
            taken.add(seat.delegate.id)  # type: ignore[union-attr]
    for index, row in enumerate(work.seats):
        if matches[index] is not None or not row.phone:
            continue
        wanted = phone_lookup(row.phone)
        for seat in existing:
            if seat.delegate.id not in taken and seat.person.phone_hash == wanted:
                matches[index] = seat
                taken.add(seat.delegate.id)
                break
    work.seat_matches = matches


def _compare(work: _CommuneWork) -> None:
    """Fill `added`, `updated` and the removal candidates of one commune."""
    row, existing = work.row, work.existing
    if existing is None:
        work.added.append(Change("commune", row.code, row.name))
    else:
        commune = existing.commune
        attributes = _differences([
            ("province", existing.province.code, row.province_code),
            ("province_name", existing.province.name, row.province_name),
            ("name", commune.name, row.name), ("kind", commune.kind, row.kind),
            ("district", commune.district, row.district),
            ("office_phone", commune.office_phone, row.office_phone),
            ("address", commune.address, row.address),
            ("opening_hours", commune.opening_hours, row.opening_hours),
            ("reception_schedule", commune.reception_schedule, row.reception_schedule),
            ("answer_days", commune.answer_days, row.answer_days),
        ])
        if attributes:
            work.updated.append(Change("commune", row.code, row.name, attributes))
    units = existing.units if existing else {}
    unit_of_hamlet = {code: unit.number for unit in work.units for code in unit.hamlet_codes}
    for unit_row in work.units:
        _upsert_change(work, "unit", str(unit_row.number), unit_row.name,
                       units.get(unit_row.number),
                       lambda unit, u=unit_row: [("name", unit.name, u.name)])
    numbers = {unit.id: number for number, unit in units.items()}
    hamlets = existing.hamlets if existing else {}
    for position, hamlet_row in enumerate(work.hamlets):
        _upsert_change(
            work, "hamlet", hamlet_row.code, hamlet_row.name, hamlets.get(hamlet_row.code),
            lambda hamlet, h=hamlet_row, p=position: [
                ("name", hamlet.name, h.name),
                ("unit", numbers.get(hamlet.electoral_unit_id or 0),
                 unit_of_hamlet.get(h.code)),
                ("position", hamlet.position + 1, p + 1),
                ("households", hamlet.households, h.households)])
    _match_seats(work)
    for seat_row, seat in zip(work.seats, work.seat_matches, strict=True):
        key = _seat_key(seat_row.unit_number, seat_row.name)
        if seat is None:
            work.added.append(Change("seat", key, seat_row.name))
            continue
        seat_attributes: list[tuple[str, object, object]] = [
            ("unit", seat.unit_number, seat_row.unit_number),
            ("title", seat.delegate.title, seat_row.title)]
        if not seat.joined:
            # A delegate who joined keeps the name and phone they gave; a placeholder's are
            # the office's to correct.
            seat_attributes += [("name", seat.person.full_name, seat_row.name),
                                ("phone", seat.person.phone, seat_row.phone)]
        seat_differences = _differences(seat_attributes)
        if seat_differences:
            work.updated.append(Change("seat", key, seat_row.name, seat_differences))
    fields = existing.fields if existing else {}
    field_codes = {field_.id: code for code, field_ in fields.items()}
    for position, field_row in enumerate(work.fields):
        _upsert_change(
            work, "field", field_row.code, field_row.name, fields.get(field_row.code),
            lambda field_, f=field_row, p=position: [
                ("name", field_.name, f.name), ("answer_days", field_.answer_days, f.answer_days),
                ("position", field_.position + 1, p + 1)])
    agencies = existing.agencies if existing else {}
    links = existing.agency_fields if existing else {}
    for agency_row in work.agencies:
        _upsert_change(
            work, "agency", fold(agency_row.name), agency_row.name,
            agencies.get(fold(agency_row.name)),
            lambda agency, a=agency_row: [
                ("name", agency.name, a.name), ("competence", agency.competence, a.competence),
                ("fields", ", ".join(sorted(field_codes.get(i, "") for i in
                                            links.get(agency.id, set()))),
                 ", ".join(sorted(a.field_codes)))])
    options = existing.options if existing else {}
    positions: Counter[str] = Counter()
    for option_row in work.options:
        position = positions[option_row.kind]
        positions[option_row.kind] += 1
        _upsert_change(
            work, "option", f"{option_row.kind}|{option_row.code}", option_row.name,
            options.get((option_row.kind, option_row.code)),
            lambda option, o=option_row, p=position: [
                ("name", option.name, o.name), ("position", option.position + 1, p + 1)])
    if existing is None:
        return
    _removal_candidates(work, existing)


def _upsert_change(work: _CommuneWork, kind: str, key: str, label: str, found: Any,
                   attributes: Any) -> None:
    if found is None:
        work.added.append(Change(kind, key, label))
        return
    differences = _differences(attributes(found))
    if differences:
        work.updated.append(Change(kind, key, label, differences))


def _removal_candidates(work: _CommuneWork, existing: _Existing) -> None:
    listed_units = {unit.number for unit in work.units}
    listed_hamlets = {hamlet.code for hamlet in work.hamlets}
    matched_seats = {seat.delegate.id for seat in work.seat_matches if seat is not None}
    listed_fields = {field_.code for field_ in work.fields}
    listed_agencies = {fold(agency.name) for agency in work.agencies}
    listed_options = {(option.kind, option.code) for option in work.options}
    for (kind, code), option in existing.options.items():
        if (kind, code) not in listed_options:
            work.removable.append((Change("option", f"{kind}|{code}", option.name), option))
    for key, agency in existing.agencies.items():
        if key not in listed_agencies:
            work.removable.append((Change("agency", key, agency.name), agency))
    for code, field_ in existing.fields.items():
        if code not in listed_fields:
            work.removable.append((Change("field", code, field_.name), field_))
    for seat in existing.seats:
        if seat.delegate.id not in matched_seats:
            name = seat.person.full_name or ""
            work.removable.append((Change("seat", _seat_key(seat.unit_number, name), name),
                                   seat))
    for code, hamlet in existing.hamlets.items():
        if code not in listed_hamlets:
            work.removable.append((Change("hamlet", code, hamlet.name), hamlet))
    for number, unit in existing.units.items():
        if number not in listed_units:
            work.removable.append((Change("unit", str(number), unit.name), unit))


async def _count(db: AsyncSession, column: Any, ids: list[int],
                 *where: Any) -> Counter[int]:
    if not ids:
        return Counter()
    query = (select(column, func.count()).where(column.in_(ids), *where).group_by(column))
    return Counter(dict((await db.execute(query)).tuples().all()))


async def _keep_referenced(db: AsyncSession, works: list[_CommuneWork]) -> None:
    """Move every removal candidate something still uses from `removable` to `kept`."""
    candidates: dict[str, list[int]] = defaultdict(list)
    for work in works:
        for change, item in work.removable:
            if change.kind == "seat":
                assert isinstance(item, _Seat)
                candidates["seat"].append(item.delegate.id)
            elif change.kind != "option":
                candidates[change.kind].append(item.id)  # type: ignore[attr-defined]
    hamlets = candidates["hamlet"]
    uses: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)

    def note(kind: str, what: str, counts: Counter[int]) -> None:
        for item_id, count in counts.items():
            if count:
                uses[(kind, item_id)][what] = uses[(kind, item_id)].get(what, 0) + count

    note("hamlet", "people", await _count(db, Person.hamlet_id, hamlets))
    note("hamlet", "petitions", await _count(db, Petition.hamlet_id, hamlets))
    note("hamlet", "dialogues", await _count(db, HamletQuota.hamlet_id, hamlets))
    note("hamlet", "registrations", await _count(db, Registration.hamlet_id, hamlets))
    note("hamlet", "registrations", await _count(db, Registration.seat_hamlet_id, hamlets,
                                                 Registration.hamlet_id != Registration
                                                 .seat_hamlet_id))
    note("field", "petitions", await _count(db, Petition.field_id, candidates["field"]))
    note("agency", "petitions", await _count(db, Petition.agency_id, candidates["agency"]))
    note("agency", "staff", await _count(db, RoleGrant.agency_id, candidates["agency"]))
    note("agency", "invites", await _count(db, Invite.agency_id, candidates["agency"],
                                           Invite.used_at.is_(None)))
    note("seat", "meetings", await _count(db, MeetingDelegate.delegate_id, candidates["seat"]))
    note("unit", "meetings", await _count(db, Meeting.electoral_unit_id, candidates["unit"]))
    dialogue_codes = await _dialogue_codes(db, [w.existing.commune.id for w in works
                                                if w.existing is not None])
    for work in works:
        still: list[tuple[Change, object]] = []
        kept_units: dict[int, Counter[str]] = defaultdict(Counter)
        for change, item in work.removable:
            if change.kind == "seat":
                assert isinstance(item, _Seat)
                found = dict(uses.get(("seat", item.delegate.id), {}))
                if item.joined:
                    found["account"] = 1
            elif change.kind == "option":
                assert isinstance(item, DialogueOption)
                assert work.existing is not None
                used = dialogue_codes.get((work.existing.commune.id, item.code), 0)
                found = {"dialogues": used} if used else {}
            else:
                found = dict(uses.get((change.kind, item.id), {}))  # type: ignore[attr-defined]
            if found:
                work.kept.append(Kept(change.kind, change.key, change.label,
                                      tuple(sorted(found.items()))))
                if change.kind == "hamlet":
                    assert isinstance(item, Hamlet)
                    kept_units[item.electoral_unit_id or 0]["hamlets"] += 1
                if change.kind == "seat":
                    assert isinstance(item, _Seat)
                    kept_units[item.delegate.electoral_unit_id or 0]["seats"] += 1
            else:
                still.append((change, item))
        # A unit stays while a hamlet or a seat that stays is in it.
        work.removable = []
        for change, item in still:
            within = kept_units.get(item.id) if change.kind == "unit" else None  # type: ignore[attr-defined]
            if within:
                work.kept.append(Kept("unit", change.key, change.label,
                                      tuple(sorted(within.items()))))
            else:
                work.removable.append((change, item))


async def _dialogue_codes(db: AsyncSession, commune_ids: list[int]) -> Counter[tuple[int, str]]:
    """How many dialogues of each commune name each category or topic code."""
    counts: Counter[tuple[int, str]] = Counter()
    if not commune_ids:
        return counts
    query = select(Dialogue.commune_id, Dialogue.categories, Dialogue.topics).where(
        Dialogue.commune_id.in_(commune_ids))
    for commune_id, categories, topics in (await db.execute(query)).tuples():
        for code in {*map(str, categories or []), *map(str, topics or [])}:
            counts[(commune_id, code)] += 1
    return counts


# -- problems only the database can show --------------------------------------------------


def _row(index: int) -> int:
    """The spreadsheet row of a sheet's `index`-th value: row 1 is the header."""
    return index + 2


async def _database_problems(
    db: AsyncSession, workbook: Workbook, works: dict[str, _CommuneWork],
    allowed: frozenset[str] | None,
) -> list[SetupProblem]:
    problems: list[SetupProblem] = []
    if allowed is not None:
        sheets: list[tuple[str, Iterable[Any]]] = [
            (SHEET_COMMUNES, workbook.communes), (SHEET_HAMLETS, workbook.hamlets),
            (SHEET_UNITS, workbook.units), (SHEET_SEATS, workbook.seats),
            (SHEET_FIELDS, workbook.fields), (SHEET_AGENCIES, workbook.agencies),
            (SHEET_OPTIONS, workbook.options)]
        for sheet, rows in sheets:
            for index, row in enumerate(rows):
                code = row.code if isinstance(row, CommuneRow) else row.commune_code
                if code not in allowed:
                    problems.append(SetupProblem(sheet, _row(index), COLUMN_COMMUNE,
                                                 "commune_not_allowed", {"value": code}))
    codes = [hamlet.code for hamlet in workbook.hamlets]
    if codes:
        query = (select(Hamlet.code, Commune.code, Commune.name)
                 .join(Commune, Commune.id == Hamlet.commune_id).where(Hamlet.code.in_(codes)))
        owners = {code: (commune_code, name)
                  for code, commune_code, name in (await db.execute(query)).tuples()}
        for index, hamlet in enumerate(workbook.hamlets):
            owner = owners.get(hamlet.code)
            if owner is not None and owner[0] != hamlet.commune_code:
                problems.append(SetupProblem(SHEET_HAMLETS, _row(index), COLUMN_HAMLET_CODE,
                                             "hamlet_code_taken",
                                             {"value": hamlet.code, "commune": owner[1]}))
    for index, hamlet in enumerate(workbook.hamlets):
        work = works.get(hamlet.commune_code)
        if work is None:
            continue
        kept_names = {fold(k.label): k.label for k in work.kept if k.kind == "hamlet"}
        if fold(hamlet.name) in kept_names:
            problems.append(SetupProblem(SHEET_HAMLETS, _row(index), COLUMN_HAMLET_NAME,
                                         "hamlet_name_kept", {"value": hamlet.name}))
    return problems


def _reference_problems(workbook: Workbook) -> list[SetupProblem]:
    """Rows that name what the workbook does not hold (the file check catches these first)."""
    problems: list[SetupProblem] = []
    communes = {commune.code for commune in workbook.communes}
    units = {(unit.commune_code, unit.number) for unit in workbook.units}
    hamlets = {(hamlet.commune_code, hamlet.code) for hamlet in workbook.hamlets}
    fields = {(field_.commune_code, field_.code) for field_ in workbook.fields}

    def missing(sheet: str, index: int, value: object, target: str) -> None:
        problems.append(SetupProblem(sheet, _row(index), "", "missing_reference",
                                     {"value": str(value), "sheet": target}))

    sheets: tuple[tuple[str, tuple[Any, ...]], ...] = (
        (SHEET_HAMLETS, workbook.hamlets), (SHEET_UNITS, workbook.units),
        (SHEET_SEATS, workbook.seats), (SHEET_FIELDS, workbook.fields),
        (SHEET_AGENCIES, workbook.agencies), (SHEET_OPTIONS, workbook.options))
    for sheet, rows in sheets:
        for index, row in enumerate(rows):
            if row.commune_code not in communes:
                missing(sheet, index, row.commune_code, SHEET_COMMUNES)
    for index, unit in enumerate(workbook.units):
        for code in unit.hamlet_codes:
            if (unit.commune_code, code) not in hamlets:
                missing(SHEET_UNITS, index, code, SHEET_HAMLETS)
    for index, seat in enumerate(workbook.seats):
        if (seat.commune_code, seat.unit_number) not in units:
            missing(SHEET_SEATS, index, seat.unit_number, SHEET_UNITS)
    for index, agency in enumerate(workbook.agencies):
        for code in agency.field_codes:
            if (agency.commune_code, code) not in fields:
                missing(SHEET_AGENCIES, index, code, SHEET_FIELDS)
    return problems


# -- planning -----------------------------------------------------------------------------


async def _works(db: AsyncSession, workbook: Workbook) -> dict[str, _CommuneWork]:
    existing = await _load(db, [commune.code for commune in workbook.communes])
    works = {commune.code: _CommuneWork(commune, existing.get(commune.code),
                                        commune.code not in existing)
             for commune in workbook.communes}
    for name in ("units", "hamlets", "seats", "fields", "agencies", "options"):
        for row in getattr(workbook, name):
            work = works.get(row.commune_code)
            if work is not None:
                getattr(work, name).append(row)
    for work in works.values():
        _compare(work)
    await _keep_referenced(db, list(works.values()))
    return works


async def plan_setup(
    db: AsyncSession, workbook: Workbook, *, allowed: Collection[str] | None = None
) -> SetupPlan:
    """What applying `workbook` would change, commune by commune, and what stops it.

    `allowed`: the commune codes the uploader may touch (None: any, the operator's CLI);
    rows of other communes are problems.
    """
    return (await _plan(db, workbook, allowed))[0]


async def _plan(
    db: AsyncSession, workbook: Workbook, allowed: Collection[str] | None
) -> tuple[SetupPlan, dict[str, _CommuneWork]]:
    only = frozenset(allowed) if allowed is not None else None
    problems = _reference_problems(workbook)
    if problems:
        return SetupPlan(workbook, (), tuple(problems), only), {}
    works = await _works(db, workbook)
    problems = await _database_problems(db, workbook, works, only)
    plan = SetupPlan(workbook, tuple(work.plan() for work in works.values()), tuple(problems),
                     only)
    return plan, works


# -- applying -----------------------------------------------------------------------------


async def apply_setup(
    db: AsyncSession, plan: SetupPlan, *, actor_id: int | None, actor_label: str = "person"
) -> SetupApplied:
    """Apply a confirmed plan in the caller's transaction.

    The workbook is planned afresh first: removals happen only if the confirmed plan listed
    them and nothing uses them now. Raises `SetupNotClean` (nothing changed) on problems.

    The changes go in phases across all communes (provinces, communes, units, hamlets and
    seat holders, seats/fields/agencies, agency fields and options), each one flush: a flush
    walks every object in the session, so flushing per commune and per kind made a province's
    import spend most of its time flushing.
    """
    fresh, found = await _plan(db, plan.workbook, plan.allowed)
    if not fresh.ok:
        raise SetupNotClean(fresh.problems)
    confirmed = {(commune.code, change.kind, change.key)
                 for commune in plan.communes for change in commune.removed}
    works = list(found.values())
    for work in works:
        work.removable = [(change, item) for change, item in work.removable
                          if (work.row.code, change.kind, change.key) in confirmed]
        await _remove(db, work, before_upserts=True)
    await db.flush()
    await _upsert_communes(db, works)
    _upsert_units(db, works)
    await db.flush()
    placeholders = await _upsert_hamlets_and_holders(db, works)
    await db.flush()
    await _upsert_seats_fields_agencies(db, works, placeholders)
    await db.flush()
    await _upsert_agency_fields_and_options(db, works)
    for work in works:
        await _remove(db, work, before_upserts=False)
    done = []
    for work in works:
        result = work.plan()
        if result.changed:
            assert work.existing is not None
            record_action(
                db, action="commune.setup", subject_type="commune",
                subject_id=work.existing.commune.id, actor_id=actor_id, actor_label=actor_label,
                after={"new": result.new, "added": result.count("added"),
                       "updated": result.count("updated"), "removed": result.count("removed"),
                       "kept": len(result.kept)})
        done.append(result)
    await db.flush()
    return SetupApplied(tuple(done))


async def _remove(db: AsyncSession, work: _CommuneWork, *, before_upserts: bool) -> None:
    """Delete the confirmed, unused removals: units last (hamlets move out of them first),
    everything else first (a new hamlet may take a removed one's name)."""
    removing = [(change, item) for change, item in work.removable
                if (change.kind == "unit") != before_upserts]
    for change, item in removing:
        if change.kind == "seat":
            assert isinstance(item, _Seat)
            await _remove_seat(db, item)
        elif change.kind in ("field", "agency"):
            column = AgencyField.field_id if change.kind == "field" else AgencyField.agency_id
            await db.execute(delete(AgencyField).where(column == item.id))  # type: ignore[attr-defined]
            await db.delete(item)
        else:
            await db.delete(item)
    if removing:
        await db.flush()


async def _remove_seat(db: AsyncSession, seat: _Seat) -> None:
    # Links made for the seat that nobody opened: closed, and no longer pointing at it.
    await db.execute(update(Invite).where(Invite.delegate_id == seat.delegate.id).values(
        delegate_id=None, revoked_at=func.coalesce(Invite.revoked_at, utcnow())))
    await db.delete(seat.delegate)
    await db.flush()
    # The placeholder that stood for the delegate goes with the seat (they never joined).
    await db.execute(delete(RoleGrant).where(RoleGrant.person_id == seat.person.id))
    await db.delete(seat.person)


async def _upsert_communes(db: AsyncSession, works: list[_CommuneWork]) -> None:
    """Provinces (one query, new ones in one flush), then every commune's own row."""
    codes = sorted({work.row.province_code for work in works})
    provinces = {province.code: province for province in (await db.execute(
        select(Province).where(Province.code.in_(codes)))).scalars()}
    for work in works:
        if work.row.province_code not in provinces:
            provinces[work.row.province_code] = Province(code=work.row.province_code,
                                                         name=work.row.province_name)
            db.add(provinces[work.row.province_code])
        provinces[work.row.province_code].name = work.row.province_name
    await db.flush()
    for work in works:
        row, province = work.row, provinces[work.row.province_code]
        if work.existing is None:
            commune = Commune(province_id=province.id, code=row.code)
            db.add(commune)
            work.existing = _Existing(commune, province)
        commune = work.existing.commune
        commune.province_id = province.id
        commune.name, commune.kind, commune.district = row.name, row.kind, row.district
        commune.office_phone, commune.address = row.office_phone, row.address
        commune.opening_hours = row.opening_hours
        commune.reception_schedule = row.reception_schedule
        commune.answer_days = row.answer_days
    await db.flush()


def _existing(work: _CommuneWork) -> _Existing:
    assert work.existing is not None  # every commune has its row once communes are upserted
    return work.existing


def _upsert_units(db: AsyncSession, works: list[_CommuneWork]) -> None:
    for work in works:
        existing = _existing(work)
        for unit_row in work.units:
            unit = existing.units.get(unit_row.number)
            if unit is None:
                unit = ElectoralUnit(commune_id=existing.commune.id, number=unit_row.number)
                db.add(unit)
                existing.units[unit_row.number] = unit
            unit.name = unit_row.name


async def _upsert_hamlets_and_holders(
    db: AsyncSession, works: list[_CommuneWork]
) -> dict[tuple[str, int], Person]:
    """Hamlets in their units, and a placeholder person for each new seat, by (commune,
    seat index): the seats themselves need the placeholders' ids."""
    placeholders: dict[tuple[str, int], Person] = {}
    new_hamlets: list[dict[str, object]] = []
    for work in works:
        existing = _existing(work)
        unit_of_hamlet = {code: existing.units[unit.number].id
                          for unit in work.units for code in unit.hamlet_codes}
        for position, hamlet_row in enumerate(work.hamlets):
            values = {"name": hamlet_row.name, "position": position,
                      "electoral_unit_id": unit_of_hamlet.get(hamlet_row.code),
                      "households": hamlet_row.households}
            hamlet = existing.hamlets.get(hamlet_row.code)
            if hamlet is None:
                new_hamlets.append({"commune_id": existing.commune.id, "code": hamlet_row.code,
                                    **values})
                continue
            hamlet.name, hamlet.position = hamlet_row.name, position
            hamlet.electoral_unit_id = unit_of_hamlet.get(hamlet_row.code)
            hamlet.households = hamlet_row.households
        for index, (row, seat) in enumerate(zip(work.seats, work.seat_matches, strict=True)):
            if seat is None:
                placeholders[(work.row.code, index)] = Person(full_name=row.name,
                                                              phone=row.phone)
    db.add_all(placeholders.values())
    await _insert_new(db, Hamlet, new_hamlets)
    return placeholders


async def _insert_new(db: AsyncSession, model: type[Any], rows: list[dict[str, object]]) -> None:
    """Rows nothing in the import refers to by id: one executemany, not an INSERT … RETURNING
    per row (which is what the session's flush does on SQLite to learn each new id)."""
    if rows:
        await db.execute(insert(model), rows)


async def _upsert_seats_fields_agencies(
    db: AsyncSession, works: list[_CommuneWork], placeholders: dict[tuple[str, int], Person]
) -> None:
    delegates: list[dict[str, object]] = []
    grants: list[dict[str, object]] = []
    for work in works:
        existing = _existing(work)
        commune_id = existing.commune.id
        for index, (seat_row, seat) in enumerate(zip(work.seats, work.seat_matches,
                                                     strict=True)):
            unit_id = existing.units[seat_row.unit_number].id
            if seat is None:
                person = placeholders[(work.row.code, index)]
                delegates.append({"person_id": person.id, "commune_id": commune_id,
                                  "electoral_unit_id": unit_id, "title": seat_row.title})
                grants.append({"person_id": person.id, "commune_id": commune_id,
                               "role": "delegate"})
                continue
            seat.delegate.electoral_unit_id, seat.delegate.title = unit_id, seat_row.title
            if not seat.joined:
                if seat.person.full_name != seat_row.name:
                    seat.person.full_name = seat_row.name
                if seat.person.phone != seat_row.phone:
                    seat.person.phone = seat_row.phone
        for position, field_row in enumerate(work.fields):
            field_ = existing.fields.get(field_row.code)
            if field_ is None:
                field_ = Field(commune_id=commune_id, code=field_row.code)
                db.add(field_)
                existing.fields[field_row.code] = field_
            field_.name, field_.answer_days = field_row.name, field_row.answer_days
            field_.position = position
        for agency_row in work.agencies:
            agency = existing.agencies.get(fold(agency_row.name))
            if agency is None:
                agency = Agency(commune_id=commune_id)
                db.add(agency)
                existing.agencies[fold(agency_row.name)] = agency
            agency.name, agency.competence = agency_row.name, agency_row.competence
    await _insert_new(db, Delegate, delegates)
    await _insert_new(db, RoleGrant, grants)


async def _upsert_agency_fields_and_options(db: AsyncSession, works: list[_CommuneWork]) -> None:
    stale: list[int] = []  # agencies whose fields changed: their links are written anew
    links: list[AgencyField] = []
    options: list[dict[str, object]] = []
    for work in works:
        existing = _existing(work)
        for agency_row in work.agencies:
            agency = existing.agencies[fold(agency_row.name)]
            wanted = {existing.fields[code].id for code in agency_row.field_codes}
            if wanted != existing.agency_fields.get(agency.id, set()):
                stale.append(agency.id)
                links += [AgencyField(agency_id=agency.id, field_id=field_id)
                          for field_id in sorted(wanted)]
        positions: Counter[str] = Counter()
        for option_row in work.options:
            option = existing.options.get((option_row.kind, option_row.code))
            position = positions[option_row.kind]
            positions[option_row.kind] += 1
            if option is None:
                options.append({"commune_id": existing.commune.id, "kind": option_row.kind,
                                "code": option_row.code, "name": option_row.name,
                                "position": position})
                continue
            option.name, option.position = option_row.name, position
    if stale:
        await db.execute(delete(AgencyField).where(AgencyField.agency_id.in_(stale)))
    db.add_all(links)
    await _insert_new(db, DialogueOption, options)
    await db.flush()


# -- exporting ----------------------------------------------------------------------------


async def export_workbook(db: AsyncSession, commune_codes: list[str] | None) -> Workbook:
    """The database's communes (`None`: every one) as a workbook, ready to be written out."""
    query = select(Commune.code).order_by(Commune.code)
    if commune_codes is not None:
        query = query.where(Commune.code.in_(commune_codes))
    codes = list((await db.execute(query)).scalars())
    found = await _load(db, codes)
    communes, hamlets, units, seats, fields, agencies, options = [], [], [], [], [], [], []
    for code in codes:
        existing = found[code]
        commune, province = existing.commune, existing.province
        communes.append(CommuneRow(
            province_code=province.code, province_name=province.name, code=commune.code,
            name=commune.name, kind=commune.kind, district=commune.district,
            office_phone=commune.office_phone, address=commune.address,
            opening_hours=commune.opening_hours, reception_schedule=commune.reception_schedule,
            answer_days=commune.answer_days))
        hamlets += [HamletRow(code, hamlet.code, hamlet.name, hamlet.households)
                    for hamlet in existing.hamlets.values()]
        members: dict[int, list[str]] = defaultdict(list)
        for hamlet in existing.hamlets.values():
            if hamlet.electoral_unit_id is not None:
                members[hamlet.electoral_unit_id].append(hamlet.code)
        units += [UnitRow(code, number, unit.name, tuple(members[unit.id]))
                  for number, unit in sorted(existing.units.items())]
        seats += [SeatRow(code, seat.person.full_name or "", seat.unit_number,
                          seat.person.phone, seat.delegate.title)
                  for seat in sorted(existing.seats, key=lambda s: (s.unit_number,
                                                                    s.delegate.id))]
        fields += [FieldRow(code, field_.code, field_.name, field_.answer_days)
                   for field_ in existing.fields.values()]
        field_codes = {field_.id: field_.code for field_ in existing.fields.values()}
        agencies += [AgencyRow(code, agency.name, agency.competence, tuple(
            field_codes[i] for i in sorted(existing.agency_fields.get(agency.id, set()),
                                           key=lambda i: existing.fields[field_codes[i]].position)
        )) for agency in existing.agencies.values()]
        options += [DialogueOptionRow(code, option.kind, option.code, option.name)
                    for option in sorted(existing.options.values(),
                                         key=lambda o: (o.kind, o.position, o.id))]
    return Workbook(communes=tuple(communes), hamlets=tuple(hamlets), units=tuple(units),
                    seats=tuple(seats), fields=tuple(fields), agencies=tuple(agencies),
                    options=tuple(options))
