"""Request validation for the fake Telegram Bot API server in ``tests.fakes.telegram``.

Three things live here, all pure functions of their inputs (no I/O, no server state):

* :class:`Schema` - the official Bot API schema (``tests/data/telegram-bot-api.json``) turned
  into a validator: method lookup, decoding of form/query/JSON parameters into Python values and
  a strict recursive type check of nested objects such as ``reply_markup``.
* Telegram's text formatting: :func:`parse_html`, :func:`parse_markdown_v2` and
  :func:`parse_markdown` turn a ``parse_mode`` text into plain text plus entities, raising
  :class:`BadRequest` with a Telegram-like ``can't parse entities`` description.
* :func:`check_method_rules` - the documented limits that the schema itself cannot express
  (message length after entity parsing, caption length, webhook secret format, ...).

Every refusal is a :class:`BadRequest` whose ``description`` is what the server answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "data" / "telegram-bot-api.json"

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_CALLBACK_DATA_BYTES = 64


class BadRequest(Exception):
    """A request the real server would refuse with HTTP 400 and this ``description``."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


@dataclass(slots=True)
class UploadedFile:
    """One file part of a multipart request."""

    part_name: str
    filename: str
    content_type: str
    data: bytes

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes)"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    types: tuple[str, ...]
    required: bool


@dataclass(slots=True)
class TypeSpec:
    """A Bot API object type or method: its fields plus, for abstract types, the subtypes."""

    name: str
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    subtypes: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()
    # Subtypes are told apart by a field documented as 'always "x"' / 'must be x'.
    discriminator: tuple[str, str] | None = None

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.required]


class _Mismatch(Exception):
    """A value that does not fit one candidate type; unions try the next candidate."""


_DISCRIMINATOR_RE = re.compile(r'(?:always|must be) "?([a-z_]+)"?')
_INTEGER_RE = re.compile(r"-?\d+")
# The real server still honours these pre-7.0 parameters, and aiogram still knows them.
_LEGACY_PARAMS = {
    "reply_to_message_id": ("Integer", "reply_parameters"),
    "allow_sending_without_reply": ("Boolean", "reply_parameters"),
    "disable_web_page_preview": ("Boolean", "link_preview_options"),
}


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit Telegram uses for limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= 60 else text[:57] + "..."


