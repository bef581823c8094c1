"""A change counter per named set of tables, bumped once per committing transaction that writes them.

Cached read models (the dashboard's figures, reports/summary.py) key their cache on the counter:
a committed write to any table of the set makes the next reader compute afresh, in every process.

How it works, and why this way:

- a statement-level trigger on each table (INSERT, UPDATE, DELETE, TRUNCATE: raw SQL and bulk
  updates included) records "this transaction changed set N" in ``core_pending_change`` (one row
  per transaction and set, so a 60,000-row COPY costs one insert);
- that insert fires a DEFERRABLE INITIALLY DEFERRED constraint trigger, which runs at COMMIT, in
  the same transaction: it bumps ``core_change_counter`` and removes the pending row. The counter
  and the data therefore become visible together; a reader that sees the new number sees the new
  rows, and a rolled-back transaction bumps nothing;
- the counter row is locked only from that moment to the end of COMMIT (microseconds), not from
  the transaction's first write: concurrent writers queue on it only while committing, and a
  writer holding it takes no further lock, so it adds no deadlock;
- ``epoch`` is random per database, so a new or recreated database (tests, a restore into a fresh
  database) never meets cache entries left by another one under the same number.
"""

from django.db import migrations

COUNTER = "dashboard"
TABLES = [
    "communes_commune",
    "partnerships_partnership",
    "partnerships_membership",
    "partnerships_activity",
    "commitments_field",
    "commitments_commitment",
    "commitments_progressupdate",
]

CREATE = """
CREATE TABLE core_change_counter (
    name text PRIMARY KEY,
    epoch uuid NOT NULL DEFAULT gen_random_uuid(),
    value bigint NOT NULL DEFAULT 0
);
CREATE TABLE core_pending_change (
    txid bigint NOT NULL,
    name text NOT NULL,
    PRIMARY KEY (txid, name)
);

CREATE FUNCTION core_note_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core_pending_change (txid, name) VALUES (txid_current(), TG_ARGV[0]) ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE FUNCTION core_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO core_change_counter AS counter (name, value) VALUES (NEW.name, 1)
        ON CONFLICT (name) DO UPDATE SET value = counter.value + 1;
    DELETE FROM core_pending_change WHERE txid = NEW.txid AND name = NEW.name;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER core_count_change_at_commit
    AFTER INSERT ON core_pending_change DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION core_count_change();
"""

DROP = """
DROP TABLE core_pending_change;
DROP TABLE core_change_counter;
DROP FUNCTION core_count_change();
DROP FUNCTION core_note_change();
"""


def attach(table: str) -> str:
    return (
        f"CREATE TRIGGER core_note_{COUNTER}_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION core_note_change('{COUNTER}');"
    )


def detach(table: str) -> str:
    return f"DROP TRIGGER core_note_{COUNTER}_change ON {table};"


def create_unless_present(apps, schema_editor):
    """Create the counter, its triggers and its row, unless the database already has them.

    The counter used to be core's first migration: a database migrated then keeps its tables, triggers
    and current value (the names keep their core_ prefix), and this migration only records that the
    counter now belongs to reports.
    """
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('core_change_counter') IS NOT NULL")
        if cursor.fetchone()[0]:
            return
    schema_editor.execute(CREATE + f"INSERT INTO core_change_counter (name) VALUES ('{COUNTER}');", params=None)
    schema_editor.execute("".join(attach(table) for table in TABLES), params=None)


def drop(apps, schema_editor):
    schema_editor.execute("".join(detach(table) for table in TABLES) + DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("communes", "0002_unaccent"),
        ("partnerships", "0002_field_verbose_names"),
        ("commitments", "0008_scale_indexes"),
        ("reports", "0003_report_narrative_and_signed_copy"),
    ]

    operations = [migrations.RunPython(create_unless_present, drop)]
