"""Finding a commune's hamlets and fields by what the office writes: a code or a name.

An electoral unit lists its hamlets and an agency its fields, as codes or names, with or
without accents, with or without the word "Thôn". The reader resolves them here and the writer
checks here that a name it writes will resolve back to the same hamlet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from storage.folding import fold

# What people put before a hamlet's name, dropped when matching "Nà Lừa" to "Thôn Nà Lừa".
_PLACE_WORD = re.compile(
    r"^(?:thon|ap|ban|lang|xom|buon|phum|soc|khom|khu pho|khu|to dan pho|to) ")


def code_form(text: str) -> str:
    """`" Nà Lừa 2 "` → `"na-lua-2"`: how a typed code is written before it is checked."""
    return "-".join(fold(text).split())


class Names:
    """One commune's hamlets (or fields), found by code, else name, else name without "Thôn"."""

    def __init__(self) -> None:
        self._codes: set[str] = set()
        self._names: dict[str, set[str]] = {}
        self._bare: dict[str, set[str]] = {}

    def add(self, code: str, name: str) -> None:
        self._codes.add(code)
        self._names.setdefault(fold(name), set()).add(code)
        self._bare.setdefault(_PLACE_WORD.sub("", fold(name)), set()).add(code)

    def find(self, text: str) -> set[str]:
        """The codes `text` may mean; more than one when it is ambiguous."""
        if (code := code_form(text)) in self._codes:
            return {code}
        key = fold(text)
        return set(self._names.get(key) or self._bare.get(_PLACE_WORD.sub("", key)) or ())

    def resolve(self, parts: Sequence[str]) -> Iterator[tuple[str, set[str]]]:
        """Each part with the codes it means; a part naming nothing is tried comma by comma
        (a field's own name may hold commas: "Đất đai, tài nguyên, môi trường")."""
        for part in parts:
            whole = self.find(part)
            pieces = [" ".join(piece.split()) for piece in part.split(",")]
            if whole or len(pieces) == 1:
                yield part, whole
                continue
            for piece in pieces:
                if piece:
                    yield piece, self.find(piece)
