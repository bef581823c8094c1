from django.db import migrations


class Migration(migrations.Migration):
    """The partnership list's default order, newest signing first, read from an index.

    Plain SQL like commitments 0008, invisible to the models' state. The list sorts by
    (signed_on DESC NULLS LAST, name_key, pk) where name_key is a subquery (the first member's
    name); with this index PostgreSQL reads partnerships already in signing order and sorts only
    the ties (Incremental Sort), so it computes name_key for the ~25 rows a page shows instead of
    all 2,000 at national scale (45 ms → 6 ms).
    """

    dependencies = [("partnerships", "0002_field_verbose_names")]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS partnership_signed_order_idx "
                "ON partnerships_partnership (signed_on DESC NULLS LAST);"
            ),
            reverse_sql="DROP INDEX IF EXISTS partnership_signed_order_idx;",
        ),
    ]
