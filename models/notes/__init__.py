"""Working notes (seed 000): contacts, talks, the personal-data guard, shredding."""

from __future__ import annotations

from models.notes import rules  # noqa: E402,F401  (registers the room's access rules)
from models.notes.contacts import (  # noqa: F401
    DEFAULT_GRACE_DAYS,
    DEFAULT_IDLE_DAYS,
    NEVER_REUSE_IDS,
    NOTE_MAX,
    PSEUDONYM_MAX,
    TALKS_FIELD,
    ContactState,
    ContactTalk,
    NotesUnitSetting,
    ShredLog,
    Talk,
    WorkingContact,
    WorkingNote,
    clean_pseudonym,
    contact_state,
    contact_threads,
    contacts_of,
    last_values,
    log_talk,
    may_open_contact,
    new_client_uuid,
    notes_activities,
    open_contact,
    set_unit_setting,
    settings_of,
    talk_count,
    talks_of,
    tally_lines,
    unit_setting,
)
from models.notes.shredding import (  # noqa: F401
    end_contact,
    recent_shreds,
    shred_idle,
    wipe_freed_pages,
)
