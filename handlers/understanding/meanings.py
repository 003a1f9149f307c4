"""What a free message means: rules for what rules do best, then weighted cue phrases.

Order of decisions, each for a reason:

1. A message made only of short answers and politeness is a yes, a no, a cancel or a greeting
   — "dạ không" is a no, "chào cháu" a greeting. A greeting followed by a request is the
   request: the greeting words are simply not counted.
2. Complaint and denunciation words win over everything else: they are not petitions
   (domain.md §3), and routing one as a petition would pretend to accept it formally.
   Negated ("không phải khiếu nại") they do not count.
3. A petition code, in any form, is a status question.
4. Otherwise each meaning adds up the weights of its cue phrases; the field words of a
   problem ("đèn đường", "lầy lội") count for `petition`, so a free description of a
   problem is a petition even without "kiến nghị" in it.

When unsure, up to three alternatives come back, so the conversation can ask one short
question with buttons instead of saying it did not understand.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal, get_args

from handlers.understanding.codes import PetitionCode, find_petition_code
from handlers.understanding.matching import FIELD_PREFIX, Hit, correct_typos, find_cues
from handlers.understanding.normalise import normalise
from handlers.understanding.phrases import FILLER_YES, FILLERS, OFF_TOPIC, SHORT_MEANINGS

Meaning = Literal[
    "petition",
    "complaint",
    "denunciation",
    "petition_status",
    "my_petitions",
    "meetings",
    "meeting_question",
    "dialogue",
    "help",
    "my_data",
    "forget_me",
    "change_hamlet",
    "cancel",
    "greeting",
    "yes",
    "no",
    "unknown",
]
MEANINGS: tuple[Meaning, ...] = get_args(Meaning)

# Long first messages hold the whole problem in a few hundred characters; beyond this the
# rest is not read, which bounds the time one message can take.
MAX_CHARS = 1000
# What to offer when nothing is recognised: the three things villagers come for most.
DEFAULT_ALTERNATIVES: tuple[Meaning, ...] = ("petition", "my_petitions", "help")
# Below this confidence the caller should ask, offering the alternatives.
SURE = 0.7

_NEGATIONS = frozenset({"khong", "chua", "chang", "cha"})
_LEGAL = ("complaint", "denunciation")
# How much the field words of a described problem count for `petition`, and their cap: a
# long description must not drown an explicit "đối thoại" or "hỏi đại biểu".
_FIELD_WEIGHT = 0.75
_FIELD_CAP = 6.0
_LEADING_ADDRESS = ("thua", "kinh gui", "kinh thua")
# A cue that names a meaning outright weighs at least this much (phrases.py).
_NAMED = 7.0


@dataclass(frozen=True, slots=True)
class Context:
    """What the current step of the conversation waits for, if anything.

    An expected meaning wins a close call: at a yes/no question "dạ được, cháu gửi đi" is a
    yes; at a step that asks for a code, a bare "42" is petition 42.
    """

    expecting: frozenset[Meaning] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Understanding:
    """What the bot understood: a meaning, how sure it is, and what else it could be."""

    meaning: Meaning
    confidence: float
    code: PetitionCode | None = None
    # Other likely meanings, best first, when `confidence` is below `SURE` (at most 3).
    alternatives: tuple[Meaning, ...] = ()
    # The message as matched (normalised), for the caller's own checks and for logs.
    normalised: str = ""

    @property
    def sure(self) -> bool:
        return self.confidence >= SURE


def understand(text: str, context: Context | None = None) -> Understanding:
    """The meaning of one message typed by a citizen. Never raises, whatever the text."""
    expecting = context.expecting if context else frozenset()
    raw = text[:MAX_CHARS]
    code = find_petition_code(raw)
    words = _drop_leading_address(normalise(raw).split())
    normalised = " ".join(words)
    if not words:
        return Understanding("unknown", 0.0, None, DEFAULT_ALTERNATIVES, normalised)
    words = correct_typos(words)
    hits = find_cues(words)
    if code is not None:
        # The "KN" of a code is not "khiếu nại" (its teencode).
        hits = [hit for hit in hits if words[hit.start : hit.end] != ["kn"]]
    short = _short_answer(words, hits, expecting, code)
    if short is not None:
        return Understanding(short[0], short[1], None, (), normalised)
    scores, field_total = _scores(words, hits)
    legal = _legal(scores)
    if legal is not None:
        return _decide(legal, scores, normalised, code, forced=True)
    if code is not None:
        only_number = all(word.isdigit() for word in words)
        confidence = 0.8 if only_number and "petition_status" not in expecting else 0.95
        return Understanding("petition_status", confidence, code, (), normalised)
    for meaning in expecting:
        if scores.get(meaning, 0.0) > 0:
            scores[meaning] += 2.0
    scores["petition"] += min(field_total, _FIELD_CAP) * _FIELD_WEIGHT
    if scores.get("meeting_question", 0.0) >= _NAMED:
        # A question for a meeting names the meeting ("nêu ý kiến tại hội nghị tiếp xúc cử
        # tri"): the meeting words are its context, not a second request.
        scores["meetings"] /= 2
    if scores.get(OFF_TOPIC, 0.0) >= scores.get("petition", 0.0):
        scores.pop("petition", None)
        field_total = 0.0
    ranked = _ranked(scores)
    if ranked and ranked[0][1] >= 3.0:
        return _decide(ranked[0][0], scores, normalised, None)
    if field_total >= 2 and len(words) >= 4:
        return _decide("petition", scores, normalised, None, confidence=0.5)
    alternatives = tuple(meaning for meaning, _ in ranked[:3]) or DEFAULT_ALTERNATIVES
    return Understanding("unknown", 0.0, None, alternatives, normalised)


def _drop_leading_address(words: list[str]) -> list[str]:
    # "Thưa cô, cho tui hỏi…" opens politely; "tui muốn thưa ông trưởng ấp" is a denunciation.
    for address in _LEADING_ADDRESS:
        parts = address.split()
        if words[: len(parts)] == parts:
            return words[len(parts) :]
    return words


def _short_answer(
    words: list[str], hits: list[Hit], expecting: frozenset[Meaning], code: PetitionCode | None
) -> tuple[Meaning, float] | None:
    """Yes, no, cancel or greeting, when the message is nothing else, and how sure."""
    if code is not None:
        return None
    covered = [False] * len(words)
    found: set[str] = set()
    for hit in hits:
        labels = {label for label, _ in hit.labels}
        if not labels:
            continue
        short = labels & set(SHORT_MEANINGS)
        if not short:
            if not expecting & {"yes", "no"}:
                return None
            continue
        found |= short
        covered[hit.start : hit.end] = [True] * (hit.end - hit.start)
    content = [w for w, c in zip(words, covered, strict=True) if not c and w not in FILLERS]
    if content and not (expecting & {"yes", "no"} and found & {"yes", "no"}):
        return None
    for meaning in SHORT_MEANINGS:
        if meaning in found:
            return meaning, 0.9  # type: ignore[return-value]
    if not content:
        # Only politeness: "dạ" alone answers yes; "cháu ơi" calls for attention.
        return ("yes", 0.8) if FILLER_YES & set(words) else ("greeting", 0.6)
    return None


def _scores(words: list[str], hits: list[Hit]) -> tuple[defaultdict[str, float], float]:
    scores: defaultdict[str, float] = defaultdict(float)
    field_total = 0.0
    for hit in hits:
        negated = (hit.start > 0 and words[hit.start - 1] in _NEGATIONS) or (
            hit.start > 1 and words[hit.start - 1] in ("phai", "muon") and
            words[hit.start - 2] in _NEGATIONS
        )
        for label, weight in hit.labels:
            if label.startswith(FIELD_PREFIX):
                field_total += weight
            elif label in _LEGAL and negated:
                continue
            elif label not in SHORT_MEANINGS:
                scores[label] += weight
    return scores, field_total


def _legal(scores: dict[str, float]) -> Meaning | None:
    complaint = scores.get("complaint", 0.0)
    denunciation = scores.get("denunciation", 0.0)
    if max(complaint, denunciation) < 3.0:
        return None
    return "complaint" if complaint > denunciation else "denunciation"


def _ranked(scores: dict[str, float]) -> list[tuple[Meaning, float]]:
    known = set(MEANINGS)
    ranked = [(m, s) for m, s in scores.items() if s > 0 and m in known]
    ranked.sort(key=lambda item: -item[1])
    return ranked


def _decide(
    meaning: Meaning,
    scores: dict[str, float],
    normalised: str,
    code: PetitionCode | None,
    *,
    forced: bool = False,
    confidence: float | None = None,
) -> Understanding:
    top = scores.get(meaning, 0.0)
    others = [(m, s) for m, s in _ranked(scores) if m != meaning]
    second = others[0][1] if others else 0.0
    if confidence is None:
        confidence = top / (top + second + 1.0)
        if forced:
            # Legal words are decisive by themselves; only the other legal meaning competes.
            rival = max(scores.get(m, 0.0) for m in _LEGAL if m != meaning)
            confidence = max(confidence, 0.9 if rival == 0 else top / (top + rival))
    confidence = round(min(confidence, 0.99), 3)
    alternatives: tuple[Meaning, ...] = ()
    if confidence < SURE:
        alternatives = tuple(m for m, _ in others[:3])
    return Understanding(meaning, confidence, code, alternatives, normalised)
