"""One spelling for what villagers type: no accents, no teencode, no southern variants.

Elderly people on cheap phones type Vietnamese with or without diacritics, in chat
abbreviations ("ko", "dc", "j"), in southern speech ("hổng", "mần", "dìa", "zô") and with
stretched letters ("quáaaa"). Everything the understanding module matches — phrase lists,
lexicons, the field classifier's n-grams — goes through `normalise`, so a list written once
in proper Vietnamese also matches every way of typing it.
"""

from __future__ import annotations

import re
import unicodedata

from storage.folding import fold

# Accented words whose folded form collides with another word: "hông"/"hổng" (southern
# "không") would fold to "hong", which is also "hỏng" (broken) — a word petitions need.
# They are replaced before the accents go.
_BEFORE_FOLDING = {
    "hông": "không",
    "hổng": "không",
    "dìa": "về",
    "mần": "làm",
    "hơm": "không",
    "hôm có": "không có",
    "bít": "biết",
    "dzô": "vô",
    "zô": "vô",
    # "dừng" (stop) folds to "dung", like "đúng" (right): keep the stop apart.
    "dừng": "ngưng",
}
_BEFORE_PATTERN = re.compile(
    r"(?<!\w)(" + "|".join(sorted(map(re.escape, _BEFORE_FOLDING), key=len, reverse=True))
    + r")(?!\w)"
)

# Folded chat abbreviations and variant spellings → the folded standard word(s).
# Ambiguous ones are left alone: "kn" is both a petition code prefix and "khiếu nại",
# "hong" is both "không" and "hỏng", "dk" both "được" and "đăng ký".
_WORDS = {
    # không, được, gì, biết, vậy
    "ko": "khong", "k": "khong", "kg": "khong", "kh": "khong", "khg": "khong", "kog": "khong",
    "hok": "khong", "hk": "khong", "khom": "khong", "hum": "khong", "hem": "khong",
    "dc": "duoc", "dx": "duoc", "dk k": "duoc khong",
    "j": "gi", "gj": "gi",
    "bit": "biet", "bik": "biet", "bjet": "biet",
    "v": "vay",
    # people and particles
    "tui": "toi", "t": "toi", "mk": "minh", "mik": "minh", "mh": "minh",
    "ah": "a", "ak": "a", "ha": "a",
    "ck": "chong", "vk": "vo", "bme": "bo me", "ng": "nguoi", "ngta": "nguoi ta",
    "ng dan": "nguoi dan", "e": "em",
    "ok": "ok", "oke": "ok", "okie": "ok", "oki": "ok", "okay": "ok", "okla": "ok",
    "okela": "ok", "uhm": "u", "uh": "u", "um": "u", "uk": "u",
    # common words
    "mun": "muon", "qa": "qua", "ntn": "nhu the nao", "lm": "lam",
    "mn": "moi nguoi", "mng": "moi nguoi", "cx": "cung", "cug": "cung", "cg": "cung",
    "r": "roi", "ns": "noi", "vs": "voi", "trc": "truoc", "bh": "bay gio", "bj": "bay gio",
    "bgio": "bay gio", "h": "gio", "thg": "thang", "thag": "thang",
    "kt": "kiem tra", "tl": "tra loi", "trl": "tra loi", "gq": "giai quyet",
    "gquyet": "giai quyet", "kbh": "khong bao gio",
    "sdt": "so dien thoai", "dt": "dien thoai", "nc": "nuoc", "dg": "duong",
    "dky": "dang ky", "dki": "dang ky", "dangky": "dang ky",
    # offices and programmes
    "ubx": "ubnd xa", "cb": "can bo", "ad": "admin", "kp": "khu pho", "tdp": "to dan pho",
    "dbieu": "dai bieu", "db": "dai bieu", "tx": "tiep xuc", "txct": "tiep xuc cu tri",
    "xkld": "xuat khau lao dong", "bhyt": "bao hiem y te", "bh yt": "bao hiem y te",
}
_MAX_KEY_WORDS = max(len(key.split()) for key in _WORDS)

# Consonant onsets after which a final "y" and "i" are the same syllable ("kỹ"/"kĩ",
# "lý"/"lí", "quy"/"qui"); people and even official texts mix them.
_Y_AS_I = re.compile(r"\b(b|d|h|k|l|m|n|qu|s|t|v|ph|th|tr|ch|kh)y\b")
# Stretched letters ("quáaaa", "khonggg"); digits are left alone ("00042" is a code).
# "oo" and "uu" are kept: real spellings ("xoong", folded "ưu tiên").
_STRETCH = re.compile(r"([a-z])\1{2,}|([a-np-tv-z])\2")
# The same before folding, so "hôngggg" is still recognised as "hông".
_STRETCH_ACCENTED = re.compile(r"([^\W\d_])\1{2,}")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _replace_before_folding(text: str) -> str:
    lowered = _STRETCH_ACCENTED.sub(r"\1", unicodedata.normalize("NFC", text).lower())
    return _BEFORE_PATTERN.sub(lambda match: _BEFORE_FOLDING[match.group(1)], lowered)


def _unstretch(match: re.Match[str]) -> str:
    return match.group(1) or match.group(2)


def _respell(word: str) -> str:
    """Teen and southern spellings that are regular: "w" → "qu", "z"/"dz" → "v", "f" → "ph"."""
    if word.startswith("dz") and len(word) > 2:
        return "v" + word[2:]
    if word.startswith("z") and len(word) > 1 and word != "zalo":
        return "v" + word[1:]
    if word.startswith("w") and len(word) > 1 and not word.startswith("web"):
        return "qu" + word[1:]
    if word.startswith("f") and len(word) > 1 and word not in ("facebook", "fb", "file"):
        return "ph" + word[1:]
    if word.startswith("j") and len(word) > 1:
        # "ji" is "gi" ("jì" = "gì"), not "gii", which would read as a stretched "gi".
        return "gi" + (word[2:] if word[1] == "i" else word[1:])
    return word


def normalise(text: str) -> str:
    """`"Đc hôngggg ạ!!! 😢"` → `"duoc khong a"`: one folded, abbreviation-free spelling.

    Lower case, no diacritics (đ → d), chat abbreviations and southern words replaced by the
    standard word, "y"/"i" variants unified, stretched letters and spaces collapsed,
    punctuation and emoji removed. Digits are kept.
    """
    folded = fold(_replace_before_folding(text))
    words = _NOT_WORD.sub(" ", folded).split()
    # Collapsed again after respelling: "wuu" respelled is "quuu", a stretch of its own.
    words = [_STRETCH.sub(_unstretch, _respell(_STRETCH.sub(_unstretch, word)))
             for word in words]
    out: list[str] = []
    index = 0
    while index < len(words):
        for size in range(min(_MAX_KEY_WORDS, len(words) - index), 0, -1):
            key = " ".join(words[index : index + size])
            if key in _WORDS:
                out.append(_WORDS[key])
                index += size
                break
        else:
            out.append(words[index])
            index += 1
    return _Y_AS_I.sub(lambda match: match.group(1) + "i", " ".join(out))
