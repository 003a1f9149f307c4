"""A commune's field model: the classifier its staff's classifications trained, as stored bytes."""

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, utcnow


class FieldModel(Base):
    """The latest field model of one commune, trained outside the bot process.

    Derived from petition texts, so /forget of a petitioner drops it (it is retrained without
    them). `through_audit_id` is the newest staff classification it learnt from: how many came
    after it decides when to retrain.
    """

    __tablename__ = "field_models"

    commune_id: Mapped[int] = mapped_column(
        ForeignKey("communes.id", ondelete="CASCADE"), primary_key=True)
    # The model as the understanding layer writes it (JSON bytes, `format_version`).
    model: Mapped[bytes] = mapped_column(LargeBinary)
    format_version: Mapped[int]
    examples: Mapped[int]
    through_audit_id: Mapped[int] = mapped_column(default=0)
    # When the examples were read; the bot reloads its copy when this changes.
    trained_at: Mapped[datetime] = mapped_column(default=utcnow)
