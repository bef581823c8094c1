"""A second change counter, "pairing", over the tables of who is paired with whom; and the status history
added to the dashboard's counter.

The dashboard's map, its coverage figures, its recent activities and its district filter read units and
partnerships only, never commitments or progress. Under the dashboard counter they were computed again
after every progress report an officer sends; under their own counter they are kept until a unit, a
partnership, a membership, a status or an activity changes. The mechanism is 0004's: statement-level
triggers noting the change, one bump per committing transaction.

``partnerships_statuschange`` (a partnership's dated status, which the figures read as of a day) was
missing from the dashboard's set: its rows are written with the partnership's, but a write to the
history alone must invalidate the figures too.
"""

from django.db import migrations

PAIRING = "pairing"
PAIRING_TABLES = [
    "communes_commune",
    "partnerships_partnership",
    "partnerships_membership",
    "partnerships_statuschange",
    "partnerships_activity",
]
DASHBOARD = "dashboard"
DASHBOARD_TABLES_ADDED = ["partnerships_statuschange"]


def attach(counter: str, table: str) -> str:
    return (
        f"CREATE TRIGGER core_note_{counter}_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION core_note_change('{counter}');"
    )


def detach(counter: str, table: str) -> str:
    return f"DROP TRIGGER core_note_{counter}_change ON {table};"


FORWARD = (
    f"INSERT INTO core_change_counter (name) VALUES ('{PAIRING}') ON CONFLICT (name) DO NOTHING;"
    + "".join(attach(PAIRING, table) for table in PAIRING_TABLES)
    + "".join(attach(DASHBOARD, table) for table in DASHBOARD_TABLES_ADDED)
)
BACKWARD = (
    "".join(detach(DASHBOARD, table) for table in DASHBOARD_TABLES_ADDED)
    + "".join(detach(PAIRING, table) for table in PAIRING_TABLES)
    + f"DELETE FROM core_change_counter WHERE name = '{PAIRING}';"
)


class Migration(migrations.Migration):
    dependencies = [
        ("partnerships", "0005_partnership_status_history"),
        ("reports", "0004_change_counter"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
