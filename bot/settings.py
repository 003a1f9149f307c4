"""Settings from the environment and `.env`; every setting is listed in `.env.example`."""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.messaging.quiet_hours import QuietHours

TELEGRAM_OFFICIAL_API = "https://api.telegram.org"
ZALO_OFFICIAL_API = "https://bot-api.zaloplatforms.com"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/cutri.db"

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_OFFICIAL_API
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None

    zalo_bot_token: SecretStr | None = None
    zalo_api_url: str = ZALO_OFFICIAL_API
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: SecretStr | None = None
    # The page that opens the bot's Zalo chat (https://zalo.me/<bot id>): shown with invites
    # and on posters. Zalo passes nothing through it, so invitees type their code there.
    zalo_bot_url: str | None = None
    # The bot's Telegram username, for t.me links printed by the CLI without network; the
    # running bot asks Telegram (getMe) and uses the answer.
    telegram_bot_username: str | None = None

    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    # Where people reach this server from outside, for file links on Zalo (which takes no
    # files). Empty: the origin of ZALO_WEBHOOK_URL, else http://HTTP_HOST:HTTP_PORT.
    public_url: str | None = None

    # The token-free chat page on the HTTP server; by default on when no platform token is set.
    local_chat: bool | None = None

    default_locale: Literal["vi", "en"] = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # Pace of outbound messages: Telegram allows about 30/s overall and 1/s per chat (a short
    # burst is tolerated); paid broadcasts raise the overall limit. Zalo publishes no figure.
    telegram_rate: float = Field(default=30.0, gt=0, le=10_000)
    telegram_per_chat_rate: float = Field(default=1.0, gt=0, le=100)
    zalo_rate: float = Field(default=10.0, gt=0, le=10_000)
    zalo_per_chat_rate: float = Field(default=1.0, gt=0, le=100)
    # Routine announcements wait out these local hours; urgent ones do not. Empty: none.
    quiet_hours: str = "21:00-06:30"
    outbox_poll_seconds: float = Field(default=0.5, gt=0)
    outbox_max_attempts: int = Field(default=12, ge=1)
    # How long a claimed row stays with its dispatcher before another may take it (after a
    # crash). Empty: computed from the channels' rates (30 s and up).
    outbox_lease_seconds: int | None = Field(default=None, ge=2)
    # Sends in flight plus sends not yet recorded never exceed this many messages: the most a
    # crash can make the bot send twice (Telegram and Zalo take no idempotency key).
    outbox_window: int = Field(default=50, ge=1, le=10_000)
    # With several replicas: each bot token's pace (overall, per chat, a 429's pause) is kept
    # in this Redis, shared by all of them. Empty: this process paces alone.
    redis_url: SecretStr | None = None
    # With several replicas on PostgreSQL: updates another replica recorded and left waiting
    # this long (it died, and was not started again) are taken over by a living one.
    inbox_stale_seconds: int = Field(default=30, ge=5, le=3600)
    # One person's messages: this many a minute on average, up to `inbound_burst` at once.
    # Past it they get one "please slow down"; further messages are recorded, not handled.
    inbound_per_minute: float = Field(default=20.0, gt=0, le=100_000)
    inbound_burst: int = Field(default=10, ge=1, le=100_000)
    link_code_minutes: int = Field(default=10, ge=1, le=120)
    # Codes for joining accounts that one verified account may be sent, and one account may
    # ask for, in any 24 hours: typing someone's number must not become a way to pester them.
    link_codes_per_target: int = Field(default=3, ge=1, le=100)
    link_codes_per_claimant: int = Field(default=3, ge=1, le=100)
    # The key phones and household categories are encrypted with: `1:<base64 of 32 bytes>`
    # entries (the highest number encrypts). Empty: a key file, made on first start.
    encryption_keys: SecretStr | None = None
    # Empty: beside the SQLite database (cutri.db.key), or var/cutri.key for PostgreSQL.
    encryption_key_file: str | None = None
    # Dialogues: how long a household has to take a freed seat offered to it, and how long
    # before a dialogue the seats a hamlet has not filled go to any household.
    dialogue_offer_hours: int = Field(default=24, ge=1, le=240)
    dialogue_release_hours: int = Field(default=48, ge=0, le=720)
    # Personal data kept no longer than needed: sent messages lose their text after this many
    # days (status and times stay); links to files with personal data work once, for minutes.
    outbox_retention_days: int = Field(default=30, ge=1, le=3650)
    personal_file_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # A commune's field model (the petition field suggested from the text) is retrained, in a
    # process of its own, every night when its staff classified anything new, and during the
    # day as soon as they classified this many petitions since its last training.
    field_model_retrain_after: int = Field(default=20, ge=1, le=100_000)
    # Each delegate gets their unit's dossier this many days before the round's first meeting
    # (seed 000: documents reach delegates five days before the meetings).
    dossier_days: int = Field(default=5, ge=0, le=60)
    # The office's web panel: a sign-in link the bot sends works once, within these minutes;
    # the session it opens lasts these hours (a working day) unless signed out.
    panel_link_minutes: int = Field(default=10, ge=1, le=60)
    panel_session_hours: int = Field(default=10, ge=1, le=24 * 7)

    @property
    def public_base_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        if self.zalo_webhook_url:
            parts = urlsplit(self.zalo_webhook_url)
            return f"{parts.scheme}://{parts.netloc}"
        return f"http://{self.http_host}:{self.http_port}"

    @field_validator("local_chat", "outbox_lease_seconds", "public_url", "encryption_key_file",
                     "zalo_bot_url", "telegram_bot_username", mode="before")
    @classmethod
    def _blank_is_automatic(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("telegram_api_url", "zalo_api_url", "telegram_webhook_url",
                     "zalo_webhook_url", "public_url", "zalo_bot_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path or postgresql+asyncpg://...")
        return value

    @field_validator("telegram_bot_username")
    @classmethod
    def _username_shape(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().removeprefix("@")
        if not (5 <= len(value) <= 32 and value.replace("_", "").isalnum() and value.isascii()):
            raise ValueError("expected the bot's username, e.g. cutri_tanthuantay_bot")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _telegram_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        head, _, tail = value.get_secret_value().partition(":")
        if not head.isdigit() or not tail:
            raise ValueError("expected the form 123456789:ABC... from @BotFather")
        return value

    @field_validator("encryption_keys")
    @classmethod
    def _keyring_shape(cls, value: SecretStr | None) -> SecretStr | None:
        from storage.encryption import Keyring, KeyringError

        if value is None or not value.get_secret_value().strip():
            return None
        try:
            Keyring.parse(value.get_secret_value())
        except KeyringError as error:
            raise ValueError(str(error)) from None
        return value

    @field_validator("zalo_bot_token", "telegram_webhook_secret", "zalo_webhook_secret")
    @classmethod
    def _empty_is_none(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value() else None

    @model_validator(mode="after")
    def _webhooks_need_secrets(self) -> Settings:
        if self.telegram_webhook_url and not self.telegram_webhook_secret:
            raise ValueError("TELEGRAM_WEBHOOK_URL needs TELEGRAM_WEBHOOK_SECRET")
        if self.zalo_webhook_url and not self.zalo_webhook_secret:
            raise ValueError("ZALO_WEBHOOK_URL needs ZALO_WEBHOOK_SECRET")
        secret = self.zalo_webhook_secret
        if secret is not None and not 8 <= len(secret.get_secret_value()) <= 256:
            raise ValueError("ZALO_WEBHOOK_SECRET must be 8 to 256 characters")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_range(cls, value: str) -> str:
        try:
            QuietHours.parse(value, "UTC")
        except ValueError as error:
            raise ValueError("expected HH:MM-HH:MM, e.g. 21:00-06:30") from error
        return value

    @property
    def local_chat_enabled(self) -> bool:
        if self.local_chat is not None:
            return self.local_chat
        return self.telegram_bot_token is None and self.zalo_bot_token is None


class SettingsError(Exception):
    """A setting is wrong; the message is one line that names it."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        name = "_".join(str(part) for part in first["loc"]).upper() or "settings"
        raise SettingsError(f"{name}: {first['msg']}") from None
