"""The one rule of who sees a petitioner's name, phone, address and place."""

from __future__ import annotations

import pytest

from storage.models import Petition
from storage.petitions.visibility import Viewer, petitioner_view, viewer_from

NAME, PHONE, ADDRESS = "Lê Thị Năm", "0912345678", "Số 12, tổ 3, ấp Tân Dân"


def petition(*, show_name: bool) -> Petition:
    return Petition(show_name=show_name, address=ADDRESS, latitude=10.123456,
                    longitude=105.654321)


@pytest.mark.parametrize("viewer", [Viewer.OFFICE, Viewer.PETITIONER])
@pytest.mark.parametrize("show_name", [True, False])
def test_the_office_and_the_petitioner_see_everything(viewer: Viewer, show_name: bool) -> None:
    seen = petitioner_view(petition(show_name=show_name), viewer, owner_name=NAME,
                           owner_phone=PHONE)
    assert (seen.name, seen.phone, seen.address, seen.latitude, seen.longitude, seen.coarse) == (
        NAME, PHONE, ADDRESS, 10.123456, 105.654321, False)


def test_the_agency_sees_a_shown_petitioner_and_only_the_area_of_a_hidden_one() -> None:
    shown = petitioner_view(petition(show_name=True), Viewer.AGENCY, owner_name=NAME,
                            owner_phone=PHONE)
    assert (shown.name, shown.phone, shown.address) == (NAME, PHONE, ADDRESS)
    hidden = petitioner_view(petition(show_name=False), Viewer.AGENCY, owner_name=NAME,
                             owner_phone=PHONE)
    assert (hidden.name, hidden.phone, hidden.address) == (None, None, None)
    assert (hidden.latitude, hidden.longitude, hidden.coarse) == (10.12, 105.65, True)


@pytest.mark.parametrize("viewer", [Viewer.CO_PETITIONER, Viewer.REPORT])
def test_co_petitioners_and_reports_get_at_most_a_name_the_petitioner_let_be_shown(
    viewer: Viewer,
) -> None:
    for show_name, name in ((True, NAME), (False, None)):
        seen = petitioner_view(petition(show_name=show_name), viewer, owner_name=NAME,
                               owner_phone=PHONE)
        assert (seen.name, seen.phone, seen.address, seen.latitude, seen.longitude) == (
            name, None, None, None, None)


def test_a_name_typed_in_at_a_meeting_follows_the_same_rule() -> None:
    entered = Petition(show_name=False, voter_name="Phạm Văn Út")
    assert petitioner_view(entered, Viewer.OFFICE).name == "Phạm Văn Út"
    assert petitioner_view(entered, Viewer.REPORT).name is None


def test_the_widest_standing_decides_the_view() -> None:
    assert viewer_from({"agency", "staff"}) is Viewer.OFFICE
    assert viewer_from({"co_petitioner", "agency"}) is Viewer.AGENCY
    assert viewer_from({"co_petitioner"}) is Viewer.CO_PETITIONER
    assert viewer_from(set()) is None
