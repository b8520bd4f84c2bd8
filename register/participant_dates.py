"""
Each event participant carries its event's start date (EventParticipant.event_start),
kept by the database as article tag links keep their article's (articles.tag_dates):
triggers copy it when a participant is written and when an event's start date
changes, so bulk inserts, imports, restores and raw updates all keep it.

With the index on (actor, side, role, event_start, event), an actor's page reads
its first participations in display order straight from the index, however many
events the actor took part in; joining each participation to its event would
read every event of the archive to sort them.

Migration register 0006 creates the triggers; ensure_triggers() (after every
migrate) puts the SQLite ones back if a migration rebuilt one of the two tables.
"""

from archive.copied_columns import CopiedColumn

BACKFILL = {
    "postgresql": (
        "UPDATE register_eventparticipant AS participant SET event_start = event.start_date"
        " FROM register_event AS event"
        " WHERE event.id = participant.event_id AND participant.event_start IS DISTINCT FROM event.start_date"
    ),
    "sqlite": (
        "UPDATE register_eventparticipant SET event_start ="
        " (SELECT start_date FROM register_event WHERE register_event.id = register_eventparticipant.event_id)"
    ),
}

PG_CREATE = [
    """
    CREATE OR REPLACE FUNCTION event_participant_start() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.event_start := (SELECT start_date FROM register_event WHERE id = NEW.event_id);
        RETURN NEW;
    END $$
    """,
    "DROP TRIGGER IF EXISTS event_participant_start ON register_eventparticipant",
    "CREATE TRIGGER event_participant_start BEFORE INSERT OR UPDATE ON register_eventparticipant"
    " FOR EACH ROW EXECUTE FUNCTION event_participant_start()",
    """
    CREATE OR REPLACE FUNCTION event_start_to_participants() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE register_eventparticipant SET event_start = NEW.start_date
        WHERE event_id = NEW.id AND event_start IS DISTINCT FROM NEW.start_date;
        RETURN NULL;
    END $$
    """,
    "DROP TRIGGER IF EXISTS event_start_to_participants ON register_event",
    # An event has no participants when it is inserted: only a changed date needs copying.
    "CREATE TRIGGER event_start_to_participants AFTER UPDATE OF start_date ON register_event"
    " FOR EACH ROW EXECUTE FUNCTION event_start_to_participants()",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS event_participant_start ON register_eventparticipant",
    "DROP TRIGGER IF EXISTS event_start_to_participants ON register_event",
    "DROP FUNCTION IF EXISTS event_participant_start()",
    "DROP FUNCTION IF EXISTS event_start_to_participants()",
]

_SQLITE_COPY = (
    " UPDATE register_eventparticipant"
    " SET event_start = (SELECT start_date FROM register_event WHERE id = new.event_id)"
    " WHERE id = new.id;"
)
SQLITE_TRIGGERS = {
    "event_participant_start_insert": (
        "CREATE TRIGGER IF NOT EXISTS event_participant_start_insert AFTER INSERT ON register_eventparticipant BEGIN"
        + _SQLITE_COPY
        + " END"
    ),
    # Not recursive: SQLite runs no trigger from a trigger's own UPDATE unless recursive_triggers is on.
    "event_participant_start_update": (
        "CREATE TRIGGER IF NOT EXISTS event_participant_start_update AFTER UPDATE ON register_eventparticipant BEGIN"
        + _SQLITE_COPY
        + " END"
    ),
    "event_start_to_participants_update": (
        "CREATE TRIGGER IF NOT EXISTS event_start_to_participants_update AFTER UPDATE OF start_date ON register_event"
        " BEGIN UPDATE register_eventparticipant SET event_start = new.start_date WHERE event_id = new.id; END"
    ),
}


COPY = CopiedColumn(
    table="register_eventparticipant",
    column="event_start",
    pg_create=tuple(PG_CREATE),
    pg_drop=tuple(PG_DROP),
    sqlite_triggers=SQLITE_TRIGGERS,
    backfill=BACKFILL,
)
create = COPY.create
drop = COPY.drop
# After every migrate (register.apps): SQLite drops a rebuilt table's triggers.
ensure_triggers = COPY.ensure_triggers
