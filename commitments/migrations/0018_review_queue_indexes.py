from django.db import migrations


class Migration(migrations.Migration):
    """Indexes for the review queue's counts at national scale (10,000 reports awaiting review among
    600,000), found by `make bench` (bench/findings.md, seventh pass).

    Plain SQL, like 0008 and 0015, so that the models' state (and makemigrations) does not see them.
    Each holds what its query reads, so PostgreSQL answers from the index alone instead of visiting a
    heap page for every waiting report:

    - progress_awaiting_cover_idx: the queue's rows (oldest first), its total and its counts by waiting
      time, by period and, through the commitment, by field: live reports awaiting review, with the
      period and the commitment;
    - commitment_field_cover_idx: the field of each commitment, for the count by field.
    """

    dependencies = [("commitments", "0017_partnership_health_function")]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS progress_awaiting_cover_idx "
                "ON commitments_progressupdate (submitted_at, id) INCLUDE (commitment_id, period_id) "
                "WHERE state = 'submitted' AND voided_at IS NULL;"
            ),
            reverse_sql="DROP INDEX IF EXISTS progress_awaiting_cover_idx;",
        ),
        migrations.RunSQL(
            sql="CREATE INDEX IF NOT EXISTS commitment_field_cover_idx ON commitments_commitment (id) INCLUDE (field_id);",
            reverse_sql="DROP INDEX IF EXISTS commitment_field_cover_idx;",
        ),
    ]
