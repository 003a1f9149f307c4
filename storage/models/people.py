"""People and how they reach us: persons, channel accounts, roles, consents, invites."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from storage.encryption import Encrypted, phone_lookup
from storage.models.base import Base, utcnow


class Person(Base):
    """One human. Personal fields stay empty until consent is recorded; /forget empties them.

    The phone is stored encrypted; `phone_hash` (a keyed hash, kept in step on every
    assignment) is what a phone is looked up by.
    """

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(Encrypted("people.phone"))
    phone_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_verified: Mapped[bool] = mapped_column(default=False)
    hamlet_id: Mapped[int | None] = mapped_column(ForeignKey("hamlets.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    forgotten_at: Mapped[datetime | None]
    # For staff of several communes (a province admin): the commune they are working in.
    working_commune_id: Mapped[int | None] = mapped_column(
        ForeignKey("communes.id", ondelete="SET NULL")
    )

    @validates("phone")
    def _hash_phone(self, _key: str, phone: str | None) -> str | None:
        self.phone_hash = None if phone is None else phone_lookup(phone)
        return phone


class ChannelIdentity(Base):
    """An account on one channel. Only the platform's opaque id is kept, which replying needs."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    unreachable_at: Mapped[datetime | None]


class RoleGrant(Base):
    """A role held in one commune: citizen, delegate, office, agency, admin."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("person_id", "commune_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProvinceGrant(Base):
    """A role held across a province ("admin"): every commune of it, present and future."""

    __tablename__ = "province_grants"
    __table_args__ = (UniqueConstraint("person_id", "province_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"))
    role: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Consent(Base):
    """Proof of consent: which notice, when, on which channel, and whether it was withdrawn."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    notice_version: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]


class Invite(Base):
    """A single-use invitation that grants a staff or delegate role when opened.

    Only a hash of the link's token is kept: the link itself is shown once, to the admin.
    """

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    commune_id: Mapped[int] = mapped_column(ForeignKey("communes.id"))
    role: Mapped[str] = mapped_column(String(16))
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    delegate_id: Mapped[int | None] = mapped_column(ForeignKey("delegates.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None]


class LinkCode(Base):
    """A short-lived one-time code that proves two channel accounts belong to one person."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    claimant_identity_id: Mapped[int] = mapped_column(
        ForeignKey("channel_identities.id", ondelete="CASCADE")
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    # Codes are capped per target and per claimant over the last 24 hours.
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]
