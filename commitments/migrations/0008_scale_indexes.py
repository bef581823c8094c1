from django.db import migrations


class Migration(migrations.Migration):
    """Indexes found missing by `make bench` at national scale (60,000 commitments, 600,000 updates).

    Plain SQL, like 0004, so that the models' state (and makemigrations) does not see them; each one
    is named after the query it serves (see bench/RESULTS.md, "Findings"):

    - commitment_due_order_idx: the commitment list and "my unit" are ordered by (due_on, pk) and
      cut to 25 rows; without it every request sorts all 60,000 rows (155 ms → 5 ms).
    - progress_awaiting_review_idx: the review queue (state = submitted, oldest first, 25 rows) and
      the "awaiting verification" counts read only the ~2 % of updates that wait, instead of
      scanning all 600,000 (145 ms → 1 ms for the page's rows).
    - progress_commitment_day_idx: the partnership health (latest progress day per partnership)
      reads (commitment_id, submitted_at) from the index alone instead of visiting 600,000 rows.
    """

    dependencies = [("commitments", "0007_optimistic_locking_version")]

    operations = [
        migrations.RunSQL(
            sql="CREATE INDEX IF NOT EXISTS commitment_due_order_idx ON commitments_commitment (due_on, id);",
            reverse_sql="DROP INDEX IF EXISTS commitment_due_order_idx;",
        ),
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS progress_awaiting_review_idx "
                "ON commitments_progressupdate (submitted_at, id) WHERE state = 'submitted';"
            ),
            reverse_sql="DROP INDEX IF EXISTS progress_awaiting_review_idx;",
        ),
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS progress_commitment_day_idx "
                "ON commitments_progressupdate (commitment_id, submitted_at);"
            ),
            reverse_sql="DROP INDEX IF EXISTS progress_commitment_day_idx;",
        ),
    ]
