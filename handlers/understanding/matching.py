"""Finding cue phrases in a normalised message: typo correction, then longest phrases first.

One table holds the meanings' cues and the fields' words, so where they overlap the longer
phrase wins everywhere: "số điện thoại" (asking for the office's phone) is never read as
"điện" (electricity), "hỏi đại biểu" is never read as "muốn hỏi".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz, process

from handlers.understanding.lexicon import FIELD_WORDS
from handlers.understanding.normalise import normalise
from handlers.understanding.phrases import CUES, FILLERS, NEUTRAL, words_of

Labels = tuple[tuple[str, float], ...]
FIELD_PREFIX = "field:"

# Frequent words that are not cues: left as typed instead of "corrected" into a cue that
# looks like them ("nhieu" is not a misspelt "nhiem").
_COMMON = words_of(
    "nha nay qua roi lam chua duoc hoi tien gi sao the nao nguoi dan lai mot hai bon nam "
    "muoi ngay thang gio sang chieu toi dem tuan truoc sau tren duoi trong ngoai den di ve "
    "len xuong ra vao nuoc lua nhieu lam ai biet muon can phai nhung cung con khi nen vi "
    "neu cho boi tai tu voi cua hay hoac nhu bao lau moi them het dang se da van ngoai "
    "thay nghe noi viet doc xem coi nhin nghi tinh thuong ngheo giau benh gia tre nho lon "
    "cao thap dai ngan xa gan mau cham som tre tot xau dep hien khac giong nhau chung rieng "
    "ngay nay hom qua mai bua truoc gio phut nua luc lan buoi trua sang toi khuya nhanh "
    "nhe dum giup chuyen viec lam an uong ngu choi hoc day tuoi ten ho so dien thoai quan "
    "huyen tinh thon xom ap xa phuong khu vung dong tay nam bac trung uong chinh quyen "
    "truong thanh pho chieu toi thoi luon nhe nhieu it"
)
_MIN_TYPO_LENGTH = 4
_TYPO_CUTOFF = 85.0


@dataclass(frozen=True, slots=True)
class Hit:
    """A cue found in the message: words `start:end` and what they point to."""

    start: int
    end: int
    labels: Labels


@dataclass(frozen=True, slots=True)
class _Table:
    phrases: dict[tuple[str, ...], Labels]
    longest: int
    known: frozenset[str]
    # Spellings that typo correction may land on: words of cue phrases, and cue phrases of
    # two words written as one ("khieunai"), with what replaces them.
    targets: dict[str, str]
    target_list: tuple[str, ...]


@cache
def table() -> _Table:
    """The phrase table, built once on first use (normalising every phrase takes ~10 ms)."""
    merged: dict[tuple[str, ...], dict[str, float]] = {}

    def add(phrase: str, label: str, weight: float) -> None:
        key = tuple(normalise(phrase).split())
        if key:
            slot = merged.setdefault(key, {})
            slot[label] = max(slot.get(label, 0.0), weight)

    for phrase, labels in CUES:
        for label, weight in labels:
            add(phrase, label, weight)
    for code, words in FIELD_WORDS.items():
        for phrase, weight in words:
            add(phrase, FIELD_PREFIX + code, weight)
    for phrase in NEUTRAL:
        merged.setdefault(tuple(normalise(phrase).split()), {})
    phrases = {key: tuple(labels.items()) for key, labels in merged.items()}
    known = frozenset(word for key in phrases for word in key) | FILLERS | _COMMON
    targets: dict[str, str] = {}
    for key in phrases:
        for word in key:
            if len(word) >= _MIN_TYPO_LENGTH and word not in FILLERS and word not in _COMMON:
                targets[word] = word
        if len(key) == 2:
            targets["".join(key)] = " ".join(key)
    return _Table(phrases, max(map(len, phrases)), known, targets, tuple(targets))


def correct_typos(words: list[str]) -> list[str]:
    """Unknown words close to a cue word become it: "khiu" → "khieu", "tocao" → "to cao"."""
    current = table()
    out: list[str] = []
    for word in words:
        if word in current.known or len(word) < _MIN_TYPO_LENGTH or not word.isalpha():
            out.append(word)
            continue
        best = process.extractOne(
            word, current.target_list, scorer=fuzz.ratio, score_cutoff=_TYPO_CUTOFF
        )
        out.extend((current.targets[best[0]] if best else word).split())
    return out


def find_cues(words: list[str]) -> list[Hit]:
    """Cue phrases in the words, longest first, never two over the same word."""
    current = table()
    candidates: list[Hit] = []
    for start in range(len(words)):
        for size in range(1, min(current.longest, len(words) - start) + 1):
            labels = current.phrases.get(tuple(words[start : start + size]))
            if labels is not None:
                candidates.append(Hit(start, start + size, labels))
    candidates.sort(key=lambda hit: (hit.start - hit.end, hit.start))
    taken = [False] * len(words)
    hits: list[Hit] = []
    for hit in candidates:
        if not any(taken[hit.start : hit.end]):
            taken[hit.start : hit.end] = [True] * (hit.end - hit.start)
            hits.append(hit)
    hits.sort(key=lambda hit: hit.start)
    return hits
