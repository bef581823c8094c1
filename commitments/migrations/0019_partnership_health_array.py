"""A partnership's health and its reason from one call: ``commitments_partnership_health_pair()``.

Selecting both columns of ``commitments_partnership_health()`` (migration 0017) wrote the call twice, so
the ORM built and compiled every argument (each a subquery) twice. This wrapper takes the same
arguments and returns ``ARRAY[health, reason]``, so a page that shows both pays for the figures once.
The rule itself stays in ``commitments_partnership_health()``.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION commitments_partnership_health_pair(
    status_on text,
    signed_as_of date,
    due bigint,
    overdue bigint,
    quiet_days integer,
    rated_statuses text[],
    rated_if_signed_by date,
    red_overdue_share numeric,
    red_quiet_days integer,
    amber_quiet_days integer,
    ended_status text,
    green text,
    amber text,
    red text,
    not_rated text,
    ended_text text,
    overdue_text text,
    quiet_text text,
    on_track_text text,
    too_early_text text,
    not_signed_text text
)
    RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
SELECT ARRAY[rated.health, rated.reason]
FROM commitments_partnership_health(
    status_on, signed_as_of, due, overdue, quiet_days, rated_statuses, rated_if_signed_by,
    red_overdue_share, red_quiet_days, amber_quiet_days, ended_status, green, amber, red, not_rated,
    ended_text, overdue_text, quiet_text, on_track_text, too_early_text, not_signed_text
) AS rated
$$;
"""

DROP = "DROP FUNCTION commitments_partnership_health_pair;"


class Migration(migrations.Migration):
    dependencies = [("commitments", "0018_review_queue_indexes")]

    operations = [migrations.RunSQL(CREATE, DROP)]
