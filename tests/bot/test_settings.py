"""Settings: `.env.example` is complete and loads as is; a wrong value names itself in one line."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_lists_every_setting() -> None:
    listed = set(re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert listed == {name.upper() for name in Settings.model_fields}


def test_env_example_loads_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.telegram_bot_token is None and settings.local_chat_enabled
    assert settings.database_url.startswith("sqlite+aiosqlite://")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTP_PORT", "eighty"),
        ("TIMEZONE", "Mars/Olympus"),
        ("TELEGRAM_BOT_TOKEN", "not-a-token"),
        ("DATABASE_URL", "mysql://x"),
        ("DEFAULT_LOCALE", "fr"),
    ],
)
def test_a_wrong_setting_is_named_in_one_line(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=f"^{name}: "):
        load_settings()


def test_cli_stops_with_one_clear_line_and_no_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "HTTP_PORT": "eighty"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "cutri: configuration error: HTTP_PORT: Input should be a valid integer, unable to "
        "parse string as an integer"
    ]


def test_the_bot_username_and_zalo_page_are_checked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "@cutri_ttt_bot")
    monkeypatch.setenv("ZALO_BOT_URL", "https://zalo.me/1234/")
    settings = load_settings()
    assert settings.telegram_bot_username == "cutri_ttt_bot"
    assert settings.zalo_bot_url == "https://zalo.me/1234"
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "cutri bot")
    with pytest.raises(SettingsError, match="TELEGRAM_BOT_USERNAME"):
        load_settings()
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", "")
    monkeypatch.setenv("ZALO_BOT_URL", "zalo.me/1234")
    with pytest.raises(SettingsError, match="ZALO_BOT_URL"):
        load_settings()