class Schema:
    """Validator built from the official JSON schema."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.version: str = data.get("version", "")
        self.types = {name: self._spec(raw) for name, raw in data["types"].items()}
        self.methods = {name: self._spec(raw) for name, raw in data["methods"].items()}
        self._methods_lower = {name.lower(): spec for name, spec in self.methods.items()}
        self._hooks: dict[str, Callable[[dict[str, Any], str], None]] = {
            "InlineKeyboardMarkup": _check_inline_keyboard,
            "InlineKeyboardButton": _check_inline_button,
            "KeyboardButton": _check_keyboard_button,
            "BotCommand": _check_bot_command,
        }
        self.update_types = tuple(f for f in self.types["Update"].fields if f != "update_id")

    @staticmethod
    def _spec(raw: Mapping[str, Any]) -> TypeSpec:
        fields = {
            f["name"]: FieldSpec(f["name"], tuple(f["types"]), bool(f["required"]))
            for f in raw.get("fields", [])
        }
        discriminator = None
        if raw.get("subtype_of"):
            for key in ("type", "status", "source"):
                if key in fields:
                    description = next(f for f in raw["fields"] if f["name"] == key)["description"]
                    if match := _DISCRIMINATOR_RE.search(description):
                        discriminator = (key, match.group(1))
                    break
        return TypeSpec(
            name=raw["name"],
            fields=fields,
            subtypes=tuple(raw.get("subtypes", ())),
            returns=tuple(raw.get("returns", ())),
            discriminator=discriminator,
        )

    def find_method(self, name: str) -> TypeSpec | None:
        # The real server matches method names case-insensitively.
        return self._methods_lower.get(name.lower())

    # -- top-level parameters ------------------------------------------------------------

    def decode_params(
        self,
        method: TypeSpec,
        raw: Mapping[str, str],
        files: Mapping[str, UploadedFile],
    ) -> dict[str, Any]:
        """Check ``raw`` (strings, as the server receives them) against ``method``.

        Returns the decoded parameters: numbers, booleans, parsed JSON objects and
        :class:`UploadedFile` for uploads. Raises :class:`BadRequest` on the first problem.
        """
        decoded: dict[str, Any] = {}
        referenced: set[str] = set()
        for name, value in raw.items():
            spec = method.fields.get(name)
            if spec is None and name in _LEGACY_PARAMS:
                legacy_type, successor = _LEGACY_PARAMS[name]
                if successor in method.fields:
                    spec = FieldSpec(name, (legacy_type,), False)
            if spec is None:
                # The real server silently ignores unknown parameters; a fake that refuses
                # them catches typos and parameters from a newer/older API version.
                raise BadRequest(f'Bad Request: unknown parameter "{name}" for {method.name}')
            decoded[name] = self._decode_top(spec, value, files, referenced)
        for name, upload in files.items():
            if name in method.fields and name not in decoded:
                decoded[name] = self._decode_top(method.fields[name], upload, files, referenced)
                referenced.add(name)
        for name in method.required:
            # An empty chat_id or text counts as missing; an empty setWebhook url is meaningful.
            if name not in decoded or (name in ("chat_id", "text") and decoded[name] == ""):
                raise BadRequest(_missing_description(name))
        _collect_attachments(decoded, referenced)
        for name in referenced:
            if name not in files:
                raise BadRequest(
                    f'Bad Request: file "attach://{name}" is not among the uploaded parts'
                )
        for name in files:
            if name not in referenced:
                raise BadRequest(
                    f'Bad Request: uploaded part "{name}" is neither a parameter of '
                    f"{method.name} nor referenced as attach://{name}"
                )
        return decoded

    def _decode_top(
        self,
        spec: FieldSpec,
        value: str | UploadedFile,
        files: Mapping[str, UploadedFile],
        referenced: set[str],
    ) -> Any:
        structured = tuple(t for t in spec.types if t not in _SCALARS)
        for type_name in spec.types:
            if type_name in _SCALARS:
                try:
                    return _coerce_scalar(type_name, value, files, referenced)
                except _Mismatch:
                    continue
        if structured and isinstance(value, str):
            # Objects and arrays arrive JSON-serialized, even inside multipart forms.
            try:
                parsed = json.loads(value)
            except ValueError:
                raise BadRequest(f"Bad Request: can't parse {spec.name} JSON object") from None
            try:
                self.check_union(structured, parsed, spec.name)
            except _Mismatch as exc:
                raise BadRequest(f"Bad Request: can't parse {spec.name}: {exc}") from None
            return parsed
        shown = value if isinstance(value, UploadedFile) else _describe(value)
        raise BadRequest(
            f'Bad Request: parameter "{spec.name}" must be {" or ".join(spec.types)}, got {shown}'
        )

    # -- nested values -------------------------------------------------------------------

    def check(self, type_name: str, value: Any, path: str) -> None:
        """Strictly check a JSON value against a type expression such as ``Array of X``.

        Raises :class:`BadRequest` for documented limits and ``_Mismatch`` for type errors.
        """
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                raise _Mismatch(f"{path} must be an Array, got {_describe(value)}")
            inner = type_name.removeprefix("Array of ")
            for index, item in enumerate(value):
                self.check(inner, item, f"{path}[{index}]")
            return
        if type_name == "String":
            if not isinstance(value, str):
                raise _Mismatch(f"{path} must be a String, got {_describe(value)}")
            return
        if type_name == "Integer":
            # The real JSON parser also accepts integers written as strings.
            ok = (isinstance(value, int) and not isinstance(value, bool)) or (
                isinstance(value, str) and _INTEGER_RE.fullmatch(value) is not None
            )
            if not ok:
                raise _Mismatch(f"{path} must be an Integer, got {_describe(value)}")
            return
        if type_name == "Float":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _Mismatch(f"{path} must be a Float, got {_describe(value)}")
            return
        if type_name == "Boolean":
            if not isinstance(value, bool):
                raise _Mismatch(f"{path} must be a Boolean, got {_describe(value)}")
            return
        if type_name == "InputFile":
            if not (isinstance(value, str) and value.startswith("attach://")):
                raise _Mismatch(f"{path} must be an attach://<part> reference")
            return
        spec = self.types.get(type_name)
        if spec is None:
            raise _Mismatch(f"{path}: unknown type {type_name}")
        if spec.subtypes:
            self.check_union(spec.subtypes, value, path)
            return
        if not isinstance(value, dict):
            raise _Mismatch(f"{path} must be a {type_name} object, got {_describe(value)}")
        for key in value:
            if key not in spec.fields and spec.fields:
                raise _Mismatch(f'{path}: unknown field "{key}" in {type_name}')
        for name in spec.required:
            if name not in value:
                raise _Mismatch(f'{path}: {type_name} requires field "{name}"')
        if spec.discriminator is not None:
            key, expected = spec.discriminator
            if value.get(key) != expected:
                raise _Mismatch(f'{path}.{key} must be "{expected}" for {type_name}')
        for key, item in value.items():
            if key in spec.fields:
                self.check_union(spec.fields[key].types, item, f"{path}.{key}")
        hook = self._hooks.get(type_name)
        if hook is not None:
            hook(value, path)

    def check_union(self, type_names: tuple[str, ...], value: Any, path: str) -> None:
        if len(type_names) == 1:
            self.check(type_names[0], value, path)
            return
        if isinstance(value, list) and all(t.startswith("Array of ") for t in type_names):
            # sendMediaGroup's "Array of InputMediaPhoto or Array of InputMediaVideo ..." means
            # one array whose items may mix those kinds; which mixes are allowed is a rule in
            # check_method_rules.
            items = tuple(t.removeprefix("Array of ") for t in type_names)
            for index, item in enumerate(value):
                self.check_union(items, item, f"{path}[{index}]")
            return
        failures: list[tuple[int, _Mismatch]] = []
        for type_name in type_names:
            try:
                self.check(type_name, value, path)
                return
            except _Mismatch as exc:
                failures.append((self._affinity(type_name, value), exc))
        # Report the candidate the value most resembles: "unknown field callback_dat in
        # InlineKeyboardButton" helps more than "ReplyKeyboardMarkup requires keyboard".
        raise max(failures, key=lambda failure: failure[0])[1]

    def _affinity(self, type_name: str, value: Any) -> int:
        if type_name.startswith("Array of "):
            if not isinstance(value, list):
                return 0
            inner = type_name.removeprefix("Array of ")
            return 1 + (self._affinity(inner, value[0]) if value else 0)
        spec = self.types.get(type_name)
        if spec is None or not isinstance(value, dict):
            return 0
        if spec.subtypes:
            return max(self._affinity(sub, value) for sub in spec.subtypes)
        score = 1 + sum(1 for key in value if key in spec.fields)
        if spec.discriminator is not None:
            key, expected = spec.discriminator
            score += 100 if value.get(key) == expected else -100
        return score


_SCALARS = frozenset({"InputFile", "String", "Integer", "Float", "Boolean"})


def _coerce_scalar(
    type_name: str,
    value: str | UploadedFile,
    files: Mapping[str, UploadedFile],
    referenced: set[str],
) -> Any:
    """Decode one top-level parameter, which the server always receives as text or a file."""
    if type_name == "InputFile":
        if isinstance(value, UploadedFile):
            return value
        if value.startswith("attach://"):
            key = value.removeprefix("attach://")
            if key not in files:
                raise BadRequest(f'Bad Request: file "{value}" is not among the uploaded parts')
            referenced.add(key)
            return files[key]
        raise _Mismatch("not an upload")
    if isinstance(value, UploadedFile):
        raise _Mismatch("an upload is not allowed here")
    if type_name == "String":
        return value
    if type_name == "Integer":
        if _INTEGER_RE.fullmatch(value):
            return int(value)
        raise _Mismatch("not an Integer")
    if type_name == "Float":
        try:
            number = float(value)
        except ValueError:
            raise _Mismatch("not a Float") from None
        if number != number or number in (float("inf"), float("-inf")):
            raise _Mismatch("not a finite Float")
        return number
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _Mismatch("not a Boolean")


@cache
def load_schema(path: Path = SCHEMA_PATH) -> Schema:
    """The parsed schema; cached because every fake server instance shares it."""
    return Schema(json.loads(path.read_text(encoding="utf-8")))


def _missing_description(name: str) -> str:
    if name == "text":
        return "Bad Request: message text is empty"
    if name == "chat_id":
        return "Bad Request: chat_id is empty"
    return f'Bad Request: parameter "{name}" is required'


def _collect_attachments(value: Any, found: set[str]) -> None:
    if isinstance(value, str):
        if value.startswith("attach://"):
            found.add(value.removeprefix("attach://"))
    elif isinstance(value, dict):
        for item in value.values():
            _collect_attachments(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_attachments(item, found)


# -- per-type rules the schema cannot express ----------------------------------------------

_BUTTON_LOOKS = ("text", "icon_custom_emoji_id", "style")
_BUTTON_URL_RE = re.compile(r"(?:https?|tg)://\S+", re.IGNORECASE)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_MAX_INLINE_BUTTONS = 100


def _check_inline_keyboard(markup: dict[str, Any], path: str) -> None:
    if sum(len(row) for row in markup["inline_keyboard"]) > _MAX_INLINE_BUTTONS:
        raise BadRequest("Bad Request: reply markup is too long")


def _check_inline_button(button: dict[str, Any], path: str) -> None:
    if not button["text"]:
        raise BadRequest(f"Bad Request: can't parse inline keyboard button: text is empty ({path})")
    actions = [key for key in button if key not in _BUTTON_LOOKS]
    if not actions:
        raise BadRequest(
            "Bad Request: can't parse inline keyboard button: "
            f"Text buttons are unallowed in the inline keyboard ({path})"
        )
    if len(actions) > 1:
        raise BadRequest(
            "Bad Request: can't parse inline keyboard button: exactly one of "
            f"{', '.join(actions)} must be used ({path})"
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
        raise BadRequest("Bad Request: BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not _BUTTON_URL_RE.fullmatch(url):
        raise BadRequest(
            f"Bad Request: inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
        )


def _check_keyboard_button(button: dict[str, Any], path: str) -> None:
    if not button["text"]:
        raise BadRequest(f"Bad Request: keyboard button text must be non-empty ({path})")


def _check_bot_command(command: dict[str, Any], path: str) -> None:
    if not _COMMAND_RE.fullmatch(command["command"]):
        raise BadRequest("Bad Request: BOT_COMMAND_INVALID")
    if not 1 <= utf16_len(command["description"]) <= 256:
        raise BadRequest("Bad Request: command description must be 1-256 characters long")


# -- formatted text --------------------------------------------------------------------------


class _ParseError(BadRequest):
    def __init__(self, detail: str) -> None:
        super().__init__(f"Bad Request: can't parse entities: {detail}")


class _Builder:
    """Accumulates plain text while tracking the UTF-16 offset entities need."""

    __slots__ = ("entities", "parts", "pos")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[dict[str, Any]] = []

    def add(self, text: str) -> None:
        if text:
            self.parts.append(text)
            self.pos += utf16_len(text)

    def entity(self, kind: str, start: int, **extra: Any) -> None:
        # Telegram drops empty entities instead of refusing them.
        if self.pos > start:
            self.entities.append(
                {"type": kind, "offset": start, "length": self.pos - start, **extra}
            )

    def result(self) -> tuple[str, list[dict[str, Any]]]:
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), self.entities


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    # Listed in the formatting docs since the schema gained the date_time entity.
    "tg-time": "date_time",
}
_HTML_SPECIAL = re.compile(r"[<&]")
_HTML_ENTITY = re.compile(r"&(?:#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,8}));")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_UNQUOTED_ATTR = re.compile(r"[A-Za-z0-9.\-]*")


def _html_entity_at(source: str, index: int) -> tuple[str, int] | None:
    match = _HTML_ENTITY.match(source, index)
    if match is None:
        return None
    decimal, hexadecimal, named = match.groups()
    if named is not None:
        char = _HTML_NAMED.get(named)
        return (char, match.end()) if char is not None else None
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if not 0 < code <= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


def _html_unescape_attribute(value: str) -> str:
    # Attribute values decode entities but, like the real server, keep a stray "&" as is,
    # so an unescaped "&" in a URL query string is not a parse error.
    out: list[str] = []
    index = 0
    while (amp := value.find("&", index)) >= 0:
        out.append(value[index:amp])
        decoded = _html_entity_at(value, amp)
        if decoded is None:
            out.append("&")
            index = amp + 1
        else:
            out.append(decoded[0])
            index = decoded[1]
    out.append(value[index:])
    return "".join(out)


@dataclass(slots=True)
class _OpenTag:
    name: str
    attributes: dict[str, str]
    start: int
    source_index: int
    language: str | None = None


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's ``parse_mode=HTML``: return (plain text, entities) or raise BadRequest.

    Stricter than the real server in one place, on purpose: the docs require every ``&``
    that does not start an entity to be written ``&amp;``; the real parser quietly keeps a
    stray ``&`` as text, which lets unescaped user input through until it happens to look
    like ``&lt;``. Here a stray ``&`` in text is refused so the missing escape is caught.
    """
    out = _Builder()
    stack: list[_OpenTag] = []
    index, size = 0, len(source)
    while index < size:
        match = _HTML_SPECIAL.search(source, index)
        stop = match.start() if match else size
        if stop > index:
            out.add(source[index:stop])
            index = stop
            continue
        if source[index] == "&":
            decoded = _html_entity_at(source, index)
            if decoded is None:
                raise _ParseError(
                    f'Unescaped "&" at byte offset {_byte_offset(source, index)}: '
                    "write it as &amp; (only &lt; &gt; &amp; &quot; and numeric entities exist)"
                )
            out.add(decoded[0])
            index = decoded[1]
            continue
        index = _html_tag(source, index, out, stack)
    if stack:
        raise _ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.result()


