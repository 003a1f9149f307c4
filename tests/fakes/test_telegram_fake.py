"""Tests for the fake Telegram Bot API server in ``tests.fakes.telegram``.

Where possible the fake is driven by aiogram's real ``Bot`` so that the requests aiogram
actually sends (urlencoded forms, multipart uploads) are what passes the schema check; raw
HTTP requests cover the error paths aiogram would never produce.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest
from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import CommandStart
from aiogram.methods import SendMessage
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from tests.fakes.clock import ManualClock
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_schema import load_schema

USER = 7001
OTHER_USER = 7002


def _keyboard(*data: str) -> InlineKeyboardMarkup:
    buttons = [[InlineKeyboardButton(text=f"Nút {d}", callback_data=d)] for d in data]
    return InlineKeyboardMarkup(inline_keyboard=buttons)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeTelegram]:
    # Time inside the fake moves only when a test moves it: limits and windows are checked
    # the same way on a loaded machine.
    async with FakeTelegram(clock=clock) as server:
        yield server


async def until_polling(server: FakeTelegram) -> None:
    """Until a long poll waits inside the fake: a sleep would guess, and guess short under load."""
    for _ in range(1500):  # at least 15 s
        if server._poll_waiter is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("no long poll reached the fake")


def _bot_for(server: FakeTelegram) -> Bot:
    api = TelegramAPIServer.from_base(server.base_url)
    return Bot(server.token, session=AiohttpSession(api=api))


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    client = _bot_for(fake)
    yield client
    await client.session.close()


@pytest.fixture
async def http(fake: FakeTelegram) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{fake.base_url}/bot{fake.token}/") as client:
        yield client


# -- sending messages --------------------------------------------------------------------------


async def test_a_valid_send_message_with_an_inline_keyboard_returns_a_message(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.text(USER, "/start")

    first = await bot.send_message(USER, "Chọn một mục", reply_markup=_keyboard("a", "b"))
    second = await bot.send_message(USER, "Tiếp")

    assert first.chat.id == USER
    assert first.from_user is not None and first.from_user.id == fake.bot_user["id"]
    assert first.text == "Chọn một mục"
    assert first.reply_markup is not None
    rows = first.reply_markup.inline_keyboard
    assert [button.callback_data for row in rows for button in row] == ["a", "b"]
    assert second.message_id == first.message_id + 1
    assert fake.texts_for(USER) == ["Chọn một mục", "Tiếp"]
    assert [entry["method"] for entry in fake.sent] == ["sendMessage", "sendMessage"]
    assert fake.sent[0]["chat_id"] == USER
    assert fake.violations == []


async def test_aiogram_multipart_uploads_pass_the_schema_check(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.text(USER, "gửi giấy tờ")

    photo = await bot.send_photo(USER, BufferedInputFile(b"\xff" * 300, "anh.jpg"), caption="Ảnh")
    document = await bot.send_document(USER, BufferedInputFile(b"%PDF", "don.pdf"))
    album = await bot.send_media_group(
        USER,
        [
            InputMediaPhoto(media=BufferedInputFile(b"1", "1.jpg"), caption="<i>một</i>"),
            InputMediaPhoto(media=BufferedInputFile(b"2", "2.jpg")),
        ],
    )

    assert photo.photo is not None and photo.photo[-1].file_size == 300
    assert document.document is not None and document.document.file_name == "don.pdf"
    assert document.document.mime_type == "application/pdf"
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert fake.texts_for(USER) == ["Ảnh", "", "<i>một</i>", ""]
    assert fake.violations == []


async def test_sending_to_a_chat_that_never_wrote_to_the_bot_is_refused(
    fake: FakeTelegram, bot: Bot
) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(OTHER_USER, "Xin chào")
    assert fake.messages_for(OTHER_USER) == []


async def test_a_reply_keyboard_with_a_contact_button_passes(fake: FakeTelegram, bot: Bot) -> None:
    fake.text(USER, "/start")
    markup = ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text="Chia sẻ số điện thoại", request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )

    message = await bot.send_message(USER, "Vui lòng chia sẻ số", reply_markup=markup)

    # Reply keyboards are not part of the Message Telegram returns; inline ones are.
    assert message.reply_markup is None
    assert fake.sent[0]["params"]["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    assert fake.violations == []


# -- limits ---------------------------------------------------------------------------------


async def test_callback_data_over_64_bytes_is_refused(fake: FakeTelegram, bot: Bot) -> None:
    fake.text(USER, "/start")

    # 32 "đ" are 64 UTF-8 bytes: allowed; 33 are 66 bytes although only 33 characters.
    await bot.send_message(USER, "ok", reply_markup=_keyboard("đ" * 32))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "quá dài", reply_markup=_keyboard("đ" * 33))

    assert fake.texts_for(USER) == ["ok"]
    assert len(fake.violations) == 1 and "BUTTON_DATA_INVALID" in fake.violations[0]


async def test_text_over_4096_utf16_units_is_refused_and_4096_accepted(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.text(USER, "/start")
    exactly = "a" * 4094 + "😀"  # 4095 Python characters, 4096 UTF-16 code units
    too_long = "a" * 4095 + "😀"  # 4096 Python characters, 4097 UTF-16 code units

    await bot.send_message(USER, exactly)
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, too_long)

    assert fake.texts_for(USER) == [exactly]
    assert fake.violations == ["sendMessage: Bad Request: message is too long"]


async def test_html_text_length_is_measured_after_entity_parsing(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.text(USER, "/start")

    await bot.send_message(USER, "<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")

    assert fake.texts_for(USER) == ["&" * 4096]
    assert fake.violations == []


async def test_empty_text_is_refused(fake: FakeTelegram, http: httpx.AsyncClient) -> None:
    fake.text(USER, "/start")

    response = await http.post("sendMessage", data={"chat_id": str(USER), "text": "  \n "})

    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message text is empty",
    }
    assert fake.violations == ["sendMessage: Bad Request: message text is empty"]


async def test_caption_over_1024_characters_is_refused(fake: FakeTelegram, bot: Bot) -> None:
    fake.text(USER, "/start")

    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_photo(USER, "fake-file-1", caption="c" * 1025)

    assert fake.messages_for(USER) == []


async def test_callback_answer_text_over_200_characters_is_refused(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.text(USER, "/start")
    await bot.send_message(USER, "Chọn", reply_markup=_keyboard("x"))
    query_id = fake.press(USER, "x")["callback_query"]["id"]

    with pytest.raises(TelegramBadRequest):
        await bot.answer_callback_query(query_id, text="t" * 201)
    await bot.answer_callback_query(query_id, text="t" * 200)

    assert [answer["text"] for answer in fake.answered_callbacks] == ["t" * 200]
    assert len(fake.violations) == 1


# -- HTML and Markdown -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<x>tag lạ</x>", 'Unsupported start tag "x"'),
        ("a < b", 'Unsupported start tag ""'),
        ("AT&T", 'Unescaped "&"'),
        ("<b>chưa đóng", 'start tag "b"'),
        ("<b>sai</i>", "Unmatched end tag"),
        ("&nbsp;", 'Unescaped "&"'),
        ('<span class="x">y</span>', "tg-spoiler"),
    ],
)
async def test_bad_html_is_refused(fake: FakeTelegram, bot: Bot, text: str, reason: str) -> None:
    fake.text(USER, "/start")

    with pytest.raises(TelegramBadRequest, match="can't parse entities") as error:
        await bot.send_message(USER, text, parse_mode="HTML")

    assert reason in error.value.message
    assert len(fake.violations) == 1 and reason in fake.violations[0]


async def test_escaped_html_is_accepted_and_texts_for_has_its_plain_text(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.text(USER, "/start")
    user_input = 'a < b & AT&T "trích dẫn" 😀'

    message = await bot.send_message(
        USER,
        f"<b>Kiến nghị:</b> {html.escape(user_input)}\n"
        '<a href="https://example.org/?a=1&amp;b=2">link</a> <tg-spoiler>ẩn</tg-spoiler>',
        parse_mode="HTML",
    )

    expected = f"Kiến nghị: {user_input}\nlink ẩn"
    assert fake.texts_for(USER) == [expected]
    assert message.entities is not None
    kinds = [(e.type, e.offset, e.length) for e in message.entities]
    link_offset = len((expected.split("\n")[0] + "\n").encode("utf-16-le")) // 2
    assert kinds == [
        ("bold", 0, 10),
        ("text_link", link_offset, 4),
        ("spoiler", link_offset + 5, 2),
    ]
    assert message.entities[1].url == "https://example.org/?a=1&b=2"
    assert fake.violations == []


async def test_markdown_v2_requires_reserved_characters_to_be_escaped(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.text(USER, "/start")

    with pytest.raises(TelegramBadRequest, match="reserved"):
        await bot.send_message(USER, "Cảm ơn bạn.", parse_mode="MarkdownV2")
    await bot.send_message(USER, r"*Cảm ơn* bạn\.", parse_mode="MarkdownV2")

    assert fake.texts_for(USER) == ["Cảm ơn bạn."]
    assert fake.messages_for(USER)[0]["entities"] == [{"type": "bold", "offset": 0, "length": 6}]
    assert len(fake.violations) == 1


# -- routing and schema ------------------------------------------------------------------------


async def test_unknown_method_answers_404(fake: FakeTelegram, http: httpx.AsyncClient) -> None:
    response = await http.post("sendMesage", data={"chat_id": "1", "text": "x"})

    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert fake.violations == ["sendMesage: no such Bot API method"]


async def test_wrong_token_answers_401(fake: FakeTelegram) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{fake.base_url}/bot123456:WRONG/getMe")

    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_missing_required_field_answers_400(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    fake.text(USER, "/start")

    response = await http.post("sendPhoto", data={"chat_id": str(USER), "caption": "thiếu ảnh"})

    assert response.status_code == 400
    assert response.json()["description"] == 'Bad Request: parameter "photo" is required'
    assert fake.violations == ['sendPhoto: Bad Request: parameter "photo" is required']


async def test_unknown_parameter_is_refused(fake: FakeTelegram, http: httpx.AsyncClient) -> None:
    fake.text(USER, "/start")

    response = await http.post(
        "sendMessage", data={"chat_id": str(USER), "text": "x", "parse_mod": "HTML"}
    )

    assert response.status_code == 400
    assert 'unknown parameter "parse_mod"' in response.json()["description"]
    assert len(fake.violations) == 1


async def test_parameter_of_the_wrong_type_is_refused(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    fake.text(USER, "/start")

    response = await http.post(
        "sendMessage",
        data={"chat_id": str(USER), "text": "x", "disable_notification": "yes"},
    )

    assert response.status_code == 400
    assert 'parameter "disable_notification" must be Boolean' in response.json()["description"]


async def test_json_bodies_query_strings_and_any_method_case_are_accepted(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    fake.text(USER, "/start")

    by_json = await http.post("SENDMESSAGE", json={"chat_id": USER, "text": "json"})
    by_query = await http.get("sendmessage", params={"chat_id": USER, "text": "query"})

    assert by_json.status_code == 200 and by_json.json()["result"]["text"] == "json"
    assert by_query.status_code == 200 and by_query.json()["ok"] is True
    assert [call["method"] for call in fake.calls] == ["sendMessage", "sendMessage"]
    assert fake.calls[0]["params"] == {"chat_id": USER, "text": "json"}


@pytest.mark.parametrize(
    ("markup", "reason"),
    [
        ({"inline_keyboard": [[{"text": "x"}]]}, "Text buttons are unallowed"),
        (
            {"inline_keyboard": [[{"text": "x", "callback_data": "a", "url": "https://a.vn"}]]},
            "exactly one of",
        ),
        (
            {"inline_keyboard": [[{"text": "x", "callback_dat": "a"}]]},
            'unknown field "callback_dat"',
        ),
        ({"inline_keyboard": [{"text": "x", "callback_data": "a"}]}, "must be an Array"),
        ({"keyboard": [[{"text": "x", "request_contct": True}]]}, 'unknown field "request_contct"'),
        ({"keyboard": [[{"text": 5}]]}, "must be a String"),
        ({"remove_keyboard": "yes"}, "must be a Boolean"),
    ],
)
async def test_reply_markup_is_validated_recursively(
    fake: FakeTelegram, http: httpx.AsyncClient, markup: dict[str, Any], reason: str
) -> None:
    fake.text(USER, "/start")

    response = await http.post(
        "sendMessage", json={"chat_id": USER, "text": "x", "reply_markup": markup}
    )

    assert response.status_code == 400
    assert reason in response.json()["description"]
    assert len(fake.violations) == 1


async def test_updates_built_for_simulated_users_match_the_official_schema(
    fake: FakeTelegram, bot: Bot
) -> None:
    schema = load_schema()
    fake.text(USER, "/start ref_42")
    await bot.send_message(USER, "Chọn", reply_markup=_keyboard("ok"))
    updates = [
        fake.text(USER, "xin chào", language_code="en", first_name="Bình"),
        fake.press(USER, "ok"),
        fake.share_contact(USER, "+84901234567"),
        fake.share_contact(USER, "+84907654321", contact_user_id=OTHER_USER),
        fake.send_location(USER, 21.0285, 105.8542),
        fake.send_photo(USER, caption="ảnh hiện trường"),
        fake.send_document(USER),
        fake.send_voice(USER),
        fake.send_sticker(USER),
    ]

    for update in updates:
        schema.check("Update", update, "update")
        Update.model_validate(update, context={"bot": bot})
    start = (await bot.get_updates())[0].message
    assert start is not None and start.entities is not None
    assert (start.entities[0].type, start.entities[0].offset, start.entities[0].length) == (
        "bot_command",
        0,
        6,
    )
    assert updates[0]["message"]["from"]["language_code"] == "en"
    assert updates[1]["callback_query"]["message"]["text"] == "Chọn"
    assert updates[3]["message"]["contact"]["user_id"] == OTHER_USER
    assert updates[6]["message"]["document"]["mime_type"] == "application/pdf"


async def test_press_refuses_a_button_the_bot_never_sent(fake: FakeTelegram, bot: Bot) -> None:
    fake.text(USER, "/start")
    with pytest.raises(ValueError, match="never sent"):
        fake.press(USER, "a")

    await bot.send_message(USER, "Chọn", reply_markup=_keyboard("a"))

    with pytest.raises(ValueError, match="no button"):
        fake.press(USER, "b")
    assert fake.press(USER, "a")["callback_query"]["data"] == "a"


async def test_editing_a_message_without_changes_is_refused_like_telegram(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.text(USER, "/start")
    message = await bot.send_message(USER, "Bước 1", reply_markup=_keyboard("next"))

    edited = await bot.edit_message_text(
        "Bước 2", chat_id=USER, message_id=message.message_id, reply_markup=_keyboard("next")
    )
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Bước 2", chat_id=USER, message_id=message.message_id, reply_markup=_keyboard("next")
        )

    assert not isinstance(edited, bool) and edited.text == "Bước 2"
    assert fake.texts_for(USER) == ["Bước 1"]  # messages as sent; edits are in fake.sent
    current = fake.current_message(USER, message.message_id)
    assert current is not None and current["text"] == "Bước 2"
    assert fake.press(USER, "next")["callback_query"]["message"]["text"] == "Bước 2"
    assert [entry["method"] for entry in fake.sent] == ["sendMessage", "editMessageText"]


# -- getUpdates ------------------------------------------------------------------------------


async def test_get_updates_offset_confirms_earlier_updates(fake: FakeTelegram, bot: Bot) -> None:
    first = fake.text(USER, "một")
    second = fake.text(USER, "hai")

    everything = await bot.get_updates()
    again = await bot.get_updates()
    after_first = await bot.get_updates(offset=first["update_id"] + 1)
    after_first_again = await bot.get_updates()
    limited = await bot.get_updates(limit=1, offset=-1)

    assert [u.update_id for u in everything] == [first["update_id"], second["update_id"]]
    assert [u.update_id for u in again] == [first["update_id"], second["update_id"]]
    assert [u.update_id for u in after_first] == [second["update_id"]]
    assert [u.update_id for u in after_first_again] == [second["update_id"]]
    assert [u.update_id for u in limited] == [second["update_id"]]


async def test_get_updates_long_poll_waits_for_an_update_or_times_out(
    fake: FakeTelegram, bot: Bot
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await bot.get_updates(timeout=1) == []
    assert loop.time() - started >= 0.9

    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await until_polling(fake)
    assert not poll.done()
    sent = fake.text(USER, "đến rồi")
    updates = await asyncio.wait_for(poll, 15)  # well before the poll's own 30 s

    assert [u.update_id for u in updates] == [sent["update_id"]]


async def test_get_updates_honours_allowed_updates(fake: FakeTelegram, bot: Bot) -> None:
    fake.text(USER, "/start")
    await bot.send_message(USER, "Chọn", reply_markup=_keyboard("a"))
    pressed = fake.press(USER, "a")

    updates = await bot.get_updates(allowed_updates=["callback_query"])

    assert [u.update_id for u in updates] == [pressed["update_id"]]


async def test_a_second_get_updates_terminates_the_first_with_409(fake: FakeTelegram) -> None:
    older, newer = _bot_for(fake), _bot_for(fake)
    try:
        first = asyncio.create_task(older.get_updates(timeout=30))
        await until_polling(fake)
        second = asyncio.create_task(newer.get_updates(timeout=1))

        with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
            await asyncio.wait_for(first, 15)
        assert await asyncio.wait_for(second, 15) == []
    finally:
        await older.session.close()
        await newer.session.close()


# -- webhooks ---------------------------------------------------------------------------------


class _WebhookReceiver:
    """A loopback aiohttp app standing in for the bot's webhook endpoint."""

    def __init__(self, reply: dict[str, Any] | None = None) -> None:
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.reply = reply or {}
        self.url = ""
        self._stack = AsyncExitStack()

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append((dict(request.headers), await request.json()))
        return web.json_response(self.reply)

    async def __aenter__(self) -> _WebhookReceiver:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self.url = await self._stack.enter_async_context(_serve(app)) + "/hook"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._stack.aclose()


