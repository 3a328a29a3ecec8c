"""Settings, looked up in the environment, then a TOML config file, then defaults.

Each value remembers where it came from (`forgeline config show`), in the manner of InvenTree's
config provenance. The secret key is never a default: on first run it is generated with
`secrets` and stored in the data directory with file mode 0600. Outside development a weak or
well-known secret refuses to start.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from forgeline.errors import DomainError

ENV_PREFIX = "FORGELINE_"
CONFIG_FILE_ENV = "FORGELINE_CONFIG"
DEFAULT_CONFIG_FILE = "forgeline.toml"
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name
MIN_SECRET_LENGTH = 32
# Values people paste from tutorials; refusing them outside development is the point.
KNOWN_WEAK_SECRETS = frozenset(
    {
        "changeme",
        "change-me",
        "changethis",
        "secret",
        "password",
        "development",
        "forgeline",
        "default",
        "insecure",
        "test",
        "admin",
    }
)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Everything Forgeline can be configured with. Field names map to FORGELINE_<NAME>."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", frozen=True)

    environment: Environment = Field(
        Environment.PRODUCTION, description="development relaxes the secret-key checks"
    )
    data_dir: Path = Field(Path("var"), description="where the SQLite file, keys and images live")
    database_url: str = Field("", description="SQLAlchemy URL; empty means <data_dir>/forgeline.db")
    secret_key: SecretStr = Field(
        SecretStr(""), description="signs sessions and hashes tokens; generated when empty"
    )
    host: str = Field("127.0.0.1", description="address `forgeline serve` binds to")
    port: int = Field(8000, ge=1, le=65535, description="port `forgeline serve` binds to")
    session_hours: float = Field(12.0, gt=0, description="web session lifetime (one shift plus)")
    login_max_failures: int = Field(5, ge=1, description="failed logins before lock-out")
    login_lockout_minutes: float = Field(15.0, gt=0, description="lock-out duration")
    page_size_max: int = Field(500, ge=1, description="largest page an API list returns")
    image_retention_days: int = Field(
        90, ge=1, description="AOI images older than this are purged (`forgeline aoi purge`)"
    )

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("only sqlite:// and postgresql+psycopg:// URLs are supported")
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'forgeline.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")


@dataclass(frozen=True)
class SettingSource:
    """One setting as `config show` prints it."""

    name: str
    value: str
    source: str
    description: str


def config_file_path(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    return Path(env.get(CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE))


def _read_config_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise DomainError("config.invalid_file", f"{path}: not valid TOML: {exc}") from exc
    section = data.get("forgeline", data)
    if not isinstance(section, dict):
        raise DomainError("config.invalid_file", f"{path}: [forgeline] must be a table")
    unknown = sorted(set(section) - set(Settings.model_fields))
    if unknown:
        raise DomainError(
            "config.unknown_setting",
            f"{path}: unknown setting(s) {', '.join(unknown)}",
            {"allowed": sorted(Settings.model_fields)},
        )
    return dict(section)


def _secret_key_file(data_dir: Path) -> Path:
    return data_dir / SECRET_KEY_FILE


def _load_or_create_secret(data_dir: Path) -> str:
    """Read the stored secret key, or make one with `secrets` and store it with mode 0600."""
    path = _secret_key_file(data_dir)
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must not both write; the loser reads the winner's.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key


def secret_is_weak(secret: str) -> str | None:
    """Why a secret is unacceptable outside development, or None when it is fine."""
    if len(secret) < MIN_SECRET_LENGTH:
        return f"shorter than {MIN_SECRET_LENGTH} characters"
    if secret.lower() in KNOWN_WEAK_SECRETS or len(set(secret)) < 8:
        return "a well-known or low-variety value"
    return None


def _env_values(environ: dict[str, str]) -> dict[str, str]:
    values = {}
    for name in Settings.model_fields:
        key = ENV_PREFIX + name.upper()
        if key in environ:
            values[name] = environ[key]
    return values


def _build(environ: dict[str, str]) -> tuple[Settings, dict[str, str]]:
    file_path = config_file_path(environ)
    file_values = _read_config_file(file_path)
    env_values = _env_values(environ)
    merged: dict[str, Any] = {**file_values, **env_values}
    sources = dict.fromkeys(Settings.model_fields, "default")
    sources.update(dict.fromkeys(file_values, f"config file {file_path}"))
    sources.update({name: f"environment {ENV_PREFIX}{name.upper()}" for name in env_values})
    try:
        # Values are passed explicitly, so pydantic-settings must not read the environment again.
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise DomainError(
            "config.invalid",
            f"setting {field!r} ({sources.get(field, 'default')}): {first['msg']}",
            {"field": field},
        ) from exc
    if not settings.secret_key.get_secret_value():
        key = _load_or_create_secret(settings.data_dir)
        settings = settings.model_copy(update={"secret_key": SecretStr(key)})
        sources["secret_key"] = f"key file {_secret_key_file(settings.data_dir)}"
    _refuse_weak_secret(settings, sources["secret_key"])
    return settings, sources


def _refuse_weak_secret(settings: Settings, source: str) -> None:
    if settings.environment is not Environment.PRODUCTION:
        return
    reason = secret_is_weak(settings.secret_key.get_secret_value())
    if reason:
        raise DomainError(
            "config.weak_secret",
            f"the secret key from {source} is {reason}; refusing to start in production. "
            "Unset it to have one generated, or set FORGELINE_ENVIRONMENT=development.",
        )


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from an explicit environment (tests) or the process environment."""
    return _build(dict(os.environ if environ is None else environ))[0]


def describe_settings(environ: dict[str, str] | None = None) -> list[SettingSource]:
    """Every setting with its value and where it came from; secrets masked."""
    settings, sources = _build(dict(os.environ if environ is None else environ))
    rows = []
    for name, field in Settings.model_fields.items():
        value = getattr(settings, name)
        shown = "********" if isinstance(value, SecretStr) else str(value)
        rows.append(SettingSource(name, shown, sources[name], field.description or ""))
    rows.append(
        SettingSource(
            "resolved_database_url",
            settings.resolved_database_url,
            "derived",
            "the database actually used",
        )
    )
    return rows


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, built once on first use (never at import)."""
    return load_settings()
