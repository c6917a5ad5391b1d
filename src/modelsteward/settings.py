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

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

__all__ = ["Settings", "load_settings"]


def _toml_file() -> Path:
    return Path(os.environ.get("STEWARD_CONFIG", "steward.toml"))


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
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    log_level: Literal["debug", "info", "warning", "error"] = "info"

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
