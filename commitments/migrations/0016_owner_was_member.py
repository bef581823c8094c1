from django.db import migrations

CHECKS = """
CREATE FUNCTION commitment_owner_is_member_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM partnerships_membership m
                    WHERE m.partnership_id = NEW.partnership_id AND m.commune_id = NEW.owner_id) THEN
        RAISE EXCEPTION 'commitment_owner_is_member: unit % is not a member of partnership %',
            NEW.owner_id, NEW.partnership_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION commitment_owner_stays_member_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM commitments_commitment c
                WHERE c.partnership_id = OLD.partnership_id AND c.owner_id = OLD.commune_id)
       AND NOT EXISTS (SELECT 1 FROM partnerships_membership m
                        WHERE m.partnership_id = OLD.partnership_id AND m.commune_id = OLD.commune_id) THEN
        RAISE EXCEPTION 'commitment_owner_is_member: unit % owns commitments in partnership %',
            OLD.commune_id, OLD.partnership_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER commitment_owner_is_member
    AFTER INSERT OR UPDATE OF partnership_id, owner_id ON commitments_commitment
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION commitment_owner_is_member_check();

CREATE CONSTRAINT TRIGGER commitment_owner_stays_member
    AFTER DELETE OR UPDATE OF partnership_id, commune_id ON partnerships_membership
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION commitment_owner_stays_member_check();
"""

UNDO = """
DROP TRIGGER commitment_owner_stays_member ON partnerships_membership;
DROP TRIGGER commitment_owner_is_member ON commitments_commitment;
DROP FUNCTION commitment_owner_stays_member_check();
DROP FUNCTION commitment_owner_is_member_check();
"""


class Migration(migrations.Migration):
    """A commitment's owner is (or was) a member of the same partnership, now that a unit may leave
    and join again.

    The composite foreign key of 0004 needed (partnership, commune) to be unique among memberships;
    a unit that leaves and rejoins has one membership row per period, so the key becomes two deferred
    constraint triggers with the same name in their message: a commitment names a unit with a
    membership row in its partnership, and the last such row of a unit that owns commitments cannot be
    removed (leaving keeps the row, with its ``left_on``). The old key is dropped first, as
    partnerships 0008 drops the unique index it referred to.
    """

    dependencies = [("commitments", "0015_as_of_indexes"), ("partnerships", "0007_void_and_supported_reason")]
    operations = [
        migrations.RunSQL(
            sql="ALTER TABLE commitments_commitment DROP CONSTRAINT commitment_owner_is_member;" + CHECKS,
            reverse_sql=UNDO
            + """
                ALTER TABLE commitments_commitment
                ADD CONSTRAINT commitment_owner_is_member
                FOREIGN KEY (partnership_id, owner_id)
                REFERENCES partnerships_membership (partnership_id, commune_id)
                ON UPDATE RESTRICT ON DELETE RESTRICT
                DEFERRABLE INITIALLY DEFERRED;
            """,
        ),
    ]
