from django.db import migrations, models


class Migration(migrations.Migration):
    """A partial index of live commitments by field (Commitment.Meta.indexes), so that the commitment
    list counts its rows, unfiltered or in one field, from the index alone."""

    dependencies = [("commitments", "0019_partnership_health_array")]

    operations = [
        migrations.AddIndex(
            model_name="commitment",
            index=models.Index(
                condition=models.Q(("voided_at__isnull", True)), fields=["field"], name="commitment_live_field_idx"
            ),
        ),
    ]
