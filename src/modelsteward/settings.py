"""The one typed settings object of modelsteward.

Precedence, highest first: arguments given in code (or on the command line), environment
variables ``STEWARD_*``, then an optional ``steward.toml`` (in the working directory, or
the file named by ``STEWARD_CONFIG``), then the defaults below. Build it once with
:func:`load_settings` and pass it down.

>>> s = Settings(home="/tmp/steward-doc")
>>> s.resolved_database_url()
'sqlite:////tmp/steward-doc/steward.db'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = [
    "AlertRuleSettings",
    "EmailSettings",
    "Settings",
    "WebhookSettings",
    "load_settings",
]


def _toml_file() -> Path:
    return Path(os.environ.get("STEWARD_CONFIG", "steward.toml"))


class AlertRuleSettings(BaseModel):
    """One alert rule (``[[alert_rules]]`` in ``steward.toml``).

    Fires when ``metric`` of a closed ``window`` compares with ``threshold`` as ``op``
    says for ``for_windows`` windows in a row; resolves when it no longer does. A window
    without data is its own state ("no data" alert unless ``no_data = "ignore"``).
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    metric: str = Field(min_length=1, max_length=100)
    op: Literal[">", ">=", "<", "<="]
    threshold: float
    model: str | None = None
    """Only this model; ``None`` means every model."""
    window: str = "1h"
    severity: Literal["info", "warning", "critical"] = "warning"
    for_windows: int = Field(default=1, ge=1)
    cooldown_seconds: float = Field(default=0.0, ge=0)
    no_data: Literal["alert", "ignore"] = "alert"


class WebhookSettings(BaseModel):
    """A notification channel (``[[webhooks]]`` in ``steward.toml``)."""

    model_config = ConfigDict(extra="forbid")

    url: str
    format: Literal["generic", "slack"] = "generic"
    group: bool = False
    """Send the alerts one evaluated window raised for a model as one message."""
    retries: int = Field(default=3, ge=0)
    timeout_seconds: float = Field(default=5.0, gt=0)


class EmailSettings(BaseModel):
    """An e-mail channel (``[[emails]]`` in ``steward.toml``), sent over SMTP."""

    model_config = ConfigDict(extra="forbid")

    host: str
    port: int = Field(default=25, ge=1, le=65535)
    sender: str
    recipients: list[str] = Field(min_length=1)
    starttls: bool = False
    username: str | None = None
    password: SecretStr | None = None
    retries: int = Field(default=3, ge=0)
    timeout_seconds: float = Field(default=10.0, gt=0)


class Settings(BaseSettings):
    """Everything the store, the server and the SDK can be configured with."""

    model_config = SettingsConfigDict(env_prefix="STEWARD_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path("~/.modelsteward").expanduser())
    """Where the default SQLite database and the SDK spool live."""
    database_url: str | None = None
    """SQLAlchemy URL; ``None`` means ``sqlite:///$STEWARD_HOME/steward.db``."""
    migrate_on_start: bool = True
    """Run the Alembic migrations when the server starts (``False`` to opt out)."""
    host: str = "127.0.0.1"
    port: int = Field(default=8686, ge=0, le=65535)
    max_body_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    """Largest request body the API accepts; larger ones get 413."""
    max_batch_rows: int = Field(default=1_000_000, gt=0)
    profile_bucket_seconds: int = Field(default=3600, gt=0)
    """Width of the time buckets in which feature profiles are merged."""
    feature_retention_days: int = Field(default=0, ge=0)
    """Keep raw features as Parquet under ``$STEWARD_HOME/features`` this many days (0: off)."""
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    evaluation_interval_seconds: float = Field(default=60.0, ge=0)
    """How often the server looks for newly closed windows to evaluate (0: never)."""
    evaluation_windows: list[str] = Field(default_factory=lambda: ["1h", "1d"])
    """Window widths evaluated (``30m``, ``1h``, ``1d``...), aligned to the epoch."""
    evaluation_backfill: int = Field(default=3, ge=1)
    """At most this many closed windows per width are caught up at a time."""
    alert_rules: list[AlertRuleSettings] = Field(default_factory=list)
    webhooks: list[WebhookSettings] = Field(default_factory=list)
    emails: list[EmailSettings] = Field(default_factory=list)
    public_url: str | None = None
    """Base URL put in alert links (e.g. ``https://steward.example.com``)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=_toml_file()),
        )

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside :attr:`home`."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{Path(self.home).expanduser() / 'steward.db'}"

    def spool_dir(self) -> Path:
        """Where the SDK keeps batches it could not deliver yet."""
        return Path(self.home).expanduser() / "spool"


def load_settings(**overrides: Any) -> Settings:
    """Build the settings; ``None`` values in ``overrides`` are ignored."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
