"""Demo journal for Hemtjänst Norr: clients of hanna (one shared with hugo), consent,
a current plan with goals, a few days of notes, and the unit's quick phrases.

The people are made up; their numbers pass the Luhn check but belong to nobody we know.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from models.core.clock import local_today
from models.core.db import utcnow
from models.demo.people import unit_named, user_named
from models.journal.people import (
    ConsentInput,
    assign_staff,
    create_client,
    open_assignment,
    record_consent,
)
from models.journal.plans import GoalInput, save_plan
from models.journal.shift import add_phrase, last_shift, phrases_for, start_shift
from models.journal.tables import Client, _insert_entry

PHRASES = (
    ("Besöket genomfört enligt plan.", "action", None),
    ("Insatsen uteblev – brukaren inte hemma.", "circumstance", "missed_visit"),
    ("Kontakt tagen med handläggaren om förändrat behov.", "action", "caseworker"),
    ("Kontakt med sjuksköterska (HS-personal).", "action", "health_staff"),
    ("Brukaren avböjde dusch idag.", "circumstance", "declined"),
)

# (name, number, kind, title, staff, goals, notes [(days ago, hours ago, author, category,
# topic, text)])
CLIENTS = (
    ("Astrid Lindqvist", "19380515-2380", "sol", "Hemtjänst", ("hanna",),
     (("self_care", "Astrid duschar själv med stöd två gånger i veckan."),
      ("domestic_life", "Astrid lagar sin frukost själv.")),
     ((2, 3, "hanna", "action", None, "Besöket genomfört enligt plan. Astrid duschade med "
       "stöd och klädde sig själv."),
      (1, 5, "hanna", "circumstance", "progress", "Astrid bredde smörgås och kokade kaffe "
       "själv till frukost."))),
    ("Bengt Karlsson", "19420302-7711", "sol", "Hemtjänst", ("hanna",),
     (("mobility", "Bengt går ut med rollator varje dag."),),
     ((3, 2, "hanna", "action", "relatives", "Dottern ringde och frågade om tider för "
       "veckans besök. Tiderna lämnades."),
      (1, 2, "hanna", "circumstance", "missed_visit", "Insatsen uteblev – brukaren inte "
       "hemma. Grannen uppgav att Bengt var hos sin dotter."))),
    ("Greta Nilsson", "19350925-4409", "service", "Trygghetsbesök", ("hanna", "hugo"),
     (("safety", "Greta känner sig trygg i hemmet under kvällarna."),
      ("relations", "Greta träffar vänner på Mötesplatsen en gång i veckan.")),
     ((2, 1, "hanna", "action", None, "Kvällsbesök genomfört enligt plan."),
      (0, 6, "hugo", "event", "behaviour", "Greta var orolig och frågade flera gånger om "
       "dörren var låst. Dörren kontrollerades tillsammans med henne."),
      (0, 4, "hugo", "action", "health_staff", "Kontakt med sjuksköterska om Gretas "
       "oro. Sjuksköterskan kommer på besök i morgon."))),
)


def seed_journal(session: Session) -> None:
    unit = unit_named(session, "Hemtjänst Norr")
    if unit is None:
        return
    if not phrases_for(session, unit.id):
        for text, category, topic in PHRASES:
            add_phrase(session, unit, text, category, topic or "")
    today = local_today()
    now = utcnow()
    for name, number, kind, title, staff, goals, notes in CLIENTS:
        if session.exec(select(Client).where(Client.unit_id == unit.id,
                                             Client.name == name)).first():
            continue
        client = create_client(session, unit, name, number, address="Storgatan 1")
        assignment = open_assignment(session, client, kind, title,
                                     started_on=today - timedelta(days=60),
                                     decided_on=None if kind == "service"
                                     else today - timedelta(days=65))
        for username in staff:
            assign_staff(session, client, user_named(session, username),
                         from_on=today - timedelta(days=60))
        author = user_named(session, staff[0])
        week_ago = now - timedelta(days=7)
        record_consent(session, author, client, assignment, ConsentInput(
            given_on=(today - timedelta(days=60)).isoformat(), given_how="written",
            valid_until=(today + timedelta(days=300)).isoformat(),
            relatives="Dottern, om tider och praktiska frågor",
            authorities="Biståndshandläggaren, om förändrat behov",
            purpose="Planering och samordning av hemtjänsten"), now=week_ago)
        save_plan(session, author, assignment,
                  [GoalInput(life_area=a, goal=g, what="Stöd enligt beslut",
                             how="Personalen stöttar och låter brukaren göra själv",
                             timing="Vid morgonbesöken", by_whom="Hemtjänstpersonalen")
                   for a, g in goals],
                  participants=f"{name}, {author.display_name}",
                  participation="Deltog i planeringen och önskar besök före kl. 9.",
                  followup_on=today + timedelta(days=90), now=week_ago)
        for days, hours, username, category, topic, text in notes:
            at = now - timedelta(days=days, hours=hours)
            _insert_entry(session, user_named(session, username), assignment, category, text,
                          occurred=at - timedelta(minutes=20), now=at, topic=topic)
    hanna = user_named(session, "hanna")
    if hanna is not None and last_shift(session, hanna) is None:
        # hanna's previous shift was yesterday: hugo's notes since then are news to her
        start_shift(session, hanna, now=now - timedelta(days=1, hours=2))
    session.flush()
