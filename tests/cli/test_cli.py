"""The CLI as an operator at the server's shell would use it."""

from __future__ import annotations

from tests.cli.conftest import Invoke, as_json


def test_init_migrates_loads_plant_and_creates_admin_once(run: Invoke) -> None:
    first = as_json(run("init", "--json"))
    assert first["schema_revision"]
    assert first["plant_revision"] == 1
    assert first["plant_loaded_now"] is True
    assert first["admin_username"] == "admin"
    assert len(first["admin_password"]) >= 12
    again = as_json(run("init", "--json"))
    assert again["plant_loaded_now"] is False
    assert again["admin_username"] is None  # never a second admin, never a new password


def test_user_lifecycle(run: Invoke) -> None:
    run("init")
    added = as_json(
        run(
            "user",
            "add",
            "asha",
            "--name",
            "Asha Rao",
            "--role",
            "quality",
            "--role",
            "auditor",
            "--json",
        )
    )
    assert added["roles"] == ["auditor", "quality"]
    assert added["one_time_password"]
    users = {u["username"]: u for u in as_json(run("user", "list", "--json"))}
    assert set(users) == {"admin", "asha"}
    run("user", "disable", "asha")
    users = {u["username"]: u for u in as_json(run("user", "list", "--json"))}
    assert users["asha"]["disabled"] is True
    run("user", "enable", "asha")


def test_skill_must_name_a_skill_of_the_plant(run: Invoke) -> None:
    run("init")
    run("user", "add", "ravi", "--name", "Ravi", "--role", "operator")
    refused = run("user", "skill", "grant", "ravi", "teleporter", "--until", "2099-01-01", ok=False)
    assert refused.exit_code == 1
    assert "skill.unknown" in refused.output
    bad_date = run("user", "skill", "grant", "ravi", "cnc_machining", "--until", "soon", ok=False)
    assert bad_date.exit_code != 0
    assert "not a date" in bad_date.output


def test_bad_role_is_a_clear_message_and_nothing_is_written(run: Invoke) -> None:
    run("init")
    refused = run("user", "add", "x1", "--name", "X", "--role", "wizard", ok=False)
    assert refused.exit_code == 1
    assert "user.unknown_role" in refused.output
    assert "x1" not in {u["username"] for u in as_json(run("user", "list", "--json"))}


def test_token_for_known_station_only(run: Invoke) -> None:
    run("init")
    stations = as_json(run("plant", "show", "--json"))
    code = _first_station(stations)
    token = as_json(run("token", "create", "--station", code, "--json"))
    assert token["token"].startswith("flst_")
    listed = as_json(run("token", "list", "--json"))
    assert [t["station"] for t in listed] == [code]
    assert token["token"] not in str(listed)
    refused = run("token", "create", "--station", "NOPE-99", ok=False)
    assert "station.not_found" in refused.output
    run("token", "revoke", str(token["id"]))
    assert as_json(run("token", "list", "--json")) == []


def test_config_show_names_sources(run: Invoke) -> None:
    rows = {r["name"]: r for r in as_json(run("config", "show", "--json"))}
    assert rows["database_url"]["source"] == "environment FORGELINE_DATABASE_URL"
    assert rows["secret_key"]["value"] == "********"
    assert rows["port"]["source"] == "default"


def test_audit_records_cli_actions_and_verifies(run: Invoke) -> None:
    run("init")
    run("user", "add", "asha", "--name", "Asha", "--role", "quality")
    run("audit", "checkpoint")
    verified = as_json(run("audit", "verify", "--json"))
    assert verified["ok"] is True


def _first_station(plant: dict) -> str:  # type: ignore[type-arg]
    for area in plant["site"]["areas"]:
        for line in area["lines"]:
            for station in line["stations"]:
                return str(station["code"])
    raise AssertionError("no station in the default plant")
