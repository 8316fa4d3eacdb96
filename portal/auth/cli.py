"""`flask --app portal users invite EMAIL --role ROLE --org CODE`: bootstrap the first accounts."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.auth import invitations
from portal.auth.credentials import AccountError
from portal.auth.roles import Role
from portal.orgs import service as orgs

users_cli = AppGroup("users", help="User accounts.")


def _organisation(code: str):
    code = code.strip()
    if len(code) == 3 and code.isdigit():
        org = orgs.get_local_authority_by_code(code)
    elif len(code) == 6 and code.isdigit():
        org = orgs.get_school_by_urn(code)
    else:
        raise click.BadParameter("give a 3-digit LA code or a 6-digit school URN", param_hint="--org")
    if org is None:
        raise click.BadParameter("no organisation has this code", param_hint="--org")
    return org


@users_cli.command("invite")
@click.argument("email")
@click.option("--role", "role", required=True, type=click.Choice([r.value for r in Role]), help="The person's role.")
@click.option("--org", "org_code", required=True, help="LA code (3 digits) or school URN (6 digits).")
@click.option("--name", "display_name", default=None, help="Full name (defaults to the email's first part).")
def invite_command(email: str, role: str, org_code: str, display_name: str | None):
    """Invite someone and print their single-use link (valid 72 hours)."""
    organisation = _organisation(org_code)
    name = display_name or email.split("@", 1)[0].replace(".", " ").title()
    try:
        invitation = invitations.invite(email, name, Role(role), organisation, invited_by=None)
    except AccountError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Invited {invitation.user.email} as {Role(role).label} at {organisation.name}.")
    # The email is in the mail outbox (sent now, or retried by `flask mail send`); the link is
    # printed too, for an operator whose first account's mail may not be working yet.
    click.echo("The invitation email has been queued. You can also give the person this link yourself.")
    click.echo(invitation.link)
