"""Settings: one object, built once from HOTLINE_* environment variables and passed to create_app."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-insecure-secret-change-me"


def default_data_dir() -> Path:
    """The user's data directory (XDG), where the embedded SQLite database lives."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "hotline"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOTLINE_", extra="ignore")

    env: str = Field("dev", description="dev | production")
    database_url: str = ""
    secret_key: str = DEV_SECRET
    host: str = "127.0.0.1"
    port: int = 8000
    redis_url: str = ""
    db_pool_size: int = Field(20, ge=1, description="database connections kept open per server process")
    data_dir: Path = Field(default_factory=default_data_dir)
    default_locale: str = "zh_CN"
    max_body_bytes: int = 1_000_000
    session_hours: int = 12
    session_cache_seconds: float = Field(30.0, ge=0, description="how long a process trusts a signed-in session "
                                         "without reading it again (revocations reach every process at once)")
    login_max_failures: int = 5
    login_lock_minutes: int = 15
    login_rate_per_minute: int = 20
    cookie_secure: bool = False
    bss_backend: str = "builtin"
    sms_backend: str = "outbox"
    service_password_max_failures: int = 5

    @model_validator(mode="after")
    def _defaults_and_safety(self) -> "Settings":
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'hotline.sqlite3'}"
        if self.env == "production" or self.database_url.startswith("postgresql"):
            if self.env == "production" and self.secret_key == DEV_SECRET:
                raise ValueError("HOTLINE_SECRET_KEY must be set in production (the default secret is unsafe)")
        if self.env == "production":
            self.cookie_secure = True
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
