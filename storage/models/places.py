"""Places and public bodies: provinces, communes, hamlets, electoral units, fields, agencies,
and the dialogue categories and topics each commune offers."""

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class Province(Base):
    __tablename__ = "provinces"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))


class Commune(Base):
    """A commune, ward or special zone (xã / phường / đặc khu)."""

    __tablename__ = "communes"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"))
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="xa")
    # Working days an agency has to answer a petition, unless its field says otherwise.
    answer_days: Mapped[int] = mapped_column(default=15)
    # Where, when and by whom citizens are received in person (lịch tiếp công dân).
    reception_schedule: Mapped[str | None] = mapped_column(Text)
    # What "Liên hệ" and the posters show: the office's phone, address and opening hours.
    office_phone: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(300))
    opening_hours: Mapped[str | None] = mapped_column(String(300))
    # The district the commune belonged to before the 2025 merger: villagers still find
    # their commune by it.
    district: Mapped[str | None] = mapped_column(String(200))


class ElectoralUnit(Base):
    __tablename__ = "electoral_units"
    __table_args__ = (UniqueConstraint("commune_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))


class Hamlet(Base):
    """Where a citizen lives: thôn, ấp, bản, tổ dân phố. `code` is what QR posters carry."""

    __tablename__ = "hamlets"
    __table_args__ = (UniqueConstraint("commune_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    electoral_unit_id: Mapped[int | None] = mapped_column(ForeignKey("electoral_units.id"))
    position: Mapped[int] = mapped_column(default=0)
    # How many households live there, where the commune gave the figure: what the panel's
    # reach is measured against.
    households: Mapped[int | None]


class Field(Base):
    """A petition field (lĩnh vực); each commune keeps its own list."""

    __tablename__ = "fields"
    __table_args__ = (UniqueConstraint("commune_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    answer_days: Mapped[int | None]


class Agency(Base):
    """A body that answers petitions: a commune department, a provincial body, a utility."""

    __tablename__ = "agencies"
    __table_args__ = (UniqueConstraint("commune_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    name: Mapped[str] = mapped_column(String(200))
    competence: Mapped[str] = mapped_column(String(16), default="commune")


class AgencyField(Base):
    """Which petition fields an agency usually answers: offered first when forwarding."""

    __tablename__ = "agency_fields"

    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True
    )
    field_id: Mapped[int] = mapped_column(
        ForeignKey("fields.id", ondelete="CASCADE"), primary_key=True
    )


class DialogueOption(Base):
    """A household category or a topic a commune's dialogues offer (kind "category"/"topic").

    `code` is what registrations store; a commune without its own list uses the built-in one.
    """

    __tablename__ = "dialogue_options"
    __table_args__ = (UniqueConstraint("commune_id", "kind", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(48))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)


class Delegate(Base):
    """A People's Council delegate elected in one electoral unit."""

    __tablename__ = "delegates"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    electoral_unit_id: Mapped[int | None] = mapped_column(ForeignKey("electoral_units.id"))
    title: Mapped[str] = mapped_column(String(200), default="")
