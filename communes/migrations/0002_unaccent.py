from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    """Accent-insensitive search ("hoa cuong" finds "Hòa Cường") uses PostgreSQL's unaccent."""

    dependencies = [("communes", "0001_initial")]
    operations = [UnaccentExtension()]
