"""Who may see what of a petitioner: the one rule every card, report, file and notice uses.

A petitioner's identity is their name, phone, address and the point they shared. The commune
office sees all of it; so does the petitioner, of themselves. Everyone else sees it only as the
petitioner allowed (`Petition.show_name`):

- the agency that answers sees the name and phone when the petitioner let it; when the name is
  hidden it sees none of them, only the hamlet and a coarse place (the point rounded to about a
  kilometre, never the address with its house number);
- another petitioner of a merged group, and the readers of reports (which go to agencies and
  the Front), see the name only when it was let be shown, and never a phone, an address or a
  point. A delegate's dossier of their unit is such a report: it is printed and carried to a
  public meeting (`storage.voter_contact.dossiers`).

Nothing else in the code decides this: a screen that shows a petitioner asks `petitioner_view`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from storage.models import Person, Petition

# 0.01° of latitude is about 1.1 km: the neighbourhood, not the house.
COARSE_DIGITS = 2


class Viewer(StrEnum):
    OFFICE = "office"  # commune office staff
    PETITIONER = "petitioner"  # the person who sent this petition
    AGENCY = "agency"  # the agency the petition was forwarded to
    CO_PETITIONER = "co_petitioner"  # someone whose petition was merged into this one
    REPORT = "report"  # consolidated reports and lists that leave the office


# When a reader stands in several ways to a petition, the widest view wins.
_WIDEST_FIRST = (Viewer.OFFICE, Viewer.PETITIONER, Viewer.AGENCY, Viewer.CO_PETITIONER)


def viewer_from(kinds: set[str]) -> Viewer | None:
    """The view of a reader who stands to the petition in these ways (`actor_kinds`)."""
    # The delegates of the meeting a question was sent for read it as an agency would: the
    # name only if the voter let it be shown.
    names = {"staff": Viewer.OFFICE, "petitioner": Viewer.PETITIONER, "agency": Viewer.AGENCY,
             "meeting_delegate": Viewer.AGENCY, "co_petitioner": Viewer.CO_PETITIONER}
    held = {names[kind] for kind in kinds if kind in names}
    return next((viewer for viewer in _WIDEST_FIRST if viewer in held), None)


@dataclass(frozen=True)
class PetitionerView:
    """What of the petitioner this viewer may read; None where they may not."""

    name: str | None
    phone: str | None
    address: str | None
    latitude: float | None
    longitude: float | None
    coarse: bool  # the point is rounded to about a kilometre


def _coarse(value: float | None) -> float | None:
    return round(value, COARSE_DIGITS) if value is not None else None


def petitioner_view(petition: Petition, viewer: Viewer, *, owner_name: str | None = None,
                    owner_phone: str | None = None) -> PetitionerView:
    """The petitioner of `petition` as `viewer` may see them.

    `owner_name` and `owner_phone` are those of the person who sent it, if it came by chat.
    """
    name = petition.voter_name or owner_name or None
    phone = owner_phone or None
    if viewer in (Viewer.OFFICE, Viewer.PETITIONER) or (
            viewer is Viewer.AGENCY and petition.show_name):
        return PetitionerView(name, phone, petition.address, petition.latitude,
                              petition.longitude, coarse=False)
    if viewer is Viewer.AGENCY:
        # Hidden name: enough to find the place (hamlet, ~1 km), never the house.
        return PetitionerView(None, None, None, _coarse(petition.latitude),
                              _coarse(petition.longitude), coarse=True)
    return PetitionerView(name if petition.show_name else None, None, None, None, None,
                          coarse=False)


def owner_view(petition: Petition, owner: Person | None, viewer: Viewer) -> PetitionerView:
    """`petitioner_view` for a petition whose sender's row is at hand."""
    return petitioner_view(petition, viewer,
                           owner_name=owner.full_name if owner is not None else None,
                           owner_phone=owner.phone if owner is not None else None)
