import stat
from pathlib import Path

import pytest

from forgeline.config import describe_settings, load_settings, secret_is_weak
from forgeline.errors import DomainError


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "FORGELINE_DATA_DIR": str(tmp_path / "data"),
        "FORGELINE_CONFIG": str(tmp_path / "none.toml"),
        **extra,
    }


def test_secret_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    first = load_settings(_env(tmp_path))
    key_file = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    second = load_settings(_env(tmp_path))
    assert first.secret_key.get_secret_value() == second.secret_key.get_secret_value()
    assert secret_is_weak(first.secret_key.get_secret_value()) is None


def test_weak_secret_refused_in_production_but_allowed_in_development(tmp_path: Path) -> None:
    with pytest.raises(DomainError) as err:
        load_settings(_env(tmp_path, FORGELINE_SECRET_KEY="changeme"))
    assert err.value.code == "config.weak_secret"
    assert "FORGELINE_SECRET_KEY" in err.value.message
    dev = load_settings(
        _env(tmp_path, FORGELINE_SECRET_KEY="changeme", FORGELINE_ENVIRONMENT="development")
    )
    assert dev.secret_key.get_secret_value() == "changeme"


def test_default_database_is_sqlite_in_data_dir(tmp_path: Path) -> None:
    settings = load_settings(_env(tmp_path))
    assert (
        settings.resolved_database_url == f"sqlite:///{(tmp_path / 'data').resolve()}/forgeline.db"
    )


def test_provenance_names_environment_file_and_default(tmp_path: Path) -> None:
    config = tmp_path / "forgeline.toml"
    config.write_text("[forgeline]\nport = 9001\nsession_hours = 9.5\n")
    rows = {
        r.name: r
        for r in describe_settings(
            _env(tmp_path, FORGELINE_CONFIG=str(config), FORGELINE_SESSION_HOURS="10")
        )
    }
    assert rows["port"].value == "9001" and rows["port"].source == f"config file {config}"
    # The environment wins over the file.
    assert rows["session_hours"].value == "10.0"
    assert rows["session_hours"].source == "environment FORGELINE_SESSION_HOURS"
    assert rows["host"].source == "default"
    assert rows["secret_key"].source.startswith("key file")
    assert rows["secret_key"].value == "********"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("[forgeline]\nprot = 1\n", "config.unknown_setting"),
        ("[forgeline\n", "config.invalid_file"),
        ("[forgeline]\nport = 'many'\n", "config.invalid"),
    ],
)
def test_bad_config_file_is_named(tmp_path: Path, content: str, code: str) -> None:
    config = tmp_path / "forgeline.toml"
    config.write_text(content)
    with pytest.raises(DomainError) as err:
        load_settings(_env(tmp_path, FORGELINE_CONFIG=str(config)))
    assert err.value.code == code


def test_bad_environment_value_names_its_source(tmp_path: Path) -> None:
    with pytest.raises(DomainError) as err:
        load_settings(_env(tmp_path, FORGELINE_PORT="0"))
    assert "FORGELINE_PORT" in err.value.message


def test_unsupported_database_refused(tmp_path: Path) -> None:
    with pytest.raises(DomainError) as err:
        load_settings(_env(tmp_path, FORGELINE_DATABASE_URL="mysql://x"))
    assert err.value.code == "config.invalid"
