"""A partnership's change history: the audit events of its own rows and of its commitments.

Assembled here, above partnerships, because it reads both apps' events; the partnership page embeds it
(commitments:partnership_history), as it embeds the partnership's commitments.
"""

import datetime
from dataclasses import dataclass
from dataclasses import field as dc_field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from pghistory.models import Event, MiddlewareEvents

from communes.models import Commune
from partnerships.models import Membership, Partnership


def change_history(partnership: Partnership, limit: int = 20) -> list["HistoryEntry"]:
    """The latest audit events of ``partnership`` and the rows that point to it (members,
    documents, activities, commitments): who changed what, when. At most three queries (two when
    the memberships are prefetched and no unit has left), whatever the length.

    Callers must have checked that the user may read the partnership's contents.
    """
    events = list(
        MiddlewareEvents.objects.across(*history_event_models())
        .references(partnership)
        .order_by("-pgh_created_at", "-pgh_id")[: limit * 2]
    )
    user_ids = {event.pgh_context.get("user") for event in events if event.pgh_context}
    users = {user.pk: user for user in get_user_model().objects.filter(pk__in=user_ids - {None})}
    commune_ids = {
        event.pgh_data.get("commune_id") for event in events if event.pgh_obj_model == Membership._meta.label
    }
    # Current members' names come from prefetched memberships (with_member_names); only units that
    # have left need a query.
    communes = {m.commune_id: m.commune.name for m in partnership.memberships.all()}
    missing = commune_ids - set(communes) - {None}
    if missing:
        communes |= dict(Commune.objects.filter(pk__in=missing).values_list("pk", "name"))
    entries = [HistoryEntry.from_event(event, users=users, communes=communes) for event in events]
    # An update that touched only bookkeeping columns (updated_at…) says nothing to a reader.
    return [entry for entry in entries if entry.changes or entry.kind != "update"][:limit]


# The partnership's own rows and its commitments'; rows of the apps above (reports) are not its history.
HISTORY_APPS = {"partnerships", "commitments"}


def history_event_models() -> list:
    return [
        model
        for model in apps.get_models()
        if issubclass(model, Event)
        and not model._meta.abstract
        and not model._meta.proxy
        and model.pgh_tracked_model._meta.app_label in HISTORY_APPS
    ]


def tracked_models() -> dict[str, type[models.Model]]:
    """The models whose events make up the history, by the label events carry ("partnerships.Membership")."""
    return {model.pgh_tracked_model._meta.label: model.pgh_tracked_model for model in history_event_models()}


HISTORY_SKIPPED_FIELDS = {"id", "created_at", "updated_at", "uploaded_at", "external_ref", "sha256", "file", "image"}
HISTORY_ACTIONS = {
    "insert": pgettext_lazy("history action", "Thêm"),
    "update": pgettext_lazy("history action", "Sửa"),
    "delete": pgettext_lazy("history action", "Xóa"),
}


@dataclass(frozen=True)
class HistoryChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    """One audit event, ready to show: who, when, which row, and the fields that changed."""

    at: datetime.datetime
    who: str
    kind: str  # insert, update or delete
    action: str
    subject: str
    label: str
    changes: list[HistoryChange] = dc_field(default_factory=list)

    @classmethod
    def from_event(cls, event, *, users: dict, communes: dict) -> "HistoryEntry":
        context = event.pgh_context or {}
        user = users.get(context.get("user"))
        if user is not None:
            who = str(user)
        elif context.get("command"):
            who = gettext("Hệ thống (lệnh %(command)s)") % {"command": context["command"]}
        else:
            who = gettext("Hệ thống")
        model = tracked_models()[event.pgh_obj_model]
        data = event.pgh_data or {}
        if model is Membership:
            role = dict(Membership.Role.choices).get(data.get("role"), "")
            label = f"{communes.get(data.get('commune_id'), '?')} ({role})"
        else:
            label = data.get("title") or ""
        changes = []
        if event.pgh_label == "update":
            for name, (old, new) in sorted((event.pgh_diff or {}).items()):
                described = _describe_change(model, name, old, new)
                if described is not None:
                    changes.append(described)
        return cls(
            at=event.pgh_created_at,
            who=who,
            kind=event.pgh_label,
            action=str(HISTORY_ACTIONS.get(event.pgh_label, event.pgh_label)),
            subject=str(model._meta.verbose_name),
            label=label,
            changes=changes,
        )


def _describe_change(model, column: str, old, new) -> HistoryChange | None:
    try:
        model_field = next(f for f in model._meta.concrete_fields if f.column == column)
    except StopIteration:
        return None
    if model_field.name in HISTORY_SKIPPED_FIELDS:
        return None
    if model_field.is_relation:
        return HistoryChange(str(model_field.verbose_name), "", "")
    return HistoryChange(
        str(model_field.verbose_name), _history_value(model_field, old), _history_value(model_field, new)
    )


def _history_value(model_field, value) -> str:
    if value in (None, ""):
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.DateField) and not isinstance(model_field, models.DateTimeField):
        try:
            return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
        except (TypeError, ValueError):
            return str(value)
    if isinstance(model_field, models.BooleanField):
        return str(_("Có") if value else _("Không"))
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"
