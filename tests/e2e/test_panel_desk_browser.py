"""The office at a desk, further in: voter contact, reports and reach, in a real Chromium.

Signed in through the bot's link, the office imports the year's plan (a bad file first, whose
problems show row by row), opens the month's calendar and a meeting, downloads the petition
report, reads the audit log and the reach page. Screenshots at a phone's width and an office
screen's go to `var/screenshots/desk-*.png` beside the petition pages' own.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.bot.test_plan_imports import BAD, GOOD
from tests.e2e.dialogue import onboard
from tests.e2e.test_panel_browser import (
    CHROMIUM,
    DESKTOP,
    SHOTS,
    chromium,
    send_petition_with_photo,
    shoot,
    sign_in_link,
)
from tests.e2e.test_petition import CITIZEN, CONTENT, OFFICE, new_bot
from tests.fakes.telegram import FakeTelegram

if TYPE_CHECKING:
    from playwright.async_api import Browser

playwright_api = pytest.importorskip("playwright.async_api",
                                     reason="the playwright package is not installed")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed here (.ci/browser.sh installs it in CI)")


async def test_the_office_imports_the_plan_reads_reports_and_sees_its_reach_in_chromium(
    tmp_path: Path,
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob("desk-*.png"):
        old.unlink()
    (tmp_path / "ke-hoach-loi.csv").write_bytes(BAD)
    (tmp_path / "ke-hoach-2027.csv").write_bytes(GOOD)
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
                await work_at_the_desk(browser, link, tmp_path, code)
            assert telegram.violations == []
        finally:
            await bot.stop()
        bot.assert_clean_log(CONTENT, link.rsplit("/", 1)[1])
    print(f"\nscreenshots: {SHOTS}")


async def work_at_the_desk(browser: Browser, link: str, files: Path, code: str) -> None:
    context = await browser.new_context(viewport=DESKTOP, locale="vi-VN", accept_downloads=True)
    page = await context.new_page()
    await page.goto(link)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url(re.compile(r"/panel/$"))

    await page.get_by_role("link", name="Tiếp xúc cử tri", exact=True).click()
    await page.wait_for_url(re.compile(r"/panel/meetings$"))
    await page.get_by_role("link", name="Nhập kế hoạch từ tệp Excel").click()
    await page.wait_for_url(re.compile(r"/panel/plan$"))
    await page.set_input_files("input[name=plan]", str(files / "ke-hoach-loi.csv"))
    await page.get_by_role("button", name="Kiểm tra và nhập").click()
    problems = page.locator(".problems tbody tr")
    await problems.first.wait_for()
    assert await problems.count() >= 2
    assert "31/02/2027" in await page.locator(".problems").inner_text()
    await page.screenshot(path=str(SHOTS / "desk-1-plan-problems-desktop.png"), full_page=True)
    await page.set_input_files("input[name=plan]", str(files / "ke-hoach-2027.csv"))
    await page.get_by_role("button", name="Kiểm tra và nhập").click()
    await page.get_by_text("4 hội nghị").wait_for()
    await shoot(page, context, browser, "desk-2-plan-imported")

    await page.goto(page.url.replace("/panel/plan", "/panel/meetings?month=2027-06"))
    events = page.locator("table.month a.event")
    assert await events.count() == 4
    await shoot(page, context, browser, "desk-3-meetings")
    await events.first.click()
    await page.wait_for_url(re.compile(r"/panel/meetings/\d+$"))
    assert await page.get_by_text("Chưa trả lời").count() >= 1
    await shoot(page, context, browser, "desk-4-meeting")

    await page.get_by_role("link", name="Báo cáo", exact=True).click()
    await page.wait_for_url(re.compile(r"/panel/reports$"))
    await shoot(page, context, browser, "desk-5-reports")
    async with page.expect_download() as asked:
        await page.get_by_role("button", name="Tải báo cáo (Word)").first.click()
    download = await asked.value
    assert download.suggested_filename.endswith(".docx")
    saved = await download.path()
    with zipfile.ZipFile(saved) as docx:
        assert code in docx.read("word/document.xml").decode()

    await page.get_by_role("link", name="Nhật ký: ai đã làm gì").click()
    await page.wait_for_url(re.compile(r"/panel/audit$"))
    assert await page.get_by_role("link", name=code).count() >= 1
    await shoot(page, context, browser, "desk-6-audit")

    await page.get_by_role("link", name="Mức tiếp cận", exact=True).click()
    await page.wait_for_url(re.compile(r"/panel/equity$"))
    assert await page.locator("table.reach tbody tr").count() == 4
    await shoot(page, context, browser, "desk-7-reach")
    await context.close()
