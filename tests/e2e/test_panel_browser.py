"""The office at a desk: a real Chromium signs in through the bot's link and works a petition.

Playwright drives Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/browser.sh`)
against the real `cutri run` process and the fake Telegram server. Screenshots of each page at
a phone's width and an office screen's are written to `var/screenshots/` for a reviewer.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.dialogue import onboard, step
from tests.e2e.picture import road_photo
from tests.e2e.process import ROOT, BotProcess
from tests.e2e.test_petition import AGENCY, CITIZEN, CONTENT, OFFICE, new_bot
from tests.fakes.telegram import FakeTelegram

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = ROOT / "var" / "screenshots"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
ANSWER = "Xã đã khảo sát, tháng 12/2026 sẽ nâng nền đoạn đường này."

playwright_api = pytest.importorskip("playwright.async_api",
                                     reason="the playwright package is not installed")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed here (.ci/browser.sh installs it in CI)")


async def send_petition_with_photo(bot: BotProcess, telegram: FakeTelegram) -> str:
    await step(bot, telegram, CITIZEN, press="Gửi kiến nghị")
    await step(bot, telegram, CITIZEN, press="Giao thông")
    await step(bot, telegram, CITIZEN, text=CONTENT)
    had = len(telegram.messages_for(CITIZEN))
    photo = telegram.send_photo(CITIZEN, image=road_photo())
    await telegram.wait_for(CITIZEN, had + 1)
    await bot.until_handled("telegram", photo["update_id"])
    await step(bot, telegram, CITIZEN, press="Xong")
    await step(bot, telegram, CITIZEN, text="Đầu cầu Tân Dân, tổ 3")
    await step(bot, telegram, CITIZEN, press="giấu tên")
    await step(bot, telegram, CITIZEN, press="✅ Gửi")
    receipt = telegram.texts_for(CITIZEN)[-1]
    return "KN-" + receipt.split("KN-", 1)[1][:10]


async def test_the_office_signs_in_by_the_bots_link_and_answers_a_petition_in_chromium(
    tmp_path: Path,
) -> None:
    # Only this test's own shots: other browser tests write theirs beside them.
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("[0-9]-*.png"):
        old.unlink()
    async with FakeTelegram() as telegram:
        bot = new_bot(tmp_path, telegram)
        bot.cli("admin", "create", "--commune", "tan-thuan-tay", "--telegram", str(OFFICE))
        await bot.start()
        try:
            await onboard(bot, telegram, CITIZEN)
            await onboard(bot, telegram, OFFICE)
            code = await send_petition_with_photo(bot, telegram)
            link = await sign_in_link(bot, telegram)
            async with chromium() as browser:
                await work_the_petition(bot, telegram, browser, link, code)
            answer = telegram.texts_for(CITIZEN)[-1]
            assert ANSWER in answer and code in answer
            assert telegram.violations == []
        finally:
            await bot.stop()
        bot.assert_clean_log(CONTENT, ANSWER, link.rsplit("/", 1)[1])
    print(f"\nscreenshots: {SHOTS}")


async def sign_in_link(bot: BotProcess, telegram: FakeTelegram) -> str:
    """The office asks the bot for the web panel: the one-time link it sends."""
    await step(bot, telegram, OFFICE, text="/panel")
    found = re.search(r"http://\S+/panel/sign-in/\S+", telegram.texts_for(OFFICE)[-1])
    assert found is not None
    return found.group(0)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, driven by Playwright."""
    async with playwright_api.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield browser
        finally:
            await browser.close()


async def work_the_petition(bot: BotProcess, telegram: FakeTelegram, browser: Browser,
                            link: str, code: str) -> None:
    context = await browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = await context.new_page()
    await page.goto(link)
    await shoot(page, context, browser, "1-sign-in")
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url(re.compile(r"/panel/$"))
    assert await page.locator(".tile strong").first.inner_text() == "1"  # one new petition
    await shoot(page, context, browser, "2-overview")
    await page.get_by_role("link", name="Kiến nghị", exact=True).click()
    await page.wait_for_url(re.compile(r"/panel/petitions$"))
    assert await page.get_by_role("link", name=code).count() == 1
    await shoot(page, context, browser, "3-petitions")
    choose_all = page.get_by_label("Chọn mọi kiến nghị trên trang này")
    await choose_all.check()  # the page's script shows it, and it ticks every row
    ticked = page.locator('input[name="id"]')
    assert await ticked.count() >= 1
    assert all([await ticked.nth(n).is_checked() for n in range(await ticked.count())])
    await choose_all.uncheck()

    await page.get_by_role("link", name=code).click()
    await page.wait_for_url(re.compile(r"/panel/petitions/\d+$"))
    photo = page.locator(".attachments img").first
    await photo.wait_for()
    await page.wait_for_function("document.querySelector('.attachments img').complete")
    assert await photo.evaluate("img => img.naturalWidth") == 480  # the citizen's photo
    opened = await page.request.get(await photo.evaluate("img => img.src"))
    assert opened.status == 200 and opened.headers["content-type"] == "image/png"
    await shoot(page, context, browser, "4-petition")

    await page.get_by_label("Lĩnh vực").select_option(label="Giao thông, xây dựng, thủy lợi")
    await page.get_by_role("button", name="Phân loại").click()
    await page.get_by_text("Đã lưu").wait_for()
    await page.get_by_label("Cơ quan").select_option(label=AGENCY)
    await page.get_by_role("button", name="Chuyển", exact=True).click()
    await page.get_by_text("Đã lưu").wait_for()
    assert await page.get_by_text("Đã chuyển cơ quan giải quyết").count() >= 1
    had = len(telegram.messages_for(CITIZEN))
    await page.get_by_label("Nội dung trả lời").fill(ANSWER)
    await page.get_by_role("button", name="Gửi trả lời").click()
    await page.get_by_text("Đã lưu").wait_for()
    await shoot(page, context, browser, "5-answered")
    await telegram.wait_for(CITIZEN, had + 1)
    await context.close()


async def shoot(page: Page, context: BrowserContext, browser: Browser, name: str) -> None:
    """The page as the office sees it on a desk's screen, and on a phone."""
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
    phone = await browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True,
                                      device_scale_factor=2)
    await phone.add_cookies(await context.cookies())  # type: ignore[arg-type]
    small = await phone.new_page()
    await small.goto(page.url, wait_until="networkidle")
    await small.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    await phone.close()
