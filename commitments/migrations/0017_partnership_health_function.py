"""A partnership's health and its reason as one SQL function of the figures behind them.

``commitments.health.with_health()`` passes each figure (itself a subquery) once per call. Written as
``Case``/``When`` annotations, the ORM inlined a figure's subquery again at every use: 43 SELECTs in
one statement, recompiled on every page that shows health. Thresholds, health values and reason texts
are arguments, so they stay defined once in Python (``commitments.health``) and the texts translatable.
STABLE, not IMMUTABLE: it calls format(), which PostgreSQL marks STABLE.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION commitments_partnership_health(
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
    not_signed_text text,
    OUT health text,
    OUT reason text
)
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
SELECT
    CASE WHEN rated THEN
        CASE WHEN red_overdue OR red_quiet THEN red WHEN overdue > 0 OR amber_quiet THEN amber ELSE green END
    ELSE not_rated END,
    CASE
        WHEN status_on = ended_status THEN ended_text
        WHEN rated THEN
            CASE
                WHEN red_overdue THEN format(overdue_text, overdue, due, quiet_days)
                WHEN red_quiet THEN format(quiet_text, overdue, due, quiet_days)
                WHEN overdue > 0 THEN format(overdue_text, overdue, due, quiet_days)
                WHEN amber_quiet THEN format(quiet_text, overdue, due, quiet_days)
                ELSE on_track_text
            END
        WHEN status_on = ANY (rated_statuses) THEN too_early_text
        ELSE not_signed_text
    END
FROM (
    -- A NULL status or signing day (not recorded yet) makes "rated" unknown: not rated.
    SELECT
        status_on = ANY (rated_statuses) AND signed_as_of <= rated_if_signed_by AS rated,
        overdue > 0 AND overdue >= due * red_overdue_share AS red_overdue,
        quiet_days >= red_quiet_days AS red_quiet,
        quiet_days >= amber_quiet_days AS amber_quiet
) AS conditions
$$;
"""

DROP = "DROP FUNCTION commitments_partnership_health;"


class Migration(migrations.Migration):
    dependencies = [("commitments", "0016_owner_was_member")]

    operations = [migrations.RunSQL(CREATE, DROP)]
