"""A third change counter, "filter_choices", over the tables the list pages' filter forms read their
choices from: the units (former districts), the fields and the reporting periods.

The partnership and commitment lists cache their rendered filter form under it (core.views.
CachedFilterFormMixin); none of those tables moves with a progress report or a commitment, so the
form is kept across them. The mechanism is 0004's: statement-level triggers noting the change, one
bump per committing transaction.
"""

from django.db import migrations

FILTER_CHOICES = "filter_choices"
FILTER_CHOICES_TABLES = ["communes_commune", "commitments_field", "commitments_reportingperiod"]

FORWARD = (
    f"INSERT INTO core_change_counter (name) VALUES ('{FILTER_CHOICES}') ON CONFLICT (name) DO NOTHING;"
    + "".join(
        f"CREATE TRIGGER core_note_{FILTER_CHOICES}_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION core_note_change('{FILTER_CHOICES}');"
        for table in FILTER_CHOICES_TABLES
    )
)
BACKWARD = (
    "".join(f"DROP TRIGGER core_note_{FILTER_CHOICES}_change ON {table};" for table in FILTER_CHOICES_TABLES)
    + f"DELETE FROM core_change_counter WHERE name = '{FILTER_CHOICES}';"
)


class Migration(migrations.Migration):
    dependencies = [
        ("commitments", "0021_review_awaiting_by_commitment_index"),
        ("reports", "0005_pairing_counter"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
