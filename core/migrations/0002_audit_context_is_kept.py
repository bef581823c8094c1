"""What an audit context has recorded stays recorded (RELIABILITY A7).

The application role may UPDATE ``pghistory_context``: pghistory upserts the context of each request,
task or command (``INSERT … ON CONFLICT DO UPDATE``) as its metadata grows. Without this trigger that
privilege would let it re-attribute past events by rewriting the ``user`` of their context.

An update keeps the id, the creation time and every non-null value already recorded. It may add keys (a
nested ``pghistory.context``, a task run inside a request) and fill values recorded as null (the middleware
records ``user: null`` until a login in the same request sets it), but it may not give an actor (``user``)
to a context that recorded none, such as a command's or a task's. A plain trigger rather than a pgtrigger
one, so ``pgtrigger.ignore`` does not switch it off; only the owner of the table could.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION core_keep_audit_context() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.id := OLD.id;
    NEW.created_at := OLD.created_at;
    NEW.metadata := COALESCE(NEW.metadata, '{}'::jsonb);
    IF NOT OLD.metadata ? 'user' THEN
        NEW.metadata := NEW.metadata - 'user';
    END IF;
    NEW.metadata := NEW.metadata || jsonb_strip_nulls(OLD.metadata);
    RETURN NEW;
END $$;

CREATE TRIGGER core_audit_context_is_kept BEFORE UPDATE ON pghistory_context
    FOR EACH ROW EXECUTE FUNCTION core_keep_audit_context();
"""

DROP = """
DROP TRIGGER core_audit_context_is_kept ON pghistory_context;
DROP FUNCTION core_keep_audit_context();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("pghistory", "0007_auto_20250421_0444"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
