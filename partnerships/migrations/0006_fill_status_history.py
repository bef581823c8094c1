"""Fill each existing partnership's dated status history from its audit trail and its signing date.

Each run of equal statuses in the partnership's pghistory events becomes one entry, dated on the
(local) day of the event that set it. The signing takes effect on ``signed_on``: the first signed (or
later) entry is dated then, or a "signed" entry is added then when the partnership went straight to
active, suspended or ended; entries before the signing are moved back to that day at the latest.
A partnership without events (a bulk load) gets one entry: its status since it was created.
"""

from django.db import migrations
from django.utils import timezone

SIGNED_STATUSES = ("signed", "active", "suspended", "ended")


def history(statuses_by_day: list[tuple[str, object]], signed_on, today) -> list[tuple[str, object]]:
    """[(status, effective_on)] in order, from [(status, day)] in the order they were recorded."""
    entries = []
    for status, day in statuses_by_day:
        if not entries or entries[-1][0] != status:
            entries.append((status, day))
    signing = next((i for i, (status, _day) in enumerate(entries) if status in SIGNED_STATUSES), None)
    if signing is None or signed_on is None or signed_on > today:
        return entries
    if entries[signing][0] == "signed":
        entries[signing] = ("signed", signed_on)
    else:
        entries.insert(signing, ("signed", signed_on))
    # Before the signing: not after it. After it: not before it.
    return [
        (status, min(day, signed_on) if index < signing else max(day, signed_on))
        for index, (status, day) in enumerate(entries)
    ]


def fill(apps, schema_editor):
    Partnership = apps.get_model("partnerships", "Partnership")
    PartnershipEvent = apps.get_model("partnerships", "PartnershipEvent")
    StatusChange = apps.get_model("partnerships", "StatusChange")
    today = timezone.localdate()
    events: dict[int, list] = {}
    for obj_id, status, created in (
        PartnershipEvent.objects.exclude(pgh_label="delete")
        .order_by("pgh_obj_id", "pgh_created_at", "pgh_id")
        .values_list("pgh_obj_id", "status", "pgh_created_at")
    ):
        events.setdefault(obj_id, []).append((status, timezone.localdate(created)))
    rows = []
    for partnership in Partnership.objects.exclude(status_changes__isnull=False).order_by("pk").iterator():
        recorded = events.get(partnership.pk) or [(partnership.status, timezone.localdate(partnership.created_at))]
        if recorded[-1][0] != partnership.status:  # changed without a trigger (bulk update): as it is now
            recorded.append((partnership.status, max(today, recorded[-1][1])))
        for status, day in history(recorded, partnership.signed_on, today):
            rows.append(StatusChange(partnership_id=partnership.pk, status=status, effective_on=day))
    StatusChange.objects.bulk_create(rows, batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("partnerships", "0005_partnership_status_history"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
