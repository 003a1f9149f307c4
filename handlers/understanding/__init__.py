"""Understanding what villagers type: meanings, petition codes and petition fields.

Pure Python at runtime (rapidfuzz for typo correction): scikit-learn is imported only inside
`train_field_model`, so the bot's idle memory does not carry it.
"""

from handlers.understanding.codes import PetitionCode, find_petition_code
from handlers.understanding.meanings import (
    MEANINGS,
    SURE,
    Context,
    Meaning,
    Understanding,
    understand,
)
from handlers.understanding.normalise import normalise

__all__ = [
    "MEANINGS",
    "SURE",
    "Context",
    "Meaning",
    "PetitionCode",
    "Understanding",
    "find_petition_code",
    "normalise",
    "understand",
]
