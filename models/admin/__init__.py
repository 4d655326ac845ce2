"""Administration: people and units, memberships, roles, account state, sessions."""

from __future__ import annotations

from models.admin.people import (  # noqa: F401
    admin_threads,
    all_units,
    all_users,
    end_sessions,
    reset_password,
    set_active,
    set_role,
    set_units,
)