def _html_tag(source: str, begin: int, out: _Builder, stack: list[_OpenTag]) -> int:
    size = len(source)
    offset = _byte_offset(source, begin)
    index = begin + 1
    is_end = index < size and source[index] == "/"
    if is_end:
        index += 1
    name_start = index
    while index < size and not source[index].isspace() and source[index] != ">":
        index += 1
    if index >= size:
        raise _ParseError(f"Unclosed {'end' if is_end else 'start'} tag at byte offset {offset}")
    name = source[name_start:index].lower()
    if is_end:
        while index < size and source[index].isspace():
            index += 1
        if index >= size or source[index] != ">":
            raise _ParseError(f"Unclosed end tag at byte offset {offset}")
        if not stack:
            raise _ParseError(f"Unexpected end tag at byte offset {offset}")
        tag = stack.pop()
        if tag.name != name:
            raise _ParseError(
                f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", '
                f'found "</{name}>"'
            )
        _close_html_tag(tag, out, stack)
        return index + 1
    if name not in _HTML_TAGS:
        raise _ParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
    attributes: dict[str, str] = {}
    while True:
        while index < size and source[index].isspace():
            index += 1
        if index >= size:
            raise _ParseError(f"Unclosed start tag at byte offset {offset}")
        if source[index] == ">":
            index += 1
            break
        attr_start = index
        while index < size and not source[index].isspace() and source[index] not in "=>":
            index += 1
        attribute = source[attr_start:index].lower()
        if not attribute:
            raise _ParseError(f'Empty attribute name in the tag "{name}" at byte offset {offset}')
        while index < size and source[index].isspace():
            index += 1
        if index < size and source[index] != "=":
            if name == "blockquote" and attribute == "expandable":
                attributes[attribute] = ""
                continue
            raise _ParseError(
                f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                f"at byte offset {offset}"
            )
        index += 1
        while index < size and source[index].isspace():
            index += 1
        if index >= size:
            raise _ParseError(f"Unclosed start tag at byte offset {offset}")
        if source[index] in "\"'":
            closing = source.find(source[index], index + 1)
            if closing < 0:
                raise _ParseError(f"Unclosed end of attribute value at byte offset {offset}")
            attributes[attribute] = _html_unescape_attribute(source[index + 1 : closing])
            index = closing + 1
        else:
            value_match = _UNQUOTED_ATTR.match(source, index)
            assert value_match is not None  # the pattern matches the empty string
            attributes[attribute] = value_match.group()
            index = value_match.end()
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise _ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    if name == "tg-emoji" and not attributes.get("emoji-id", "").isdigit():
        raise _ParseError("Custom emoji entity must contain a valid custom emoji identifier")
    if name == "tg-time" and not _INTEGER_RE.fullmatch(attributes.get("unix", "")):
        raise _ParseError(
            f'Tag "tg-time" must have a valid attribute "unix" at byte offset {offset}'
        )
    stack.append(_OpenTag(name, attributes, out.pos, begin))
    return index


