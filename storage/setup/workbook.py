"""What a commune workbook holds once read: one province's communes and their places, seats,
fields, agencies and dialogue options, as plain values.

Every sheet row names its commune by code, so the same workbook holds one commune or a whole
province. `workbook_file` reads and checks the XLSX into these values (and writes them back);
`workbook_apply` compares them with the database and applies the changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CommuneRow:
    province_code: str
    province_name: str
    code: str
    name: str
    kind: str  # "xa", "phuong" or "dac_khu"
    district: str | None  # the district before the 2025 merger, for finding the commune
    office_phone: str | None
    address: str | None
    opening_hours: str | None
    reception_schedule: str | None
    answer_days: int  # working days to answer a petition, unless its field says otherwise


@dataclass(frozen=True)
class HamletRow:
    commune_code: str
    code: str  # what QR posters carry: lowercase letters, digits and dashes
    name: str
    households: int | None = None  # as the commune counts them; None if not given


@dataclass(frozen=True)
class UnitRow:
    """An electoral unit and the hamlets (by code) whose voters elect in it."""

    commune_code: str
    number: int
    name: str
    hamlet_codes: tuple[str, ...]


@dataclass(frozen=True)
class SeatRow:
    """A delegate seat: who holds it (as the office writes the name) and in which unit."""

    commune_code: str
    name: str
    unit_number: int
    phone: str | None  # normalised, e.g. "0912345678"
    title: str


@dataclass(frozen=True)
class FieldRow:
    commune_code: str
    code: str
    name: str
    answer_days: int | None


@dataclass(frozen=True)
class AgencyRow:
    commune_code: str
    name: str
    competence: str  # "commune", "province" or "utility"
    field_codes: tuple[str, ...]


@dataclass(frozen=True)
class DialogueOptionRow:
    commune_code: str
    kind: str  # "category" or "topic"
    code: str
    name: str


@dataclass(frozen=True)
class Workbook:
    communes: tuple[CommuneRow, ...] = ()
    hamlets: tuple[HamletRow, ...] = ()
    units: tuple[UnitRow, ...] = ()
    seats: tuple[SeatRow, ...] = ()
    fields: tuple[FieldRow, ...] = ()
    agencies: tuple[AgencyRow, ...] = ()
    options: tuple[DialogueOptionRow, ...] = ()


@dataclass(frozen=True)
class SetupProblem:
    """Something the office must fix; `key` names the message and `params` fill it in.

    `sheet` is the sheet's name as in the file ("" for the whole file), `row` the spreadsheet
    row as the user sees it (the header is row 1; 0 for a whole sheet), `column` the header as
    written ("" for a whole row).
    """

    sheet: str
    row: int
    column: str
    key: str
    params: dict[str, str] = field(default_factory=dict)
