"""`flask sessions end-expired`: the daily clean-up of sign-in sessions nobody came back to.

A session past its idle or absolute limit ends when its cookie next arrives; a phone left
in a drawer never sends it, and its row would keep the provider's ID token. Run daily (cron
or a systemd timer; see README). It prints counts only.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from models.access import sessions
from models.core.db import new_session
from views.auth.routes import limits

sessions_cli = AppGroup("sessions", help="Sign-in sessions: the daily clean-up.")


@sessions_cli.command("end-expired")
def end_expired_command():
    """End the sessions past their idle or absolute limit, or of deactivated people."""
    with new_session(current_app.extensions["nara_engine"]) as session:
        ended = sessions.end_expired(session, limits())
        session.commit()
    click.echo("Ended " + ", ".join(f"{n} {reason}" for reason, n in ended.items())
               + " session(s).")