def _close_html_tag(tag: _OpenTag, out: _Builder, stack: list[_OpenTag]) -> None:
    kind = _HTML_TAGS[tag.name]
    if kind == "text_link":
        href = tag.attributes.get("href", "")
        if href.startswith("tg://user?id=") and href[13:].isdigit():
            out.entity("text_mention", tag.start, user={"id": int(href[13:])})
        elif href:
            out.entity("text_link", tag.start, url=href)
    elif kind == "code":
        language = tag.attributes.get("class", "")
        # <pre><code class="language-x"> is one pre entity with a language.
        if stack and stack[-1].name == "pre" and language.startswith("language-"):
            stack[-1].language = language.removeprefix("language-")
        else:
            out.entity("code", tag.start)
    elif kind == "pre":
        extra = {"language": tag.language} if tag.language else {}
        out.entity("pre", tag.start, **extra)
    elif kind == "blockquote":
        expandable = "expandable" in tag.attributes
        out.entity("expandable_blockquote" if expandable else "blockquote", tag.start)
    elif kind == "custom_emoji":
        out.entity(kind, tag.start, custom_emoji_id=tag.attributes["emoji-id"])
    elif kind == "date_time":
        extra = {"date_time_format": tag.attributes["format"]} if "format" in tag.attributes else {}
        out.entity(kind, tag.start, unix_time=int(tag.attributes["unix"]), **extra)
    else:
        out.entity(kind, tag.start)


