"""`forgeline user ...`: people, their roles and their operator skills."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from forgeline.admin.routes import user_out
from forgeline.auth.credentials import generate_password
from forgeline.auth.service import (
    create_user,
    grant_skill,
    list_users,
    revoke_skill,
    set_disabled,
    set_password,
)
from forgeline.cli.context import CLI_ACTOR, JsonOption, console, print_json, unit_of_work
from forgeline.plant.service import skill_codes

app = typer.Typer(help="Manage users, roles and operator skills.", no_args_is_help=True)
skill_app = typer.Typer(
    help="Operator skills (certifications the plant defines, with expiry).", no_args_is_help=True
)
app.add_typer(skill_app, name="skill")


@app.command("add")
def add(
    username: str,
    name: str = typer.Option(..., "--name", help="full name as people know them"),
    role: list[str] = typer.Option(
        ...,
        "--role",
        help="admin, planner, operator, quality, "
        "security, logistics, support or auditor; repeatable",
    ),
    badge: str | None = typer.Option(None, help="operator badge ID (scanned at stations)"),
    as_json: bool = JsonOption,
) -> None:
    """Create a user and print a one-time password (they must change it at first sign-in)."""
    with unit_of_work() as session:
        user, one_time = create_user(
            session, username=username, full_name=name, roles=role, badge=badge, actor=CLI_ACTOR
        )
        result = {"username": user.username, "roles": user.roles, "one_time_password": one_time}
    if as_json:
        print_json(result)
        return
    console.print(f"Created [bold]{username}[/] with roles {', '.join(result['roles'] or [])}.")
    console.print(f"One-time password (shown once): [bold yellow]{one_time}[/]")


@app.command("list")
def list_(as_json: bool = JsonOption) -> None:
    """Every user with roles, state and skills."""
    with unit_of_work(write=False) as session:
        users = [user_out(u) for u in list_users(session)]
    if as_json:
        print_json([u.model_dump(mode="json") for u in users])
        return
    table = Table(title=f"Users ({len(users)})")
    for column in ("user", "name", "roles", "badge", "state", "skills"):
        table.add_column(column)
    for u in users:
        state = "[green]active[/]"
        if u.disabled:
            state = "[red]disabled[/]"
        elif u.locked_until:
            state = "[yellow]locked[/]"
        skills = ", ".join(f"{s.skill} (to {s.expires_on})" for s in u.skills)
        table.add_row(u.username, u.full_name, ", ".join(u.roles), u.badge or "", state, skills)
    console.print(table)


@app.command("disable")
def disable(username: str) -> None:
    """Disable a user: they cannot sign in and their open sessions end."""
    with unit_of_work() as session:
        set_disabled(session, username, True, CLI_ACTOR)
    console.print(f"Disabled [bold]{username}[/]; their sessions are ended.")


@app.command("enable")
def enable(username: str) -> None:
    """Re-enable a disabled user (also clears a lock-out)."""
    with unit_of_work() as session:
        set_disabled(session, username, False, CLI_ACTOR)
    console.print(f"Enabled [bold]{username}[/].")


@app.command("reset-password")
def reset_password(username: str) -> None:
    """Issue a new one-time password (printed once; must be changed at sign-in)."""
    one_time = generate_password()
    with unit_of_work() as session:
        set_password(session, username, one_time, CLI_ACTOR, one_time=True)
    console.print(
        f"One-time password for [bold]{username}[/] (shown once): [bold yellow]{one_time}[/]"
    )


@skill_app.command("grant")
def skill_grant(
    username: str,
    skill: str,
    until: str = typer.Option(..., "--until", help="expiry date, YYYY-MM-DD"),
) -> None:
    """Certify a user for one of the plant's skills until a date (renewing moves the expiry)."""
    try:
        expires = date.fromisoformat(until)
    except ValueError:
        raise typer.BadParameter(
            f"{until!r} is not a date like 2027-03-31", param_hint="--until"
        ) from None
    with unit_of_work() as session:
        grant_skill(
            session,
            username,
            skill,
            expires,
            CLI_ACTOR,
            known_skills=skill_codes(session),
        )
    console.print(f"{username} holds skill {skill} until {expires}.")


@skill_app.command("revoke")
def skill_revoke(username: str, skill: str) -> None:
    """Withdraw an operator's skill for a station type."""
    with unit_of_work() as session:
        revoke_skill(session, username, skill, CLI_ACTOR)
    console.print(f"Revoked {username}'s skill for {skill}.")
