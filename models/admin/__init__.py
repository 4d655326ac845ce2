"""Administration: people and units, memberships, roles, account state, sessions; the
activity catalogue in the browser; the settings room; the admin log."""

from __future__ import annotations

from models.admin import catalogue_editor, log, settings  # noqa: F401
from models.admin.log import AdminLog  # noqa: F401
from models.admin.people import (  # noqa: F401
    admin_threads,
    all_units,
    all_users,
    end_sessions,
    find_people,
    new_person,
    new_unit,
    reset_password,
    set_active,
    set_role,
    set_units,
    units_with_counts,
)