# MarkdownV2 is handled minimally: escapes, reserved characters, bold/italic/underline/
# strikethrough/spoiler, inline code, pre blocks, [links](url), ![emoji](tg://emoji?id=) and
# ">" quote lines. Not handled: expandable "**>" quotes and the "___" underline/italic
# ambiguity rules. The main point is the one bots get wrong: an unescaped reserved character
# is refused exactly like the real server does.
_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}
_MDV2_MARKERS = {"*": "bold", "~": "strikethrough"}


@dataclass(slots=True)
class _OpenMarker:
    kind: str
    start: int
    source_index: int
    language: str = ""


def parse_markdown_v2(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's ``parse_mode=MarkdownV2`` (minimal, see the comment above)."""
    out = _Builder()
    stack: list[_OpenMarker] = []
    quote_start: int | None = None
    index, size = 0, len(source)
    while index < size:
        char = source[index]
        in_code = bool(stack) and stack[-1].kind in ("code", "pre")
        if char == "\\" and index + 1 < size and 0 < ord(source[index + 1]) < 127:
            out.add(source[index + 1])
            index += 2
            continue
        if in_code:
            top = stack[-1]
            if top.kind == "pre" and source.startswith("```", index):
                stack.pop()
                out.entity("pre", top.start, **({"language": top.language} if top.language else {}))
                index += 3
            elif top.kind == "code" and char == "`":
                stack.pop()
                out.entity("code", top.start)
                index += 1
            else:
                out.add(char)
                index += 1
            continue
        at_line_start = index == 0 or source[index - 1] == "\n"
        if char == "\n":
            out.add(char)
            index += 1
            if quote_start is not None and not source.startswith(">", index):
                out.pos -= 1  # the newline ending a quote is not part of it
                out.entity("blockquote", quote_start)
                out.pos += 1
                quote_start = None
            continue
        if char not in _MDV2_RESERVED:
            out.add(char)
            index += 1
            continue
        if char == ">" and at_line_start:
            if quote_start is None:
                quote_start = out.pos
            index += 1
            continue
        index = _markdown_v2_marker(source, index, out, stack)
    if quote_start is not None:
        out.entity("blockquote", quote_start)
    if stack:
        top = stack[-1]
        raise _ParseError(
            f"Can't find end of {_MDV2_NAMES[top.kind]} entity at byte offset "
            f"{_byte_offset(source, top.source_index)}"
        )
    return out.result()


def _markdown_v2_marker(source: str, index: int, out: _Builder, stack: list[_OpenMarker]) -> int:
    char = source[index]
    if char == "_":
        kind, width = ("underline", 2) if source.startswith("__", index) else ("italic", 1)
    elif char in _MDV2_MARKERS:
        kind, width = _MDV2_MARKERS[char], 1
    elif char == "|" and source.startswith("||", index):
        kind, width = "spoiler", 2
    elif char == "`":
        if source.startswith("```", index):
            newline = source.find("\n", index + 3)
            language = source[index + 3 : newline].strip() if newline >= 0 else ""
            after = newline + 1 if newline >= 0 and language else index + 3
            stack.append(_OpenMarker("pre", out.pos, index, language))
            return after
        stack.append(_OpenMarker("code", out.pos, index))
        return index + 1
    elif char == "[" or (char == "!" and source.startswith("![", index)):
        kind = "text_link" if char == "[" else "custom_emoji"
        stack.append(_OpenMarker(kind, out.pos, index))
        return index + (1 if char == "[" else 2)
    elif char == "]" and stack and stack[-1].kind in ("text_link", "custom_emoji"):
        return _markdown_v2_link_end(source, index, out, stack)
    else:
        raise _ParseError(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )
    if stack and stack[-1].kind == kind:
        out.entity(kind, stack.pop().start)
    elif any(marker.kind == kind for marker in stack):
        opened = next(marker for marker in stack if marker.kind == kind)
        raise _ParseError(
            f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset "
            f"{_byte_offset(source, opened.source_index)}"
        )
    else:
        stack.append(_OpenMarker(kind, out.pos, index))
    return index + width


def _markdown_v2_link_end(source: str, index: int, out: _Builder, stack: list[_OpenMarker]) -> int:
    marker = stack.pop()
    index += 1
    if not source.startswith("(", index):
        # "[text]" without a URL keeps the text and creates no entity.
        return index
    url: list[str] = []
    index += 1
    while index < len(source) and source[index] != ")":
        if source[index] == "\\" and index + 1 < len(source):
            index += 1
        url.append(source[index])
        index += 1
    if index >= len(source):
        raise _ParseError(
            f"Can't find end of a URL at byte offset {_byte_offset(source, marker.source_index)}"
        )
    target = "".join(url)
    if marker.kind == "custom_emoji":
        emoji_id = target.removeprefix("tg://emoji?id=")
        if not emoji_id.isdigit():
            raise _ParseError("Custom emoji entity must contain a valid custom emoji identifier")
        out.entity("custom_emoji", marker.start, custom_emoji_id=emoji_id)
    elif target.startswith("tg://user?id=") and target[13:].isdigit():
        out.entity("text_mention", marker.start, user={"id": int(target[13:])})
    else:
        out.entity("text_link", marker.start, url=target)
    return index + 1


_MD_MARKERS = {"*": "bold", "_": "italic", "`": "code"}


def parse_markdown(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's legacy ``parse_mode=Markdown``: *bold*, _italic_, `code`, ```pre```, [a](b).

    Entities cannot nest; ``\\`` escapes ``_ * ` [`` outside entities.
    """
    out = _Builder()
    index, size = 0, len(source)
    while index < size:
        char = source[index]
        if char == "\\" and index + 1 < size and source[index + 1] in "_*`[":
            out.add(source[index + 1])
            index += 2
            continue
        if char not in "_*`[":
            out.add(char)
            index += 1
            continue
        missing_end = _ParseError(
            f"Can't find end of the entity starting at byte offset {_byte_offset(source, index)}"
        )
        start = out.pos
        if source.startswith("```", index):
            end = source.find("```", index + 3)
            if end < 0:
                raise missing_end
            body = source[index + 3 : end]
            language, newline, rest = body.partition("\n")
            if newline and language and " " not in language:
                body = rest
            out.add(body)
            out.entity("pre", start, **({"language": language} if newline and language else {}))
            index = end + 3
        elif char == "[":
            close = source.find("]", index + 1)
            if close < 0:
                raise missing_end
            out.add(source[index + 1 : close])
            index = close + 1
            if source.startswith("(", index):
                url_end = source.find(")", index)
                if url_end < 0:
                    raise missing_end
                out.entity("text_link", start, url=source[index + 1 : url_end])
                index = url_end + 1
        else:
            end = source.find(char, index + 1)
            if end < 0:
                raise missing_end
            out.add(source[index + 1 : end])
            out.entity(_MD_MARKERS[char], start)
            index = end + 1
    return out.result()


_PARSERS: dict[str, Callable[[str], tuple[str, list[dict[str, Any]]]]] = {
    "html": parse_html,
    "markdownv2": parse_markdown_v2,
    "markdown": parse_markdown,
}


def format_text(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of a message as Telegram stores it (parsed, then trimmed)."""
    if parse_mode:
        parser = _PARSERS.get(parse_mode.lower())
        if parser is None:
            raise BadRequest("Bad Request: unsupported parse_mode")
        plain, found = parser(text)
    else:
        plain, found = text, list(entities or [])
    return _trim(plain, found)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    # The server strips surrounding whitespace before storing and measuring the text.
    stripped = text.strip()
    if stripped == text:
        return text, entities
    shift = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(0, entity["offset"] - shift)
        end = min(total, entity["offset"] + entity["length"] - shift)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


# -- method-level rules ------------------------------------------------------------------------

_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_LANGUAGE_CODE_RE = re.compile(r"[a-z]{2}")
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


@dataclass(slots=True)
class FormattedContent:
    """Text and caption of a call after entity parsing (None when the call has none)."""

    text: tuple[str, list[dict[str, Any]]] | None = None
    caption: tuple[str, list[dict[str, Any]]] | None = None
    media_captions: list[tuple[str, list[dict[str, Any]]] | None] = field(default_factory=list)


def _caption(
    caption: str | None, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]]] | None:
    if caption is None:
        return None
    plain, found = format_text(caption, parse_mode, entities)
    if utf16_len(plain) > MAX_CAPTION_LENGTH:
        raise BadRequest("Bad Request: message caption is too long")
    return plain, found


def check_method_rules(method: str, params: Mapping[str, Any]) -> FormattedContent:
    """Apply the documented limits of ``method`` to already type-checked ``params``."""
    content = FormattedContent()
    if method in ("sendMessage", "editMessageText"):
        plain, found = format_text(params["text"], params.get("parse_mode"), params.get("entities"))
        if not plain:
            raise BadRequest("Bad Request: message text is empty")
        if utf16_len(plain) > MAX_TEXT_LENGTH:
            raise BadRequest("Bad Request: message is too long")
        content.text = (plain, found)
    content.caption = _caption(
        params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
    )
    if method == "sendMediaGroup":
        media = params["media"]
        if not 2 <= len(media) <= 10:
            raise BadRequest("Bad Request: media group must contain 2-10 items")
        kinds = {item["type"] for item in media}
        if len(kinds) > 1 and kinds & {"audio", "document"}:
            raise BadRequest("Bad Request: documents and audio can't be mixed with other media")
        content.media_captions = [
            _caption(item.get("caption"), item.get("parse_mode"), item.get("caption_entities"))
            for item in media
        ]
    if method == "answerCallbackQuery":
        if utf16_len(params.get("text", "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise BadRequest("Bad Request: MESSAGE_TOO_LONG")
    elif method == "setWebhook":
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(secret):
            raise BadRequest(
                "Bad Request: secret token contains unallowed characters or is too long"
            )
        max_connections = params.get("max_connections")
        if max_connections is not None and not 1 <= max_connections <= 100:
            raise BadRequest("Bad Request: max_connections must be between 1 and 100")
    elif method in ("setMyCommands", "deleteMyCommands", "getMyCommands"):
        if len(params.get("commands", [])) > 100:
            raise BadRequest("Bad Request: too many commands: at most 100 are allowed")
        language = params.get("language_code")
        if language and not _LANGUAGE_CODE_RE.fullmatch(language):
            raise BadRequest("Bad Request: invalid language code specified")
    elif method == "sendChatAction" and params["action"] not in _CHAT_ACTIONS:
        raise BadRequest("Bad Request: wrong parameter action in request")
    return content