@asynccontextmanager
async def _serve(app: web.Application) -> AsyncIterator[str]:
    """Run ``app`` on a free loopback port; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_webhook_delivery_carries_the_secret_token_header(
    fake: FakeTelegram, bot: Bot
) -> None:
    async with _WebhookReceiver() as receiver:
        await bot.set_webhook(receiver.url, secret_token="bi-mat_123")
        update = fake.text(USER, "qua webhook")

        with_secret = await fake.deliver(update)
        without_secret = await fake.deliver(update, secret=None)

    assert with_secret == (200, "{}") and without_secret[0] == 200
    (headers, body), (bare_headers, _) = receiver.requests
    assert headers["X-Telegram-Bot-Api-Secret-Token"] == "bi-mat_123"
    assert "X-Telegram-Bot-Api-Secret-Token" not in bare_headers
    assert body["message"]["text"] == "qua webhook"
    info = await bot.get_webhook_info()
    assert info.url == receiver.url and info.pending_update_count == 0


async def test_a_method_returned_in_the_webhook_reply_is_executed(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.text(USER, "/start")
    reply = {"method": "sendMessage", "chat_id": USER, "text": "trả lời qua webhook"}
    async with _WebhookReceiver(reply) as receiver:
        await bot.set_webhook(receiver.url)
        await fake.deliver(fake.text(USER, "hi"))

    assert fake.texts_for(USER) == ["trả lời qua webhook"]


async def test_get_updates_is_refused_while_a_webhook_is_set(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_webhook("https://cutri.example.org/tg", secret_token="s")

    with pytest.raises(TelegramConflictError, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()

    assert fake.webhook is None
    assert await bot.get_updates() == []


async def test_set_webhook_checks_secret_token_and_url(
    fake: FakeTelegram, http: httpx.AsyncClient
) -> None:
    bad_secret = await http.post(
        "setWebhook", data={"url": "https://a.vn/h", "secret_token": "a b"}
    )
    plain_http = await http.post("setWebhook", data={"url": "http://a.vn/h"})

    assert bad_secret.status_code == 400 and plain_http.status_code == 400
    assert "HTTPS URL must be provided" in plain_http.json()["description"]
    assert fake.webhook is None


# -- failures and limits -----------------------------------------------------------------------


async def test_fail_next_429_includes_retry_after_and_a_send_inside_the_window_is_counted(
    fake: FakeTelegram, bot: Bot, http: httpx.AsyncClient, clock: ManualClock
) -> None:
    fake.text(USER, "/start")
    fake.fail_next("sendMessage", 429, retry_after=2)

    raw = await http.post("sendMessage", data={"chat_id": str(USER), "text": "một"})
    clock.advance(0.1)
    with pytest.raises(TelegramRetryAfter) as too_early:
        await bot.send_message(USER, "hai")

    assert raw.status_code == 429
    assert raw.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 2",
        "parameters": {"retry_after": 2},
    }
    assert too_early.value.retry_after == 2
    assert fake.retry_window_violations == 1
    assert fake.rate_limited_count == 2
    assert fake.messages_for(USER) == []


async def test_a_send_after_retry_after_has_elapsed_is_not_counted(
    fake: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    fake.text(USER, "/start")
    fake.text(OTHER_USER, "/start")
    fake.fail_next("sendMessage", 429, retry_after=1)

    with pytest.raises(TelegramRetryAfter) as error:
        await bot.send_message(USER, "một")
    await bot.send_message(OTHER_USER, "chat khác không bị chặn")
    clock.advance(error.value.retry_after)
    await bot.send_message(USER, "một")

    assert fake.retry_window_violations == 0
    assert fake.texts_for(USER) == ["một"]


async def test_fail_next_server_error_fails_only_the_given_number_of_calls(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.text(USER, "/start")
    fake.fail_next("sendMessage", 502, times=2)

    for _ in range(2):
        with pytest.raises(TelegramServerError, match="Bad Gateway"):
            await bot.send_message(USER, "x")
    await bot.send_message(USER, "x")

    assert [call["status"] for call in fake.calls] == [502, 502, 200]
    assert fake.violations == []


async def test_block_gives_403(fake: FakeTelegram, bot: Bot) -> None:
    fake.text(USER, "/start")
    await bot.send_message(USER, "trước khi chặn")
    fake.block(USER)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "sau khi chặn")
    with pytest.raises(TelegramForbiddenError):
        await bot.send_chat_action(USER, "typing")

    assert fake.texts_for(USER) == ["trước khi chặn"]
    assert fake.calls[-1]["status"] == 403


async def test_per_chat_rate_limit_answers_429_when_exceeded(clock: ManualClock) -> None:
    async with FakeTelegram(rate_limits=True, per_chat_rate=1.0, global_rate=1000,
                            clock=clock) as fake:
        bot = _bot_for(fake)
        try:
            fake.text(USER, "/start")
            fake.text(OTHER_USER, "/start")
            for index in range(3):  # the tolerated burst
                await bot.send_message(USER, f"tin {index}")
            with pytest.raises(TelegramRetryAfter) as error:
                await bot.send_message(USER, "quá nhanh")
            await bot.send_message(OTHER_USER, "chat khác vẫn được gửi")
            clock.advance(0.1)
            with pytest.raises(TelegramRetryAfter):
                await bot.send_message(USER, "vẫn chưa chờ")
        finally:
            await bot.session.close()

    assert error.value.retry_after >= 1
    assert fake.rate_limited_count == 2
    assert fake.retry_window_violations == 1
    assert len(fake.texts_for(USER)) == 3


async def test_global_rate_limit_answers_429_when_exceeded(clock: ManualClock) -> None:
    async with FakeTelegram(rate_limits=True, global_rate=5, per_chat_rate=100,
                            clock=clock) as fake:
        bot = _bot_for(fake)
        try:
            users = range(8001, 8007)
            for user in users:
                fake.text(user, "/start")
            outcomes = await asyncio.gather(
                *(bot.send_message(user, "thông báo") for user in users), return_exceptions=True
            )
        finally:
            await bot.session.close()

    refused = [o for o in outcomes if isinstance(o, TelegramRetryAfter)]
    assert len(refused) == 1 and refused[0].retry_after >= 1
    assert fake.rate_limited_count == 1
    assert sum(len(fake.messages_for(user)) for user in users) == 5


async def test_the_fake_takes_hundreds_of_sends_at_once(fake: FakeTelegram, bot: Bot) -> None:
    # How fast it does so is for the benchmarks to report: a test asserts no speed.
    users = range(9000, 9050)
    for user in users:
        fake.text(user, "/start")

    await asyncio.gather(
        *(
            bot.send_message(user, f"<b>tin {n}</b>", parse_mode="HTML")
            for user in users
            for n in range(10)
        )
    )

    assert len(fake.sent) == 500 and fake.violations == []


# -- commands, callbacks, helpers -------------------------------------------------------------


async def test_set_my_commands_is_stored_by_scope_and_language(
    fake: FakeTelegram, bot: Bot
) -> None:
    await bot.set_my_commands([BotCommand(command="start", description="Bắt đầu")])
    await bot.set_my_commands(
        [BotCommand(command="kien_nghi", description="Gửi kiến nghị")],
        scope=BotCommandScopeAllPrivateChats(),
        language_code="vi",
    )
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Kiến-nghị", description="x")])

    assert fake.commands == {
        ("default", ""): [{"command": "start", "description": "Bắt đầu"}],
        ("all_private_chats", "vi"): [{"command": "kien_nghi", "description": "Gửi kiến nghị"}],
    }
    assert await bot.get_my_commands(language_code="vi") == []
    assert len(fake.violations) == 1


async def test_callback_answers_are_recorded_and_unknown_ids_refused(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.text(USER, "/start")
    await bot.send_message(USER, "Chọn", reply_markup=_keyboard("yes"))
    query = fake.press(USER, "yes")["callback_query"]

    assert await bot.answer_callback_query(query["id"], text="Đã nhận") is True
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await bot.answer_callback_query("123")

    assert fake.answered_callbacks == [{"callback_query_id": query["id"], "text": "Đã nhận"}]


async def test_wait_for_returns_messages_and_reports_what_arrived_on_timeout(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.text(USER, "/start")

    async def reply_later() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(USER, "trả lời")

    task = asyncio.create_task(reply_later())
    messages = await fake.wait_for(USER, 1, timeout=15)
    await task

    assert [m["text"] for m in messages] == ["trả lời"]
    with pytest.raises(AssertionError, match=r"expected 2 message.*trả lời"):
        await fake.wait_for(USER, 2, timeout=0.2)


# -- a real aiogram bot, unchanged ---------------------------------------------------------------


def _demo_router() -> Router:
    router = Router()

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer(
            "Chào <b>bạn</b>! Chọn:", parse_mode="HTML", reply_markup=_keyboard("ok")
        )

    @router.callback_query(F.data == "ok")
    async def chosen(query: CallbackQuery) -> None:
        await query.answer("Đã nhận")
        assert isinstance(query.message, Message)
        await query.message.edit_text("Xong")

    @router.message(F.text)
    async def echo(message: Message) -> SendMessage:
        return message.answer(f"Bạn nói: {message.text}")

    return router


async def test_an_aiogram_dispatcher_polls_and_replies_through_the_fake(
    fake: FakeTelegram, bot: Bot
) -> None:
    dispatcher = Dispatcher()
    dispatcher.include_router(_demo_router())
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot, polling_timeout=1, handle_signals=False, close_bot_session=False
        )
    )
    try:
        fake.text(USER, "/start")
        (greeting,) = await fake.wait_for(USER, 1, timeout=5)
        fake.press(USER, "ok")
        await fake.wait_for_call("answerCallbackQuery", timeout=5)
        await fake.wait_for_call("editMessageText", timeout=5)
    finally:
        await dispatcher.stop_polling()
        await polling

    assert greeting["text"] == "Chào bạn! Chọn:"
    assert greeting["entities"] == [{"type": "bold", "offset": 5, "length": 3}]
    assert fake.answered_callbacks[0]["text"] == "Đã nhận"
    edited = fake.current_message(USER, greeting["message_id"])
    assert edited is not None and edited["text"] == "Xong" and "reply_markup" not in edited
    assert fake.violations == []


async def test_aiogram_webhook_handler_checks_the_secret_and_its_reply_is_executed(
    fake: FakeTelegram, bot: Bot
) -> None:
    dispatcher = Dispatcher()
    dispatcher.include_router(_demo_router())
    app = web.Application()
    SimpleRequestHandler(
        dispatcher, bot, secret_token="bi-mat", handle_in_background=False
    ).register(app, path="/tg")

    async with _serve(app) as base:
        await bot.set_webhook(f"{base}/tg", secret_token="bi-mat")
        refused = await fake.deliver(fake.text(USER, "sai bí mật"), secret="khac")
        accepted = await fake.deliver(fake.text(USER, "xin chào"))

    assert refused[0] == 401
    assert accepted[0] == 200
    # aiogram answered with a multipart sendMessage in the webhook response body.
    assert fake.texts_for(USER) == ["Bạn nói: xin chào"]
    assert fake.violations == []


# -- broadcast scale: many chats, outages, statistics ---------------------------------------------


async def test_remembered_chats_can_be_written_to_without_any_update_being_queued(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.remember_chats(range(50_000, 51_000))

    updates = await bot.get_updates(timeout=0)
    await bot.send_message(50_999, "thông báo")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(51_000, "chưa từng nhắn bot")

    assert updates == []
    assert fake.texts_for(50_999) == ["thông báo"]


async def test_fail_for_answers_every_call_of_the_method_until_the_time_has_passed(
    fake: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    fake.text(USER, "/start")
    fake.fail_for("sendMessage", 503, 0.5)

    for _ in range(5):
        with pytest.raises(TelegramServerError, match="Service Unavailable"):
            await bot.send_message(USER, "trong lúc sự cố")
    other_method = await bot.get_me()
    clock.advance(0.5)
    await bot.send_message(USER, "sau sự cố")

    assert other_method.username == "cutri_test_bot"
    assert [c["status"] for c in fake.calls if c["method"] == "sendMessage"] == [503] * 5 + [200]
    assert fake.texts_for(USER) == ["sau sự cố"]


async def test_fail_for_429_gives_the_time_left_as_retry_after_and_opens_a_retry_window(
    fake: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    fake.text(USER, "/start")
    fake.fail_for("sendMessage", 429, 1.5)

    with pytest.raises(TelegramRetryAfter) as first:
        await bot.send_message(USER, "một")
    clock.advance(0.1)  # past the grace for requests already in flight
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(USER, "không chờ")

    assert first.value.retry_after == 2  # 1.5 s left, rounded up like Telegram's whole seconds
    assert fake.rate_limited_count == 2
    assert fake.retry_window_violations == 1


async def test_stats_sum_up_the_sends_and_are_served_over_http_with_chat_registration(
    fake: FakeTelegram, bot: Bot, clock: ManualClock
) -> None:
    async with httpx.AsyncClient(base_url=fake.base_url) as control:
        registered = await control.post("/_fake/chats", json=[60_001, 60_002, 60_003])
        refused = await control.post("/_fake/chats", json={"not": "a list"})
        fake.fail_next("sendMessage", 502)
        with pytest.raises(TelegramServerError):
            await bot.send_message(60_001, "lỗi máy chủ")
        for chat in (60_001, 60_002, 60_002):
            await bot.send_message(chat, "thông báo")
        clock.advance(0.2)  # a stall the summary reports as a pause
        await bot.send_message(60_003, "thông báo")
        summary = (await control.get("/_fake/stats")).json()
        detailed = (await control.get("/_fake/stats", params={"per_chat": "1"})).json()

    assert registered.status_code == 200 and registered.json()["chats"] == 3
    assert refused.status_code == 400
    assert summary["sent"] == 4 and summary["chats_reached"] == 3
    assert summary["pauses"]["count"] == 1 and summary["pauses"]["longest"] == pytest.approx(0.2)
    assert summary["failed_calls"] == {"502": 1}
    assert summary["rate_limited"] == 0 and summary["violations"] == 0
    assert summary["first_send_at"] <= summary["last_send_at"]
    assert "per_chat" not in summary
    assert detailed["per_chat"] == {"60001": 1, "60002": 2, "60003": 1}
    assert detailed == fake.stats(per_chat=True)  # HTTP serves the in-process summary
