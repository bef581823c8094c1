from django.db import migrations


class Migration(migrations.Migration):
    """A commitment's owner must be a member of the same partnership.

    Django has no composite foreign keys yet, so the invariant is a plain SQL constraint onto the
    (partnership, commune) unique key of memberships. Removing a member who still owns commitments
    is refused by the database.
    """

    dependencies = [("commitments", "0003_initial"), ("partnerships", "0001_initial")]
    operations = [
        migrations.RunSQL(
            sql="""
                ALTER TABLE commitments_commitment
                ADD CONSTRAINT commitment_owner_is_member
                FOREIGN KEY (partnership_id, owner_id)
                REFERENCES partnerships_membership (partnership_id, commune_id)
                ON UPDATE RESTRICT ON DELETE RESTRICT
                DEFERRABLE INITIALLY DEFERRED;
            """,
            reverse_sql="ALTER TABLE commitments_commitment DROP CONSTRAINT commitment_owner_is_member;",
        ),
    ]
