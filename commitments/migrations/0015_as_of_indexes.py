from django.db import migrations


class Migration(migrations.Migration):
    """Indexes for the as-of rules (commitments/models.py with_status, with_progress; partnerships
    with_health), which ask per commitment or per partnership what was recorded on or before a day.

    Plain SQL, like 0008, so that the models' state (and makemigrations) does not see them; each one
    is partial on live rows (voided_at IS NULL, as the default managers read) and holds what its
    query reads, so PostgreSQL answers from the index alone:

    - progress_reported_idx: "any progress reported by D" and "the latest report by D" of a
      commitment: (commitment_id, submitted_at < end of D);
    - progress_verified_idx: the verified sums as of D: (commitment_id, reviewed_at < end of D) on
      verified updates, with the quantity and value summed;
    - commitment_partnership_due_idx: a partnership's commitments due before D, and those of them not
      completed by D (its health).
    """

    dependencies = [("commitments", "0014_progress_audit_triggers_after_merge")]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS progress_reported_idx "
                "ON commitments_progressupdate (commitment_id, submitted_at) WHERE voided_at IS NULL;"
            ),
            reverse_sql="DROP INDEX IF EXISTS progress_reported_idx;",
        ),
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS progress_verified_idx "
                "ON commitments_progressupdate (commitment_id, reviewed_at) "
                "INCLUDE (achieved_quantity, achieved_value_vnd) "
                "WHERE state = 'verified' AND voided_at IS NULL;"
            ),
            reverse_sql="DROP INDEX IF EXISTS progress_verified_idx;",
        ),
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS commitment_partnership_due_idx "
                "ON commitments_commitment (partnership_id, due_on) INCLUDE (completed_on, id) "
                "WHERE voided_at IS NULL;"
            ),
            reverse_sql="DROP INDEX IF EXISTS commitment_partnership_due_idx;",
        ),
    ]
