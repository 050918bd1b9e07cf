"""`openpost member …`: list, invite, change a role, remove, issue a password reset link."""

from __future__ import annotations

from contextlib import contextmanager

import click


@click.group()
def member() -> None:
    """Workspace members (the operator acts as an owner; audited as "cli")."""


@contextmanager
def _workspace(name: str):
    """(session, workspace id), with domain errors turned into a one-line command error."""
    from app import db
    from app.auth import service
    from app.errors import DomainError
    from app.ops.cli import _setup

    _setup()
    try:
        yield db.session, service.get_workspace(db.session, name).id
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc


_WORKSPACE = click.option("--workspace", required=True, help="the workspace's name")


@member.command("list")
@_WORKSPACE
def list_(workspace: str) -> None:
    """One line per member: email, role."""
    from app.auth import members

    with _workspace(workspace) as (sess, ws):
        for user, role in members.list_members(sess, ws):
            click.echo(f"{user.email}\t{role}")


@member.command()
@click.argument("email")
@_WORKSPACE
@click.option("--role", type=click.Choice(["admin", "member"]), default="member",
              show_default=True)
def invite(email: str, workspace: str, role: str) -> None:
    """Print an invite link (single use, 7 days); emailed too when SMTP_URL is set."""
    from app.auth import invites, members

    with _workspace(workspace) as (sess, ws):
        issued = invites.create(sess, ws, members.Operator(), email=email, role=role)
    click.echo(issued.mail_note, err=True)
    click.echo(issued.link)


@member.command()
@click.argument("email")
@click.argument("role", type=click.Choice(["owner", "admin", "member"]))
@_WORKSPACE
def role(email: str, role: str, workspace: str) -> None:
    """Change a member's role (the last owner stays an owner)."""
    from app.auth import members

    with _workspace(workspace) as (sess, ws):
        members.change_role(sess, ws, members.Operator(), members.member_id_of(sess, ws, email),
                            role)
    click.echo(f"{email} is now {role} in {workspace}")


@member.command()
@click.argument("email")
@_WORKSPACE
def remove(email: str, workspace: str) -> None:
    """Remove a member: their sessions and the API keys they created end at once."""
    from app.auth import members

    with _workspace(workspace) as (sess, ws):
        gone = members.remove(sess, ws, members.Operator(), members.member_id_of(sess, ws, email))
    click.echo(f"removed {gone.email}: {gone.sessions_ended} sessions ended, "
               f"{gone.keys_revoked} API keys revoked")


@member.command("reset-link")
@click.argument("email")
@_WORKSPACE
def reset_link(email: str, workspace: str) -> None:
    """Print a password reset link for a member (single use, 24 hours)."""
    from app.auth import members, passwords

    with _workspace(workspace) as (sess, ws):
        issued = passwords.issue_reset(sess, ws, members.Operator(),
                                       members.member_id_of(sess, ws, email))
    click.echo(issued.mail_note, err=True)
    click.echo(issued.link)


def register(main: click.Group) -> None:
    main.add_command(member)
