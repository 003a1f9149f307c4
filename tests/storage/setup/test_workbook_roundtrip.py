"""A workbook survives the whole trip: written, read, applied, exported, written again."""

from __future__ import annotations

from dataclasses import replace

import pytest

from storage.db import Database
from storage.setup.workbook import Workbook
from storage.setup.workbook_apply import apply_setup, export_workbook, plan_setup
from storage.setup.workbook_example import MINH_TIEN
from storage.setup.workbook_file import build_workbook_template, read_workbook, write_workbook
from tests.setup_data import province_workbook


def in_export_order(workbook: Workbook) -> Workbook:
    """The export lists communes by code, a commune's seats by unit and its dialogue options
    by kind; the rows of one commune otherwise as written (sorts are stable)."""
    return replace(
        workbook,
        communes=tuple(sorted(workbook.communes, key=lambda c: c.code)),
        hamlets=tuple(sorted(workbook.hamlets, key=lambda r: r.commune_code)),
        units=tuple(sorted(workbook.units, key=lambda r: r.commune_code)),
        seats=tuple(sorted(workbook.seats, key=lambda r: (r.commune_code, r.unit_number))),
        fields=tuple(sorted(workbook.fields, key=lambda r: r.commune_code)),
        agencies=tuple(sorted(workbook.agencies, key=lambda r: r.commune_code)),
        options=tuple(sorted(workbook.options, key=lambda o: (o.commune_code, o.kind))))


@pytest.mark.parametrize("source", ["template", "minh-tien", "province"])
async def test_written_read_applied_and_exported_gives_the_same_workbook(
    db: Database, source: str
) -> None:
    data = {"template": build_workbook_template,
            "minh-tien": lambda: write_workbook(MINH_TIEN),
            "province": lambda: write_workbook(province_workbook(3))}[source]()
    parsed = read_workbook(data, "thiet-lap-xa.xlsx")
    assert parsed.problems == ()
    async with db.transaction() as session:
        plan = await plan_setup(session, parsed.workbook)
        assert plan.ok and plan.changed, plan.problems
        await apply_setup(session, plan, actor_id=None, actor_label="operator")
    async with db.transaction() as session:
        exported = await export_workbook(session, None)
    assert exported == in_export_order(parsed.workbook)
    # And the exported file is the office's next starting point: it reads back unchanged.
    again = read_workbook(write_workbook(exported), "xuat.xlsx")
    assert again.problems == () and again.workbook == exported
    async with db.transaction() as session:
        assert not (await plan_setup(session, again.workbook)).changed
