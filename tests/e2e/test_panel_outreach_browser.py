"""The office at a desk and at the door: an announcement sent from the panel in Chromium reaches
every villager on the fake Telegram server and ends in its final report; a household is checked
in at the dialogue's door on a phone.

Like test_panel_browser.py: Playwright drives Debian's Chromium against the real `cutri run`;
screenshots (phone and desktop) go to `var/screenshots/`, named `outreach-*`.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from tests.e2e.dialogue import onboard, open_poverty_dialogue, step
from tests.e2e.process import BotProcess
from tests.e2e.test_panel_browser import (
    DESKTOP,
    PHONE,
    SHOTS,
    chromium,
    pytestmark,
    shoot,
    sign_in_link,
)
from tests.e2e.test_petition import CITIZEN, OFFICE, new_bot
from tests.fakes.telegram import FakeTelegram

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

__all__ = ["pytestmark"]  # skipped, as the petition's browser test, without Chromium

HOUSEHOLD = 870009
ANNOUNCEMENT = 'Lịch tiêm chủng <sáng thứ Bảy> tại trạm y tế & nhà văn hóa "ấp Tân Dân" 💉'
HOUSEHOLD_NAME = "Nguyễn Thị Hai"


async def open_a_dialogue_with_one_household(bot: BotProcess, telegram: FakeTelegram) -> str:
    """The office opens a dialogue in the chat and a household registers; its door code."""
    await open_poverty_dialogue(bot, telegram, OFFICE)
    await step(bot, telegram, HOUSEHOLD, press="Đăng ký đối thoại")
    await step(bot, telegram, HOUSEHOLD, press="Đối thoại chính sách")
    await step(bot, telegram, HOUSEHOLD, press="Có, tôi đồng ý")
    await step(bot, telegram, HOUSEHOLD, text=HOUSEHOLD_NAME)
    await step(bot, telegram, HOUSEHOLD, press="Tân Dân")
    await step(bot, telegram, HOUSEHOLD, press="Hộ cận nghèo")
    await step(bot, telegram, HOUSEHOLD, press="Vay vốn")
    await step(bot, telegram, HOUSEHOLD, press="Xong")
    await step(bot, telegram, HOUSEHOLD, text="Xin vay vốn mua máy cày")
    await step(bot, telegram, HOUSEHOLD, press="Đăng ký")
    with sqlite3.connect(bot.workdir / "cutri.db") as connection:
        (code,) = connection.execute("SELECT checkin_code FROM registrations").fetchone()
    return str(code)


async def test_an_announcement_sent_in_chromium_reaches_everyone_and_a_household_is_checked_in(
    tmp_path: Path,
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    async with FakeTelegram() as telegram:
        # No quiet hours: a routine announcement goes at once whatever the hour of the run.
        bot = new_bot(tmp_path, telegram, QUIET_HOURS="")
        bot.cli("admin", "create", "--commune", "tan-thuan-tay", "--telegram", str(OFFICE))
        await bot.start()
        try:
            for chat in (CITIZEN, OFFICE, HOUSEHOLD):
                await onboard(bot, telegram, chat)
            code = await open_a_dialogue_with_one_household(bot, telegram)
            link = await sign_in_link(bot, telegram)
            async with chromium() as browser:
                await announce_and_check_in(telegram, browser, link, code)
            assert telegram.violations == []
        finally:
            await bot.stop()
        bot.assert_clean_log(ANNOUNCEMENT, "tiêm chủng", HOUSEHOLD_NAME, "near_poor", code,
                             link.rsplit("/", 1)[1])
    print(f"\nscreenshots: {SHOTS}")


async def announce_and_check_in(telegram: FakeTelegram, browser: Browser, link: str,
                                code: str) -> None:
    context = await browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = await context.new_page()
    await page.goto(link)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url(re.compile(r"/panel/$"))

    await page.get_by_role("link", name="Thông báo", exact=True).click()
    await page.wait_for_url(re.compile(r"/panel/broadcasts$"))
    await shoot(page, context, browser, "outreach-1-broadcasts")
    await page.get_by_label("Nội dung thông báo").fill(ANNOUNCEMENT)
    await page.get_by_label("Loại thông báo").select_option(label="Y tế, giáo dục")
    await page.get_by_role("button", name="Xem trước").click()
    await page.wait_for_url(re.compile(r"/panel/broadcasts/preview$"))
    assert await page.locator(".bubble-text").inner_text() == ANNOUNCEMENT
    reach = int(await page.locator(".reach strong").inner_text())
    assert reach == 3  # the villager, the household and the clerk
    await shoot_posted(page, "outreach-2-preview")

    had = {chat: len(telegram.messages_for(chat)) for chat in (CITIZEN, HOUSEHOLD, OFFICE)}
    await page.get_by_role("button", name="Gửi ngay").click()
    await page.wait_for_url(re.compile(r"/panel/broadcasts/\d+\?notice=queued$"))
    await wait_until_received(telegram, had)
    # The page reloads itself until the scheduler closes the announcement (every 15 s).
    report = page.get_by_role("heading", name="Kết quả cuối cùng")
    await report.wait_for(timeout=90_000)
    assert await page.locator(".final-report .reach strong").inner_text() == "3"
    await shoot(page, context, browser, "outreach-3-report")
    await page.get_by_role("link", name="Thông báo", exact=True).click()
    await page.wait_for_url(re.compile(r"/panel/broadcasts$"))
    assert await page.get_by_text("đã gửi xong").count() == 1
    await shoot(page, context, browser, "outreach-3-sent")

    await page.get_by_role("link", name="Đối thoại", exact=True).click()
    await page.wait_for_url(re.compile(r"/panel/dialogues$"))
    await shoot(page, context, browser, "outreach-4-dialogues")
    await page.get_by_role("link", name="Chỗ ngồi và danh sách chờ").click()
    await page.wait_for_url(re.compile(r"/panel/dialogues/\d+$"))
    assert "1" in await page.locator(".seats tbody tr").first.inner_text()
    await shoot(page, context, browser, "outreach-5-seats")
    await page.get_by_role("link", name="Danh sách để in").first.click()
    await page.wait_for_url(re.compile(r"/panel/dialogues/\d+/lists$"))
    assert await page.get_by_text(HOUSEHOLD_NAME).count() == 1
    await shoot(page, context, browser, "outreach-6-lists")
    door_url = page.url.removesuffix("/lists") + "/check-in"

    # At the door, on a phone: the code the household shows, then the same code again.
    phone = await browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True,
                                      has_touch=True, device_scale_factor=2)
    await phone.add_cookies(await context.cookies())  # type: ignore[arg-type]
    door = await phone.new_page()
    await door.goto(door_url)
    await door.screenshot(path=str(SHOTS / "outreach-7-door-phone.png"), full_page=True)
    await door.get_by_label("Mã vào cửa").fill(code)
    await door.get_by_role("button", name="Cho vào", exact=True).first.click()
    answer = door.locator(".door-answer")
    await answer.wait_for()
    assert "Đã vào" in await answer.inner_text()
    assert HOUSEHOLD_NAME in await answer.inner_text()
    await door.screenshot(path=str(SHOTS / "outreach-8-checked-in-phone.png"), full_page=True)
    await door.get_by_label("Mã vào cửa").fill(code)
    await door.get_by_role("button", name="Cho vào", exact=True).first.click()
    await door.locator(".door-used").wait_for()
    assert "đã dùng lúc" in await door.locator(".door-answer").inner_text()
    await door.screenshot(path=str(SHOTS / "outreach-9-already-used-phone.png"), full_page=True)
    await phone.close()
    await context.close()


async def wait_until_received(telegram: FakeTelegram, had: dict[int, int]) -> None:
    """Every chat has the announcement on the fake Telegram server (`had`: messages before)."""
    for chat, count in had.items():
        await telegram.wait_for(chat, count + 1, timeout=60)
        assert any(ANNOUNCEMENT in text for text in telegram.texts_for(chat)[count:]), chat


async def shoot_posted(page: Page, name: str) -> None:
    """A page that answered a form (it cannot be opened again by its address): the same tab,
    at an office screen's width and then at a phone's."""
    await page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    await page.set_viewport_size(DESKTOP)
