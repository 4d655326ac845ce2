"""Working notes: owner-only. Every contact route answers 404 to everyone but the owner
(staff_a), managers and admins included; the idle-limit settings belong to managers."""

import uuid

from tests.access_cases import Case

STAFF = frozenset({"staff_a", "staff_a2", "staff_b"})
UNIT_A_STAFF = frozenset({"staff_a", "staff_a2"})
OWNER = frozenset({"staff_a"})
MANAGERS = frozenset({"manager_a", "manager_b", "admin"})


def build(world):
    """A working-notes activity of unit A, and staff_a's contact with one talk."""
    from sqlmodel import Session, select

    from models import notes
    from models.catalogue import FORMAT, Activity, import_catalogue

    db = Session.object_session(world.units["A"])
    unit_a = world.units["A"]
    import_catalogue(db, {"format": FORMAT, "activities": [{
        "key": "access-case-notes", "name": "Råd och stöd (test)", "level": "notes",
        "talk_cap": 5, "units": [unit_a.name],
        "fields": [{"key": "gender", "kind": "choice", "label": "Kön", "required": True,
                    "options": [{"code": "k", "label": "Kvinna"},
                                {"code": "m", "label": "Man"}]}],
    }]})
    activity = db.exec(select(Activity).where(Activity.key == "access-case-notes")).one()
    contact = notes.open_contact(db, world.users["staff_a"], activity, "Blå 7")
    notes.log_talk(db, world.users["staff_a"], contact, {"gender": "k"}, "minne",
                   str(uuid.uuid4()))
    db.commit()
    world.objects["notes_activity"] = activity
    world.objects["contact"] = contact


def _contact(world) -> int:
    return world.objects["contact"].id


def _talk(world) -> dict:
    return {"gender": "m", "note": "", "client_uuid": str(uuid.uuid4())}


CASES = {
    "notes.index": Case("/notes/", allowed=STAFF),
    "notes.create": Case("/notes/", method="POST", allowed=UNIT_A_STAFF, data=lambda w: {
        "activity": f"{w.objects['notes_activity'].id}:{w.units['A'].id}",
        "pseudonym": "Grön 1"}),
    "notes.contact": Case(lambda w: f"/notes/{_contact(w)}", allowed=OWNER),
    "notes.log_talk": Case(lambda w: f"/notes/{_contact(w)}/talks", method="POST",
                           allowed=OWNER, data=_talk),
    "notes.confirm_end": Case(lambda w: f"/notes/{_contact(w)}/end", allowed=OWNER),
    "notes.end": Case(lambda w: f"/notes/{_contact(w)}/end", method="POST", allowed=OWNER),
    "notes.settings": Case("/notes/settings", allowed=MANAGERS, denied=403),
    "notes.save_settings": Case(lambda w: f"/notes/settings/{w.units['A'].id}", method="POST",
                                allowed=frozenset({"manager_a", "admin"}),
                                data={"idle_days": "90", "grace_days": "14"}),
}
