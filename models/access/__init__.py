"""People, units and memberships; the rule registry every room adds its rules to; the
access log; sign-in sessions; the inbox's thread registry."""

from __future__ import annotations

from models.access.audit_log import (  # noqa: F401
    AccessLog,
    log_access,
)
from models.access.people import (  # noqa: F401
    ROLE_LABELS,
    LeaveHook,
    Membership,
    Role,
    Unit,
    User,
    authenticate,
    create_unit,
    create_user,
    is_manager_of,
    on_leaving,
    person_left,
    unit_ids,
    unit_named,
    units_of,
    use_fast_password_hashing,
    user_named,
    verify_password,
)
from models.access.policy import (  # noqa: F401
    Rule,
    authorize,
    ensure,
    rule,
)
