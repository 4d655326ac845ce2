"""Pinnstatistik (seed 001): recording a tally exactly once, corrections, reading tallies."""

from __future__ import annotations

from models.tally import rules  # noqa: E402,F401  (registers the room's access rules)
from models.tally.historic import (  # noqa: F401
    Report as ImportReport,
)
from models.tally.historic import (  # noqa: F401
    TallyImport,
    check_file,
    find_activity,
    forget_pending,
    import_file,
    import_targets,
    imports_of,
    keep_pending,
    pending,
)
from models.tally.read import (  # noqa: F401
    TallyView,
    activity_threads,
    editable_units,
    form_pairs,
    last_values,
    recent_tallies,
    replacement_of,
    saved_since,
    summary,
    thread_key,
    unit_choices,
    views_of,
)
from models.tally.record import (  # noqa: F401
    BACKDATE_DAYS,
    CLOCK_SKEW,
    NOON,
    UNDO_GRACE_SECONDS,
    UNDO_SECONDS,
    Tally,
    TallyValue,
    VoidReason,
    as_uuid,
    by_uuid,
    can_undo,
    check_occurred_at,
    correct_tally,
    occurred_from,
    parse_form,
    record_tally,
    undo_tally,
    validate,
    values_of,
    void_tally,
)
