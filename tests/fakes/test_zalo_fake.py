"""Tests of the fake Zalo Bot API: it must hold the bot to what the real service accepts."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from tests.fakes.clock import ManualClock
from tests.fakes.zalo import SECRET_HEADER, FakeZalo, new_user_id

SECRET = "s3cret-token-for-tests"


@pytest.fixture
async def fake() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as server:
        yield server


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        yield http


async def call(
    client: httpx.AsyncClient, fake: FakeZalo, method: str, **params: Any
) -> tuple[int, dict[str, Any]]:
    response = await client.post(f"{fake.api_url}/{method}", json=params)
    return response.status_code, response.json()


class WebhookReceiver:
    """A bot-side aiohttp webhook that records what Zalo posts to it."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        if request.headers.get(SECRET_HEADER) != SECRET:
            return web.Response(status=401, text="bad secret")
        return web.Response(text="ok")

    async def __aenter__(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/zalo/webhook", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/zalo/webhook"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


# ---------------------------------------------------------------- getMe and transport


async def test_get_me_describes_the_bot_with_an_opaque_hex_id(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    status, body = await call(client, fake, "getMe")
    assert status == 200
    assert body == {
        "ok": True,
        "result": {
            "id": fake.bot_id,
            "account_name": "bot.cutri",
            "account_type": "BASIC",
            "can_join_groups": False,
        },
    }
    int(fake.bot_id, 16)
    assert fake.violations == []


async def test_parameters_are_read_from_query_form_json_and_multipart_as_utf8(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    user = new_user_id()
    fake.text(user, "Xin chào")
    url = f"{fake.api_url}/sendMessage"
    responses = [
        await client.get(url, params={"chat_id": user, "text": "một"}),
        await client.post(url, data={"chat_id": user, "text": "hai"}),
        await client.post(url, json={"chat_id": user, "text": "ba"}),
        await client.post(url, files={"chat_id": (None, user), "text": (None, "bốn")}),
    ]
    assert [r.json()["ok"] for r in responses] == [True] * 4
    assert fake.texts_for(user) == ["một", "hai", "ba", "bốn"]
    assert fake.violations == []


async def test_method_names_are_case_sensitive(fake: FakeZalo, client: httpx.AsyncClient) -> None:
    user = new_user_id()
    fake.text(user, "hi")
    status, body = await call(client, fake, "sendmessage", chat_id=user, text="hello")
    assert status == 404
    assert body["ok"] is False
    assert body["error_code"] == 400
    assert "sendmessage" in body["description"]
    assert fake.sent == []
    assert len(fake.violations) == 1


async def test_a_wrong_token_is_refused_with_401(fake: FakeZalo, client: httpx.AsyncClient) -> None:
    response = await client.get(f"{fake.base_url}/bot1234567890:wrong/getMe")
    assert response.status_code == 401
    body = response.json()
    assert body["ok"] is False
    assert body["error_code"] == 401
    assert body["description"]
    assert fake.violations


async def test_unknown_parameters_are_reported_but_the_message_goes_out(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    user = new_user_id()
    fake.text(user, "hi")
    _, body = await call(client, fake, "sendMessage", chat_id=user, text="hello", reply_markup="{}")
    assert body["ok"] is True
    assert fake.texts_for(user) == ["hello"]
    assert len(fake.violations) == 1
    assert "reply_markup" in fake.violations[0]


# ---------------------------------------------------------------- getUpdates


async def test_get_updates_hands_out_one_wrapped_update_then_answers_408_after_the_timeout(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    user = new_user_id()
    update = fake.text(user, "Xin chào", display_name="Ted")

    status, body = await call(client, fake, "getUpdates", timeout=1)
    assert status == 200
    assert body == {"ok": True, "result": update}
    message = body["result"]["message"]
    assert body["result"]["event_name"] == "message.text.received"
    assert "update_id" not in body["result"]
    assert message["from"] == {"id": user, "display_name": "Ted", "is_bot": False}
    assert message["chat"] == {"id": user, "chat_type": "PRIVATE"}
    assert isinstance(message["message_id"], str)
    assert message["date"] > 1_600_000_000_000  # milliseconds, not seconds

    started = time.monotonic()
    status, body = await call(client, fake, "getUpdates", timeout=1)
    elapsed = time.monotonic() - started
    assert body["ok"] is False
    assert body["error_code"] == 408
    assert elapsed >= 0.9  # it waited out its timeout (how much longer depends on the load)
    assert fake.violations == []


async def test_updates_handed_out_are_gone(fake: FakeZalo, client: httpx.AsyncClient) -> None:
    user = new_user_id()
    first = fake.text(user, "một")
    second = fake.text(user, "hai")
    _, body1 = await call(client, fake, "getUpdates", timeout=1, offset=5)
    _, body2 = await call(client, fake, "getUpdates", timeout=1)
    _, body3 = await call(client, fake, "getUpdates", timeout=0)
    assert body1["result"] == first
    assert body2["result"] == second
    assert body3["error_code"] == 408
    assert fake.pending_updates == 0
    # There is no offset in Zalo's getUpdates: sending one is a mistake worth reporting.
    assert len(fake.violations) == 1
    assert "offset" in fake.violations[0]


async def until_polling(fake: FakeZalo) -> None:
    """Until a long poll waits inside the fake: a sleep would guess, and guess short under load."""
    async with asyncio.timeout(15):
        await fake.poll_waiting.wait()


async def test_a_long_poll_wakes_up_as_soon_as_a_user_writes(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    user = new_user_id()
    poll = asyncio.create_task(call(client, fake, "getUpdates", timeout=60))
    await until_polling(fake)
    assert not poll.done()
    update = fake.text(user, "đây")
    _, body = await asyncio.wait_for(poll, 8)  # well before the poll's own 60 s
    assert body["result"] == update


async def test_stopping_the_fake_ends_a_pending_long_poll_quickly(
    client: httpx.AsyncClient,
) -> None:
    server = FakeZalo()
    await server.start()
    poll = asyncio.create_task(call(client, server, "getUpdates", timeout=60))
    await until_polling(server)
    async with asyncio.timeout(8):  # well before the poll's own 60 s
        await server.stop()
        _, body = await poll
    assert body["error_code"] == 408


async def test_each_builder_makes_the_update_real_traffic_carries(fake: FakeZalo) -> None:
    user = new_user_id()
    image = fake.image(user, "https://media.zalo.test/a.jpg", caption="ảnh")
    sticker = fake.sticker(user)
    voice = fake.voice(user)
    unsupported = fake.unsupported(user)
    echo = fake.echo_of_bot("bot said this", chat_id=user)

    assert image["event_name"] == "message.image.received"
    assert image["message"]["photo_url"] == "https://media.zalo.test/a.jpg"
    assert image["message"]["caption"] == "ảnh"
    assert sticker["event_name"] == "message.sticker.received"
    assert {"sticker", "url"} <= sticker["message"].keys()
    assert voice["event_name"] == "message.voice.received"
    assert voice["message"]["voice_url"].endswith(".aac")
    assert unsupported["event_name"] == "message.unsupported.received"
    assert set(unsupported["message"]) == {"from", "chat", "message_id", "date"}
    assert echo["message"]["from"]["id"] == fake.bot_id
    assert len(user) == 20
    assert fake.pending_updates == 5


# ---------------------------------------------------------------- sending


async def test_send_message_accepts_2000_characters_and_refuses_2001(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    user = new_user_id()
    fake.text(user, "hi")
    # Vietnamese letters are several UTF-8 bytes each: the limit is on characters.
    _, ok = await call(client, fake, "sendMessage", chat_id=user, text="ệ" * 2000)
    assert ok["ok"] is True
    assert isinstance(ok["result"]["message_id"], str)
    assert isinstance(ok["result"]["date"], int)
    assert fake.violations == []

    status, refused = await call(client, fake, "sendMessage", chat_id=user, text="ệ" * 2001)
    assert status == 200  # Zalo's 2xx is not success: the bot must read ok
    assert refused["ok"] is False
    assert refused["error_code"] == 400
    assert len(fake.sent) == 1
    assert len(fake.violations) == 1


async def test_an_empty_text_and_an_unknown_parse_mode_are_refused(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    user = new_user_id()
    fake.text(user, "hi")
    _, empty = await call(client, fake, "sendMessage", chat_id=user, text="")
    _, mode = await call(client, fake, "sendMessage", chat_id=user, text="x", parse_mode="HTML")
    _, html = await call(
        client, fake, "sendMessage", chat_id=user, text="<b>x</b>", parse_mode="html"
    )
    assert (empty["error_code"], mode["error_code"]) == (400, 400)
    assert html["ok"] is True
    assert len(fake.violations) == 2


async def test_a_chat_that_never_wrote_to_the_bot_cannot_be_messaged(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    stranger = new_user_id()
    _, body = await call(client, fake, "sendMessage", chat_id=stranger, text="hello")
    assert body["ok"] is False
    assert body["error_code"] == 400
    assert fake.sent == []
    assert len(fake.violations) == 1
    assert stranger in fake.violations[0]


async def test_photo_sticker_voice_and_typing_follow_the_documented_parameters(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    user = new_user_id()
    fake.text(user, "hi")
    good = [
        await call(
            client, fake, "sendPhoto", chat_id=user, photo="https://x.test/a.png", caption="c"
        ),
        await call(client, fake, "sendSticker", chat_id=user, sticker="bfe458bf64fa8da4d4eb"),
        await call(client, fake, "sendVoice", chat_id=user, voice_url="https://x.test/v.aac?sig=1"),
        await call(client, fake, "sendChatAction", chat_id=user, action="typing"),
    ]
    assert [body["ok"] for _, body in good] == [True] * 4
    assert good[3][1]["result"] is True
    assert [m["method"] for m in fake.messages_for(user)] == [
        "sendPhoto",
        "sendSticker",
        "sendVoice",
    ]
    assert fake.texts_for(user) == ["c", "", ""]
    assert fake.violations == []

    bad = [
        await call(
            client,
            fake,
            "sendPhoto",
            chat_id=user,
            photo="https://x.test/a.png",
            caption="c" * 2001,
        ),
        await call(client, fake, "sendPhoto", chat_id=user, photo="not a url"),
        await call(client, fake, "sendVoice", chat_id=user, voice_url="https://x.test/v.mp3"),
        await call(client, fake, "sendChatAction", chat_id=user, action="upload_photo"),
    ]
    assert [body["error_code"] for _, body in bad] == [400] * 4
    assert len(fake.violations) == 4


async def test_wait_for_returns_when_messages_arrive_and_lists_them_on_timeout(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    user = new_user_id()
    fake.text(user, "hi")
    waiter = asyncio.create_task(fake.wait_for(user, 2, timeout=5))
    await call(client, fake, "sendMessage", chat_id=user, text="một")
    await call(client, fake, "sendMessage", chat_id=user, text="hai")
    messages = await waiter
    assert [m["params"]["text"] for m in messages] == ["một", "hai"]

    with pytest.raises(AssertionError, match="got 2: \\['một', 'hai'\\]"):
        await fake.wait_for(user, 3, timeout=0.2)


# ---------------------------------------------------------------- webhook


async def test_while_a_webhook_is_set_get_updates_is_refused(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    _, body = await call(
        client, fake, "setWebhook", url="https://bot.example.vn/zalo", secret_token=SECRET
    )
    assert body["ok"] is True
    assert body["result"]["url"] == "https://bot.example.vn/zalo"

    _, info = await call(client, fake, "getWebhookInfo")
    assert info["result"]["url"] == "https://bot.example.vn/zalo"
    assert SECRET not in str(info)

    _, refused = await call(client, fake, "getUpdates", timeout=1)
    assert refused["ok"] is False
    assert refused["error_code"] == 400
    assert len(fake.violations) == 1

    await call(client, fake, "deleteWebhook")
    fake.text(new_user_id(), "hi")
    _, polled = await call(client, fake, "getUpdates", timeout=1)
    assert polled["ok"] is True


async def test_set_webhook_needs_https_or_loopback_and_a_secret_of_8_to_256_characters(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    refused = [
        await call(client, fake, "setWebhook", url="https://bot.example.vn/zalo"),
        await call(
            client, fake, "setWebhook", url="https://bot.example.vn/zalo", secret_token="short"
        ),
        await call(client, fake, "setWebhook", url="https://b.vn/z", secret_token="x" * 257),
        await call(
            client, fake, "setWebhook", url="http://bot.example.vn/zalo", secret_token=SECRET
        ),
    ]
    assert [body["error_code"] for _, body in refused] == [400] * 4
    assert fake.webhook is None
    assert len(fake.violations) == 4

    _, ok = await call(
        client, fake, "setWebhook", url="http://127.0.0.1:9/zalo", secret_token="x" * 256
    )
    assert ok["ok"] is True
    assert fake.webhook is not None
    assert fake.webhook["secret_token"] == "x" * 256


async def test_deliver_reaches_an_aiohttp_webhook_with_the_secret_header_flat_and_wrapped(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    async with WebhookReceiver() as receiver:
        await call(client, fake, "setWebhook", url=receiver.url, secret_token=SECRET)
        user = new_user_id()
        update = fake.text(user, "Xin chào")
        assert fake.pending_updates == 0  # with a webhook set, updates are pushed, not polled

        assert await fake.deliver(update) == (200, "ok")
        assert await fake.deliver(update, wrapped=True) == (200, "ok")
        assert (await fake.deliver(update, secret="wrong-secret"))[0] == 401
        assert (await fake.deliver(update, secret=None))[0] == 401
        assert await fake.probe_webhook() == (200, "ok")

    (flat_headers, flat_body), (wrapped_headers, wrapped_body) = receiver.received[:2]
    assert flat_headers[SECRET_HEADER] == SECRET
    assert wrapped_headers[SECRET_HEADER] == SECRET
    assert json.loads(flat_body) == update
    assert json.loads(wrapped_body) == {"ok": True, "result": update}
    assert "Xin chào".encode() in flat_body
    assert SECRET_HEADER not in receiver.received[3][0]
    assert receiver.received[4][1] == b""
    assert [d["status"] for d in fake.deliveries] == [200, 200, 401, 401]


# ---------------------------------------------------------------- failures and limits


async def test_fail_next_makes_the_next_calls_fail_then_lets_them_through(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    user = new_user_id()
    fake.text(user, "hi")
    fake.fail_next("sendMessage", 503, times=2)
    fake.fail_next("getMe", 400, description="Bad Request: flaky")

    first = await call(client, fake, "sendMessage", chat_id=user, text="1")
    second = await call(client, fake, "sendMessage", chat_id=user, text="2")
    third = await call(client, fake, "sendMessage", chat_id=user, text="3")
    _, me = await call(client, fake, "getMe")

    assert first[0] == second[0] == 503
    assert first[1]["error_code"] == second[1]["error_code"] == 503
    assert third[1]["ok"] is True
    assert me == {"ok": False, "error_code": 400, "description": "Bad Request: flaky"}
    assert fake.texts_for(user) == ["3"]
    assert fake.violations == []  # injected failures are not the bot's fault
    with pytest.raises(ValueError, match="sendmessage"):
        fake.fail_next("sendmessage", 500)


async def test_a_user_who_blocked_the_bot_gets_nothing_and_the_bot_sees_403(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    user, other = new_user_id(), new_user_id()
    fake.text(user, "hi")
    fake.text(other, "hi")
    fake.block(user)
    _, blocked = await call(client, fake, "sendMessage", chat_id=user, text="hello")
    _, typing = await call(client, fake, "sendChatAction", chat_id=user, action="typing")
    _, delivered = await call(client, fake, "sendMessage", chat_id=other, text="hello")
    assert blocked["ok"] is False
    assert blocked["error_code"] == 403
    assert typing["error_code"] == 403
    assert delivered["ok"] is True
    assert fake.messages_for(user) == []
    assert fake.violations == []


async def test_the_rate_limit_answers_429_and_counts_sends_inside_the_retry_window(
    client: httpx.AsyncClient,
) -> None:
    clock = ManualClock()
    async with FakeZalo(rate_limit=2, clock=clock) as fake:
        user = new_user_id()
        fake.text(user, "hi")
        burst = [
            (await call(client, fake, "sendMessage", chat_id=user, text=str(i)))[1]
            for i in range(4)
        ]
        assert [b["ok"] for b in burst] == [True, True, False, False]
        assert burst[2]["error_code"] == 429
        assert "retry_after" not in str(burst[2])
        assert fake.rate_limited_count == 2
        # The fourth send came right after the first 429.
        assert fake.retry_window_violations == 1

        clock.advance(1.1)
        _, later = await call(client, fake, "sendMessage", chat_id=user, text="later")
        assert later["ok"] is True
        assert fake.retry_window_violations == 1
        assert fake.texts_for(user) == ["0", "1", "later"]
        assert fake.violations == []


async def test_calls_are_recorded_with_method_params_and_status(
    fake: FakeZalo, client: httpx.AsyncClient
) -> None:
    await call(client, fake, "getMe")
    await call(client, fake, "getUpdates", timeout=0)
    assert [(c["method"], c["status"]) for c in fake.calls] == [("getMe", 200), ("getUpdates", 408)]
    assert fake.calls[1]["params"] == {"timeout": 0}
    assert fake.calls[0]["time"] <= fake.calls[1]["time"]
