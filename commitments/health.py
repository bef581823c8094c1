"""A partnership's health as of a day (green / amber / red / not rated), from its commitments, their
progress reports and its activities.

Health belongs here, not in the partnerships app: it counts commitments and progress reports, and the
partnerships app sits below commitments (pyproject ``[tool.importlinter]``). The rule is written once, as
one SQL function (``commitments_partnership_health``, migration 0017) of figures built here, for the
pages (``add_health``, both outputs from one call: ``commitments_partnership_health_pair``, migration
0019) and the reports (``with_health``).
"""

import datetime
import decimal
import functools
import re

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from partnerships.models import Activity, Partnership

from .models import Commitment, ProgressUpdate


class Health(models.TextChoices):
    """Annotated by ``with_health()``; not a column."""

    GREEN = "green", _("Đúng tiến độ")
    AMBER = "amber", _("Cần chú ý")
    RED = "red", _("Chậm, cần đôn đốc")
    NONE = "none", _("Chưa đánh giá")


# Thresholds (brief): red at 30 % of due commitments overdue or 120 quiet days; amber at any overdue
# commitment or 60 quiet days. A partnership is rated once it has been signed for a full reporting
# period (a quarter, RATED_AFTER_MONTHS), never on the day it is signed, and only while signed,
# active or suspended (RATED_STATUSES).
RED_OVERDUE_SHARE = 0.3
RED_QUIET_DAYS = 120
AMBER_QUIET_DAYS = 60
RATED_AFTER_MONTHS = 3
RATED_STATUSES = (Partnership.Status.SIGNED, Partnership.Status.ACTIVE, Partnership.Status.SUSPENDED)

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# The values commitments_partnership_health() passes to format() for a reason's placeholders.
_FORMAT_ARGUMENTS = ("overdue", "due", "days")


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` earlier (the month's last day where that month is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return datetime.date(year, month, min(day.day, (following - datetime.timedelta(days=1)).day))


def _sql_format(template: str) -> str:
    """A translated "%(name)s" template as a PostgreSQL ``format()`` string over _FORMAT_ARGUMENTS."""
    pieces = _PLACEHOLDER.split(template)
    return "".join(
        f"%{_FORMAT_ARGUMENTS.index(piece) + 1}$s" if index % 2 else piece.replace("%", "%%")
        for index, piece in enumerate(pieces)
    )


def _count(commitments) -> models.Expression:
    counted = commitments.values("partnership").annotate(n=models.Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), Value(0))


def _figures(today: datetime.date) -> dict:
    """The figures behind the health of a partnership row annotated ``with_status_on(today)``, as
    expressions by annotation name: ``with_health()`` annotates them, ``add_health()`` only passes
    them to the rule."""
    own = Commitment.objects.filter(partnership=OuterRef("pk")).order_by()

    # The latest report of each commitment (a backward step on its (commitment, submitted_at)
    # index), then the latest of those: reading every report of the partnership took seconds.
    latest_of_commitment = Subquery(
        ProgressUpdate.objects.filter(commitment=OuterRef("pk"))
        .reported_by(today)
        .order_by("-submitted_at")
        .values("submitted_at")[:1]
    )
    latest_update = (
        Commitment.objects.filter(partnership=OuterRef("pk"))
        .order_by()
        .values("partnership")
        .annotate(day=TruncDate(models.Max(latest_of_commitment)))
        .values("day")
    )
    latest_activity = (
        Activity.objects.filter(partnership=OuterRef("pk"), occurred_on__lte=today)
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )
    last_activity_on = Coalesce(
        Greatest(
            Subquery(latest_update, output_field=models.DateField()),
            Subquery(latest_activity),
            "signed_as_of",
        ),
        TruncDate("created_at"),
        output_field=models.DateField(),
    )
    return {
        "due_commitment_count": _count(own.filter(due_on__lt=today)),
        "overdue_commitment_count": _count(own.overdue(today)),
        "last_activity_on": last_activity_on,
        "quiet_days": models.Func(
            Value(today, output_field=models.DateField()),
            last_activity_on,
            template="(%(expressions)s)",
            arg_joiner=" - ",
            output_field=models.IntegerField(),
        ),
    }


def _rule(figures: dict, today: datetime.date, *, column: str | None = None) -> models.Func:
    """The health rule over ``figures`` (``_figures()``, or references to their annotations): one
    output ``column`` (``health`` or ``reason``) of commitments_partnership_health() (migration 0017),
    or, without one, ``[health, reason]`` from one call (commitments_partnership_health_pair(),
    migration 0019), so that asking for both builds and compiles each figure once.

    The rule is one SQL function of the figures: with Case/When annotations the ORM wrote each
    figure's subquery again at every use.
    """
    # Its arguments, in the order it declares them:
    arguments = [
        models.F("status_on"),
        models.F("signed_as_of"),
        figures["due_commitment_count"],
        figures["overdue_commitment_count"],
        figures["quiet_days"],
        Value([status.value for status in RATED_STATUSES]),
        # Rated once signed a full reporting period before the day.
        Value(months_before(today, RATED_AFTER_MONTHS), output_field=models.DateField()),
        Value(decimal.Decimal(str(RED_OVERDUE_SHARE))),  # numeric, not float: a share of exactly this is red
        Value(RED_QUIET_DAYS),
        Value(AMBER_QUIET_DAYS),
        Value(Partnership.Status.ENDED.value),
        *(Value(health.value) for health in (Health.GREEN, Health.AMBER, Health.RED, Health.NONE)),
        Value(gettext("Đã kết thúc, không đánh giá")),
        Value(_sql_format(gettext("%(overdue)s/%(due)s cam kết đến hạn bị quá hạn"))),
        Value(_sql_format(gettext("Không có cập nhật tiến độ hay hoạt động trong %(days)s ngày"))),
        Value(gettext("Đúng tiến độ")),
        Value(gettext("Ký kết chưa đủ một kỳ báo cáo, chưa đánh giá")),
        Value(gettext("Chưa ký kết, chưa đánh giá")),
    ]
    if column is None:
        return models.Func(
            *arguments,
            function="commitments_partnership_health_pair",
            output_field=ArrayField(models.CharField()),
        )
    return models.Func(
        *arguments,
        template=f"(commitments_partnership_health(%(expressions)s)).{column}",
        output_field=models.CharField(),
    )


def with_health(partnerships, today: datetime.date | None = None):
    """Annotate ``health`` (a ``Health``) and a Vietnamese ``health_reason`` on a queryset of
    partnerships, as of ``today``.

    Also annotates the figures behind it: ``due_commitment_count`` (deadline passed),
    ``overdue_commitment_count`` (deadline passed, not completed by then), ``last_activity_on``
    (latest progress reported or activity held, not before the signing) and ``quiet_days``, plus
    ``status_on`` and ``signed_as_of`` (``PartnershipQuerySet.with_status_on``). Each counts only what is
    dated on or before the day. A partnership is not rated (``none``) unless it is signed, active or
    suspended on the day and was signed a full reporting period (RATED_AFTER_MONTHS) before it.
    """
    today = today or timezone.localdate()
    queryset = partnerships.with_status_on(today).annotate(**_figures(today))
    figures = {name: models.F(name) for name in ("due_commitment_count", "overdue_commitment_count", "quiet_days")}
    return queryset.annotate(
        health=_rule(figures, today, column="health"),
        health_reason=_rule(figures, today, column="reason"),
    )


@functools.lru_cache(maxsize=8)
def _health_by_key(today: datetime.date, language: str, time_zone: str):
    """Every partnership's key and ``[health, reason]`` on ``today``, a queryset never evaluated:
    ``add_health()`` filters it (a clone) to the rows it needs, so no row is ever held here.

    Besides the day, the statement depends only on the active language (the reasons) and time zone
    (local days), which the caller passes to key the cache: it is built once per combination, because
    building it (a queryset for every figure, each resolved into the statement) cost more than
    compiling and running it.
    """
    rows = Partnership.all_objects.order_by().with_status_on(today)  # voided too: pages ask by key
    return rows.values_list("pk", _rule(_figures(today), today))


def add_health(partnerships, today: datetime.date | None = None) -> list:
    """Set ``health`` and ``health_reason`` (as ``with_health()`` computes them) on partnerships
    already fetched, with one query over their keys, and return them as a list.

    For pages: annotating the listing's queryset instead makes every clone of it (filters, the
    paginator's count, ordering, the page slice) carry the whole health expression. The query asks
    for both outputs of one call of the rule, on a statement built once a day (``_health_by_key``).
    """
    partnerships = list(partnerships)
    if partnerships:
        health_by_key = _health_by_key(
            today or timezone.localdate(), translation.get_language(), timezone.get_current_timezone_name()
        )
        health_of = dict(health_by_key.filter(pk__in=[partnership.pk for partnership in partnerships]))
        for partnership in partnerships:
            partnership.health, partnership.health_reason = health_of[partnership.pk]
    return partnerships
