"""Pages of the commitments app: the list, one commitment, progress reports and their review, "my unit".

Access: reads go through ``visible_to``, writes through ``editable_by``; anything out of reach is a
404. Leadership is read-only, so every write route answers 403 to a leader before any lookup.
"""

import io
import mimetypes
from dataclasses import dataclass
from functools import partial
from itertools import groupby
from operator import attrgetter

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Prefetch, Q, Window
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe
from django_filters.views import FilterView
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event
from PIL import Image, ImageOps

from accounts.permissions import can
from communes.forms import unit_suggestion
from core.cache import PAIRING_COUNTER, change_version
from core.files import protect_upload_response
from core.params import row_id
from core.views import (
    MAX_SUGGESTIONS,
    CachedFilterFormMixin,
    HtmxFragmentMixin,
    render_suggestions,
    restore_page,
    typed_text,
    void_page,
)
from partnerships.models import Partnership, member_names_prefetch, prefetch_member_names
from partnerships.views import BasePartnershipDetailView, BasePartnershipListView

from . import services
from .filtersets import CommitmentFilterSet, PartnershipFilterSet, ReviewFilterSet, owner_choices
from .forms import MAX_EVIDENCE_FILES, BulkReviewForm, CommitmentForm, ProgressForm, RefuseForm, ReopenForm, ReturnForm
from .health import add_health
from .history import change_history
from .models import Commitment, CommitmentAdjustment, Evidence, Field, ProgressUpdate, ReportingPeriod

PAGE_SIZE = 25
THUMBNAIL_SIDE = 480


# A form page: shown by GET, sent by POST; PUT, PATCH and DELETE get 405 (RELIABILITY D2).
require_GET_OR_POST = require_http_methods(["GET", "HEAD", "POST"])
UPDATES_PER_PAGE = 10  # progress reports per page of a commitment


def forbid_leadership(user) -> None:
    """Leadership reads everything and writes nothing: a write route answers 403 before any lookup."""
    if not can(user, "write_records"):
        raise PermissionDenied


def require_reviewer(user) -> None:
    """Only city staff (and administrators) review progress; to everyone else the queue does not exist."""
    forbid_leadership(user)
    if not can(user, "verify_progress"):
        raise Http404


def safe_next(request, default: str) -> str:
    """The ``next`` URL of the request when it stays on this site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def saved(request, url: str, text: str):
    """Post/Redirect/Get, also from an htmx dialog (where the whole page is reloaded at ``url``)."""
    messages.success(request, text)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def progress_sent(request, update, url: str, text: str):
    """A progress report went through. Without htmx: Post/Redirect/Get. In the dialog, the answer is the
    confirmation itself, in place of the form: on a slow mountain link a redirect and a whole page
    would add a round trip and tens of kilobytes before the officer sees that it worked (P8). The page
    behind reloads when the dialog is closed (static/js/portal.js)."""
    if not request.htmx:
        return saved(request, url, text)
    context = {"update": update, "commitment": update.commitment, "text": text, "next": url}
    return render(request, "commitments/progress_form.html#sent", context)


def toast(response: HttpResponse, text: str, kind: str = "success") -> HttpResponse:
    return trigger_client_event(response, "toast", {"text": text, "kind": kind})


# --- Commitments ---------------------------------------------------------------------------------


# What the commitment list shows of each commitment (with its status and progress), in
# templates/commitments/commitment_list.html: the partnership only by its name (its title, or its
# members for one without), and not the long text columns of any of the three tables joined.
COMMITMENT_LIST_FIELDS = (
    "title",
    "is_demo",
    "due_on",
    "target_quantity",
    "target_unit",
    "target_value_vnd",
    "field__name",
    "owner__name",
    "partnership__title",
)


class CommitmentListView(CachedFilterFormMixin, HtmxFragmentMixin, FilterView):
    """Every commitment the user may read, filtered, sorted and paginated; htmx gets the results only."""

    template_name = "commitments/commitment_list.html"
    fragment_name = "results"
    filterset_class = CommitmentFilterSet
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        return (
            # Voided rows only for the "Đã hủy" filter (CommitmentFilterSet.voided), which then keeps only them.
            (Commitment.all_objects if self.request.GET.get("voided") else Commitment.objects)
            .visible_to(self.request.user)
            .with_status()
            .with_related()
            .only(*COMMITMENT_LIST_FIELDS)
            .order_by(F("due_on").asc(nulls_last=True), "pk")
        )

    def paginate_queryset(self, queryset, page_size):
        paginator, page, rows, is_paginated = super().paginate_queryset(queryset, page_size)
        page.object_list = load_partnership_names(rows)
        return paginator, page, page.object_list, is_paginated


commitment_list = CommitmentListView.as_view()


def load_partnership_names(commitments) -> list:
    """The rows of ``commitments``, each partnership ready to be named without a query of its own."""
    rows = list(commitments)
    prefetch_member_names([row.partnership for row in rows])
    return rows


@require_GET
def owner_suggestions(request):
    """At most 20 units owning commitments the user may read, matching the typed name or code."""
    text = typed_text(request)
    units = owner_choices(request).search(text)[:MAX_SUGGESTIONS] if text else []
    return render_suggestions(request, [(unit_suggestion(unit), unit.former_district) for unit in units])


# What a commitment's page shows of each progress report (templates/commitments/commitment_detail.html).
DETAIL_UPDATE_FIELDS = (
    "commitment",
    "state",
    "resubmission_count",
    "achieved_quantity",
    "achieved_value_vnd",
    "narrative",
    "return_reason",
    "submitted_at",
    "reviewed_at",
    "reopen_reason",
    "reopened_at",
    "period__kind",
    "period__year",
    "period__number",
    "author__first_name",
    "author__last_name",
    "author__username",
    "reviewed_by__first_name",
    "reviewed_by__last_name",
    "reviewed_by__username",
)


@require_GET
def commitment_detail(request, pk):
    """A commitment and its progress reports, newest first, UPDATES_PER_PAGE a page: a long-running
    commitment gathers hundreds over the years. htmx pages through the reports section alone."""
    # A voided commitment stays readable here (with its banner and "Khôi phục"); lists leave it out.
    commitments = Commitment.all_objects.visible_to(request.user).with_status().with_related().with_adjustments_flag()
    commitment = get_object_or_404(commitments, pk=pk)
    load_partnership_names([commitment])
    updates = (
        commitment.updates.select_related("period", "author", "reviewed_by")
        .only(*DETAIL_UPDATE_FIELDS)
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.only("update", "kind", "original_name")))
        .order_by("-submitted_at", "-pk")
    )
    page = Paginator(updates, UPDATES_PER_PAGE).get_page(updates_page_number(request, updates))
    adjustments = (
        list(commitment.adjustments.select_related("requested_by", "decided_by").order_by("-requested_at", "-pk"))
        if commitment.has_adjustments
        else []
    )
    can_void = can(request.user, "void_records")
    context = {
        "commitment": commitment,
        "updates": page.object_list,
        "page_obj": page,
        "can_edit": commitment.is_editable_by(request.user),
        # Asked once here rather than for each report on the page.
        "can_reopen": can(request.user, "verify_progress"),
        "adjustments": adjustments,
        "target_note": next((note for note in (a.target_note() for a in adjustments) if note), ""),
        "can_void": can_void,
        "voided_updates": (
            ProgressUpdate.all_objects.filter(commitment=commitment, voided_at__isnull=False)
            .select_related("period", "voided_by", "commitment")
            .order_by("-voided_at")
            if can_void and "voided" in request.GET
            else None
        ),
    }
    template = "commitments/commitment_detail.html"
    if request.htmx and not request.htmx.boosted and "page" in request.GET:
        template += "#updates"
    return render(request, template, context)


def updates_page_number(request, updates) -> str | int | None:
    """``?page=``, or else the page holding ``?update=<pk>``: a link to one report lands on its page."""
    wanted = row_id(request.GET.get("update"))
    if "page" not in request.GET and wanted is not None:
        target = updates.filter(pk=wanted).values_list("submitted_at", flat=True).first()
        if target is not None:
            newer = updates.filter(Q(submitted_at__gt=target) | Q(submitted_at=target, pk__gt=wanted))
            return newer.count() // UPDATES_PER_PAGE + 1
    return request.GET.get("page")


@require_GET_OR_POST
def commitment_create(request):
    """City staff add a commitment to the partnership named by ``?partnership=``; without one, pick it."""
    forbid_leadership(request.user)
    if not can(request.user, "add_commitments"):
        raise Http404
    partnerships = (
        Partnership.objects.editable_by(request.user).with_member_names(names_only=True).order_by("title", "pk")
    )
    selected = row_id(request.GET.get("partnership"))
    partnership = partnerships.filter(pk=selected).first() if selected is not None else None
    if partnership is None:
        return render(request, "commitments/commitment_form.html", {"partnerships": partnerships})
    in_place = bool(request.htmx) and request.htmx.target == IN_PLACE_TARGET
    form = CommitmentForm(
        request.POST or None, partnership=partnership, user=request.user, **(ADD_FORM_IDS if in_place else {})
    )
    if request.method == "POST" and form.is_valid():
        commitment = services.save_commitment(commitment=form.save(commit=False), editor=request.user)
        if in_place:
            response = render_partnership_commitments(request, partnership, added=commitment.pk, fragment=True)
            return toast(response, _("Đã thêm cam kết."))
        return saved(request, commitment.get_absolute_url(), _("Đã thêm cam kết."))
    if in_place:
        # Refused: the section again with the form open, what was typed and the messages beside the fields.
        return render_partnership_commitments(request, partnership, add_form=form, fragment=True)
    return render(request, "commitments/commitment_form.html", {"form": form, "partnership": partnership})


@require_GET_OR_POST
def commitment_update(request, pk):
    forbid_leadership(request.user)
    commitments = Commitment.objects.editable_by(request.user).with_related().with_partnership_names()
    commitment = get_object_or_404(commitments, pk=pk)
    form = CommitmentForm(
        request.POST or None, instance=commitment, partnership=commitment.partnership, user=request.user
    )
    if request.method == "POST" and form.is_valid():
        asks_for_approval = form.asks_for_approval
        try:
            services.save_commitment(
                commitment=form.save(commit=False), editor=request.user, reason=form.cleaned_data.get("reason", "")
            )
        except services.EditConflict as conflict:
            form.show_conflict(conflict.latest)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if asks_for_approval:
                text = _("Đã gửi đề nghị điều chỉnh; chỉ tiêu, thời hạn mới có hiệu lực khi Thành ủy duyệt.")
            else:
                text = _("Đã lưu thay đổi.")
            return saved(request, commitment.get_absolute_url(), text)
    context = {
        "form": form,
        "commitment": commitment,
        "partnership": commitment.partnership,
        "pending": commitment.adjustments.pending().select_related("requested_by").first(),
    }
    return render(request, "commitments/commitment_form.html", context)


# --- The partnership pages, with what their commitments say (served as partnerships:…) -------------


class PartnershipListView(BasePartnershipListView):
    """partnerships:partnership_list: the partnerships, each row with its health, filterable by field."""

    filterset_class = PartnershipFilterSet

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Health for the rows shown only, in one query (see add_health).
        context["partnerships"] = add_health(context["partnerships"])
        return context


class PartnershipDetailView(BasePartnershipDetailView):
    """partnerships:partnership_detail: one partnership with its health."""

    def get_object(self, queryset=None):
        partnership = super().get_object(queryset)
        if partnership.can_see_contents:  # the page shows the health only beside the contents
            add_health([partnership])
        return partnership


# A partnership of the national-scale programme can hold 150 commitments: each field shows its
# soonest-due ones and links to the full, paginated list of that field.
FIELD_ROWS_SHOWN = 5


@dataclass(frozen=True)
class FieldGroup:
    field: Field
    commitments: list
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.commitments)


# What the partnership page's commitments section shows of each commitment (with its status and
# progress), templates/commitments/partnership_commitments.html: each column left out is one PostgreSQL
# does not carry through its joins and Python does not load, and a unit's descriptive columns are wide.
PARTNERSHIP_COMMITMENT_FIELDS = (
    "title",
    "due_on",
    "target_quantity",
    "target_unit",
    "target_value_vnd",
    "field__name",
    "owner__name",
)

# The partnership page's commitments section, which a commitment added in place replaces, and the ids
# of its add form (distinct from the other forms on that page).
IN_PLACE_TARGET = "partnership-commitments"
ADD_FORM_IDS = {"auto_id": "new-commitment-%s"}


@require_GET
def partnership_commitments(request, pk):
    """One partnership's commitments grouped by field; the partnership page embeds the "grouped" part,
    with a form for city staff to add one in place."""
    partnership = get_object_or_404(Partnership.objects.contents_visible_to(request.user).with_members(), pk=pk)
    fragment = bool(request.htmx) and not request.htmx.boosted
    return render_partnership_commitments(request, partnership, fragment=fragment)


@require_GET
def partnership_history(request, pk):
    """A partnership's latest changes, for those who may read its contents (a voided one's too): the
    partnership page embeds the "history" part once it is on screen; without JavaScript, a page of its own."""
    readable = Partnership.all_objects.contents_visible_to(request.user).with_member_names()
    partnership = get_object_or_404(readable, pk=pk)
    fragment = bool(request.htmx) and not request.htmx.boosted
    template = "commitments/partnership_history.html" + ("#history" if fragment else "")
    return render(request, template, {"partnership": partnership, "history": change_history(partnership)})


def render_partnership_commitments(request, partnership, *, add_form=None, added=None, fragment=False):
    """The grouped commitments; ``added`` (just created) is shown in its field even past FIELD_ROWS_SHOWN."""
    commitments = (
        Commitment.objects.visible_to(request.user)
        .filter(partnership=partnership)
        .with_status()
        .select_related("field", "owner")
        .only(*PARTNERSHIP_COMMITMENT_FIELDS)
        .order_by("field__order", "field__name", F("due_on").asc(nulls_last=True), "pk")
    )
    template = "commitments/partnership_commitments.html" + ("#grouped" if fragment else "")
    groups = [
        FieldGroup(field, shown_rows(rows, added), len(rows))
        for field, rows in ((field, list(rows)) for field, rows in groupby(commitments, key=attrgetter("field")))
    ]
    if add_form is None and can(request.user, "add_commitments"):
        add_form = CommitmentForm(partnership=partnership, user=request.user, **ADD_FORM_IDS)
    context = {"partnership": partnership, "groups": groups, "add_form": add_form, "added": added}
    return render(request, template, context)


def shown_rows(rows: list, added: int | None) -> list:
    first = rows[:FIELD_ROWS_SHOWN]
    return first + [row for row in rows[FIELD_ROWS_SHOWN:] if row.pk == added]


# --- Progress reports ----------------------------------------------------------------------------


def render_progress_form(request, form, commitment, update=None):
    """The progress form, as a page or (for htmx) as the body of the dialog it opens in."""
    context = {"form": form, "commitment": commitment, "update": update, "is_dialog": bool(request.htmx)}
    context["next"] = safe_next(request, "")
    context |= {
        "max_files": MAX_EVIDENCE_FILES,
        "max_bytes": settings.UPLOAD_MAX_BYTES,
        "max_megabytes": settings.UPLOAD_MAX_BYTES // (1024 * 1024),
        "offline_key": offline_key(request.user) if can(request.user, "use_unit_desk") else "",
    }
    template = "commitments/progress_form.html" + ("#form" if request.htmx else "")
    return render(request, template, context)


@require_GET_OR_POST
def progress_create(request, pk):
    forbid_leadership(request.user)
    # The form shows the share reached (progress_percent), and nothing of the field, owner or partnership.
    # A report that goes through is answered without the form: a POST leaves the share to
    # progress_percent, which reads it only when the form comes back.
    editable = Commitment.objects.editable_by(request.user)
    commitments = editable if request.method == "POST" else editable.with_progress()
    commitment = get_object_or_404(commitments, pk=pk)
    form = ProgressForm(request.POST or None, request.FILES or None, commitment=commitment)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["client_token"]
        # A replay of a report already filed is answered as sent, even when the terms changed since;
        # only a change of terms makes the replay worth a query (submit_progress finds it otherwise).
        if form.terms_changed() and not is_replay(request.user, token):
            form.show_terms_changed()
        else:
            try:
                update = services.submit_progress(
                    commitment=commitment, author=request.user, client_token=token, **form.report()
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                next_url = safe_next(request, commitment.get_absolute_url())
                text = _("Đã gửi báo cáo tiến độ, đang chờ Thành ủy xác nhận.")
                return progress_sent(request, update, next_url, text)
    return offline_page(request, render_progress_form(request, form, commitment))


def is_replay(author, token) -> bool:
    """Whether ``author`` already filed the report sent with ``token`` (a retried or double POST)."""
    return token is not None and ProgressUpdate.objects.filter(author=author, client_token=token).exists()


@require_GET_OR_POST
def progress_resubmit(request, pk):
    forbid_leadership(request.user)
    updates = ProgressUpdate.objects.editable_by(request.user).with_related()
    update = get_object_or_404(updates, pk=pk)
    form = ProgressForm(request.POST or None, request.FILES or None, commitment=update.commitment, instance=update)
    if update.state != ProgressUpdate.State.RETURNED and not form.is_conflicting_edit():
        # Also the answer to a replayed resubmission: the first one already went through.
        messages.info(request, _("Báo cáo này đang chờ xác nhận, không cần gửi lại."))
        return HttpResponseClientRedirect(update.get_absolute_url()) if request.htmx else redirect(update)
    if request.method == "POST" and form.is_valid():
        removed = form.cleaned_data["remove_evidence"]
        try:
            update = services.resubmit_progress(
                update=update, author=request.user, remove_evidence=removed, **form.report()
            )
        except services.EditConflict as conflict:
            form.show_conflict(conflict.latest)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            next_url = safe_next(request, update.get_absolute_url())
            return progress_sent(
                request, update, next_url, _("Đã gửi lại báo cáo tiến độ, đang chờ Thành ủy xác nhận.")
            )
    return render_progress_form(request, form, update.commitment, update)


@require_GET
def evidence_file(request, pk):
    """A stored evidence file, only for users who may read its report; ``?thumb=1`` gives a small JPEG."""
    evidence = get_object_or_404(Evidence.objects.visible_to(request.user), pk=pk)
    if request.GET.get("thumb") and evidence.kind == Evidence.Kind.PHOTO:
        response = HttpResponse(thumbnail(evidence), content_type="image/jpeg")
    else:
        content_type = mimetypes.guess_type(evidence.file.name)[0] or "application/octet-stream"
        response = FileResponse(
            evidence.file.open("rb"), content_type=content_type, filename=evidence.original_name or None
        )
    return protect_upload_response(response)


def thumbnail(evidence: Evidence) -> bytes:
    """A small JPEG of a stored photo, so lists of evidence stay light on a phone connection."""
    with evidence.file.open("rb") as stored, Image.open(stored) as image:
        image = ImageOps.exif_transpose(image)
        image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=75, optimize=True)
    return buffer.getvalue()


# --- Review --------------------------------------------------------------------------------------


def reviewable_updates(user):
    return (
        ProgressUpdate.objects.visible_to(user)
        .with_related()
        .select_related("reviewed_by")
        .prefetch_related("evidence")
    )


@require_GET
def review_queue(request):
    """Reports awaiting verification, oldest first unless sorted otherwise, filtered and searched; each
    filter choice shows how many reports it finds. htmx gets the filters and results (a filter
    change) or the results alone (a page turn)."""
    if not can(request.user, "verify_progress"):
        raise Http404
    # PostgreSQL's planning time grows steeply with each join (it tries every join order), and at
    # national scale the eight tables of reviewable_updates() took far longer to plan than to run.
    # Awaiting reports have no reviewer yet, and the page's single period and authors come cheaper
    # as prefetches.
    # The commitments come with their progress (with_progress(), the rule written once): one query.
    commitments = (
        Commitment.objects.with_progress()
        .select_related("field", "owner", "partnership")
        .prefetch_related(member_names_prefetch("partnership__memberships"))
    )
    updates = (
        ProgressUpdate.objects.visible_to(request.user)
        .prefetch_related(Prefetch("commitment", queryset=commitments), "period", "author", "evidence")
        .awaiting_review()
        .order_by("submitted_at", "pk")
    )
    if request.htmx and "adjustments_page" in request.GET:
        return render(request, "commitments/review_queue.html#adjustments", pending_adjustments(request))
    queue = ReviewFilterSet(request.GET or None, queryset=updates, request=request)
    rows = updates.none() if queue.is_bound and not queue.is_valid() else queue.qs
    results_only = bool(request.htmx) and not request.htmx.boosted and request.htmx.target == "results"
    if not results_only:
        queue.with_counts()
    page = paginate(request, rows)
    context = {
        "filter": queue,
        "page_obj": page,
        "updates": page.object_list,
        "return_form": ReturnForm(),
        "queue_url": request.get_full_path(),
    }
    template = "commitments/review_queue.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results" if results_only else "#queue"
    if not request.htmx or request.htmx.boosted:
        context |= pending_adjustments(request)  # its own section, paginated on its own
    return render(request, template, context)


def pending_adjustments(request) -> dict:
    """The queue's section of adjustment requests, oldest first, paginated on its own (?adjustments_page=)."""
    adjustments = (
        CommitmentAdjustment.objects.visible_to(request.user)
        .pending()
        .filter(commitment__voided_at__isnull=True)  # a voided commitment's terms are moot
        .with_related()
        .order_by("requested_at", "pk")
    )
    page = Paginator(adjustments, PAGE_SIZE).get_page(request.GET.get("adjustments_page"))
    return {"adjustments_page": page, "adjustments": page.object_list, "refuse_form": RefuseForm()}


@require_POST
def review_bulk(request):
    """Verify or return the reports ticked in the queue. Verifying several asks once for a confirmation
    (a page listing them); returning needs the one reason sent to each. Reports someone else reviewed
    meanwhile are left as they are and counted apart."""
    require_reviewer(request.user)
    form = BulkReviewForm(request.POST, queryset=reviewable_updates(request.user))
    back = safe_next(request, reverse("commitments:review_queue"))
    context = {"form": form, "next": back}
    if not form.is_valid():
        context["updates"] = selected_updates(request, form)
        return render(request, "commitments/review_bulk.html", context, status=200)
    chosen = sorted(form.cleaned_data["updates"], key=attrgetter("submitted_at", "pk"))
    action = form.cleaned_data["action"]
    if action == BulkReviewForm.VERIFY and not form.cleaned_data["confirmed"]:
        context["updates"] = chosen
        return render(request, "commitments/review_bulk.html", context)
    done = skipped = 0
    for update in chosen:
        try:
            if action == BulkReviewForm.VERIFY:
                services.verify_progress(update=update, reviewer=request.user)
            else:
                services.return_progress(update=update, reviewer=request.user, reason=form.cleaned_data["reason"])
        except ValidationError:
            skipped += 1
        else:
            done += 1
    if action == BulkReviewForm.VERIFY:
        text = ngettext("Đã xác nhận %(count)d báo cáo.", "Đã xác nhận %(count)d báo cáo.", done) % {"count": done}
    else:
        text = ngettext("Đã trả lại %(count)d báo cáo.", "Đã trả lại %(count)d báo cáo.", done) % {"count": done}
    messages.success(request, text)
    if skipped:
        messages.info(
            request,
            ngettext(
                "%(count)d báo cáo đã được người khác xem xét trước đó, không thay đổi.",
                "%(count)d báo cáo đã được người khác xem xét trước đó, không thay đổi.",
                skipped,
            )
            % {"count": skipped},
        )
    return redirect(back)


def selected_updates(request, form) -> list:
    """The ticked reports that exist and are visible, to list again beside the form's errors."""
    wanted = [value for value in request.POST.getlist("updates") if value.isdigit()]
    return list(reviewable_updates(request.user).filter(pk__in=wanted).order_by("submitted_at", "pk"))


@require_GET_OR_POST
def progress_reopen(request, pk):
    """Take back a verification made by mistake, with a reason; ``undo=1`` is the reviewer's own
    "Hoàn tác" in the queue, which needs no reason within services.UNDO_WINDOW."""
    require_reviewer(request.user)
    update = get_object_or_404(reviewable_updates(request.user), pk=pk)
    undo = request.POST.get("undo") == "1"
    form = ReopenForm(request.POST if request.method == "POST" and not undo else None)
    if request.method == "POST" and (undo or form.is_valid()):
        reason = "" if undo else form.cleaned_data["reason"]
        try:
            update = services.reopen_progress(update=update, reviewer=request.user, reason=reason, undo=undo)
        except ValidationError as error:
            if update.state != ProgressUpdate.State.VERIFIED:
                return reviewed_elsewhere(request, update)
            if undo:
                messages.info(request, _("Đã quá thời gian hoàn tác. Hãy nêu lý do để mở lại báo cáo."))
                url = reverse("commitments:progress_reopen", args=[update.pk])
                return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
            form.add_error(None, error)
        else:
            if undo and request.htmx:
                update = get_object_or_404(reviewable_updates(request.user), pk=pk)
                context = {"update": update, "return_form": ReturnForm()}
                response = render(request, "commitments/review_queue.html#row", context)
                return toast(response, _("Đã hoàn tác: báo cáo trở lại danh sách chờ xác nhận."))
            messages.success(request, _("Đã mở lại báo cáo; báo cáo trở lại danh sách chờ xác nhận."))
            return redirect(safe_next(request, update.get_absolute_url()))
    if update.state != ProgressUpdate.State.VERIFIED:
        return reviewed_elsewhere(request, update)
    return render(request, "commitments/progress_reopen.html", {"update": update, "form": form})


@require_POST
def progress_verify(request, pk):
    require_reviewer(request.user)
    update = get_object_or_404(reviewable_updates(request.user), pk=pk)
    try:
        update = services.verify_progress(update=update, reviewer=request.user)
    except ValidationError as error:
        if error.code == "total_too_large":
            return review_refused(request, update, error.messages[0])
        return reviewed_elsewhere(request, update)
    return review_done(request, update, _("Đã xác nhận báo cáo tiến độ."))


@require_GET_OR_POST
def progress_return(request, pk):
    """Send a report back with a reason; a page of its own without JavaScript, a row of the queue with."""
    require_reviewer(request.user)
    update = get_object_or_404(reviewable_updates(request.user), pk=pk)
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            update = services.return_progress(update=update, reviewer=request.user, reason=form.cleaned_data["reason"])
        except ValidationError:
            return reviewed_elsewhere(request, update)
        return review_done(request, update, _("Đã trả lại báo cáo cho đơn vị."))
    if update.state != ProgressUpdate.State.SUBMITTED:
        return reviewed_elsewhere(request, update)
    template = "commitments/review_queue.html#row" if request.htmx else "commitments/progress_return.html"
    return render(request, template, {"update": update, "return_form": form, "return_open": form.is_bound})


def review_done(request, update, text: str):
    if request.htmx:
        context = {"update": update, "can_undo": services.can_undo(update, request.user)}
        response = render(request, "commitments/review_queue.html#done-row", context)
        return toast(response, text)
    messages.success(request, text)
    return redirect("commitments:review_queue")


def reviewed_elsewhere(request, update):
    """Someone else reviewed it first (or this is a replayed POST): show the outcome, change nothing."""
    text = _("Báo cáo này đã được xem xét trước đó.")
    if request.htmx:
        update.refresh_from_db()
        return toast(render(request, "commitments/review_queue.html#done-row", {"update": update}), text, "info")
    messages.info(request, text)
    return redirect("commitments:review_queue")


def review_refused(request, update, text: str):
    """The review could not be recorded (see services.TOTAL_TOO_LARGE): the row stays, with the reason."""
    if request.htmx:
        context = {"update": update, "return_form": ReturnForm(), "review_error": text}
        return toast(render(request, "commitments/review_queue.html#row", context), text, "error")
    messages.error(request, text)
    return redirect("commitments:review_queue")


@require_POST
def adjustment_approve(request, pk):
    require_reviewer(request.user)
    adjustment = get_object_or_404(CommitmentAdjustment.objects.visible_to(request.user).with_related(), pk=pk)
    try:
        adjustment = services.approve_adjustment(adjustment=adjustment, reviewer=request.user)
    except ValidationError as error:
        if error.code == "does_not_fit":
            return adjustment_not_applied(request, adjustment, error.messages[0])
        return adjustment_decided_elsewhere(request, adjustment)
    return adjustment_done(request, adjustment, _("Đã duyệt đề nghị điều chỉnh; cam kết đã được cập nhật."))


@require_GET_OR_POST
def adjustment_refuse(request, pk):
    """Refuse a request with a reason; a page of its own without JavaScript, a row of the queue with."""
    require_reviewer(request.user)
    adjustment = get_object_or_404(CommitmentAdjustment.objects.visible_to(request.user).with_related(), pk=pk)
    form = RefuseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            adjustment = services.refuse_adjustment(
                adjustment=adjustment, reviewer=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError:
            return adjustment_decided_elsewhere(request, adjustment)
        return adjustment_done(request, adjustment, _("Đã không duyệt đề nghị điều chỉnh."))
    if not adjustment.is_pending:
        return adjustment_decided_elsewhere(request, adjustment)
    template = "commitments/review_queue.html#adjustment-row" if request.htmx else "commitments/adjustment_refuse.html"
    return render(request, template, {"adjustment": adjustment, "refuse_form": form, "refuse_open": form.is_bound})


def adjustment_done(request, adjustment, text: str):
    if request.htmx:
        response = render(request, "commitments/review_queue.html#adjustment-done-row", {"adjustment": adjustment})
        return toast(response, text)
    messages.success(request, text)
    return redirect("commitments:review_queue")


def adjustment_decided_elsewhere(request, adjustment):
    text = _("Đề nghị này đã được xem xét trước đó.")
    if request.htmx:
        adjustment.refresh_from_db()
        response = render(request, "commitments/review_queue.html#adjustment-done-row", {"adjustment": adjustment})
        return toast(response, text, "info")
    messages.info(request, text)
    return redirect("commitments:review_queue")


def adjustment_not_applied(request, adjustment, text: str):
    if request.htmx:
        context = {"adjustment": adjustment, "refuse_form": RefuseForm(), "adjustment_error": text}
        return toast(render(request, "commitments/review_queue.html#adjustment-row", context), text, "error")
    messages.error(request, text)
    return redirect("commitments:review_queue")


def paginate(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# --- My unit -------------------------------------------------------------------------------------


MY_UNIT_SECTION_LIMIT = 10
MY_UNIT_PARTNERSHIPS_CACHE_SECONDS = 60 * 60

# What "my unit" shows of a commitment (with its status, progress and whether it was reported this period).
MY_UNIT_COMMITMENT_FIELDS = (
    "title",
    "start_on",
    "due_on",
    "target_quantity",
    "target_unit",
    "target_value_vnd",
    "achieved_quantity",
    "achieved_value_vnd",
    "field__name",
    "owner__name",
    "partnership__title",
)

# What "my unit" shows of a progress report (templates/commitments/my_unit.html): its link, commitment
# and period, and for a returned one what it reported, who returned it, when and why.
MY_UNIT_UPDATE_FIELDS = (
    "commitment__title",
    "period__kind",
    "period__year",
    "period__number",
    "submitted_at",
)
MY_UNIT_RETURNED_FIELDS = (
    "achieved_quantity",
    "achieved_value_vnd",
    "commitment__target_unit",
    "return_reason",
    "reviewed_at",
    "reviewed_by__first_name",
    "reviewed_by__last_name",
    "reviewed_by__username",
)


@require_GET
def my_unit(request):
    """A unit officer's desk: what the unit owes, what is overdue, what came back and why.

    Only unit officers have a unit; for every other role the page does not exist (404), consistent
    with the other routes that are out of a role's reach.
    """
    if not can(request.user, "use_unit_desk"):
        raise Http404
    today = timezone.localdate()
    period = ReportingPeriod.quarter_containing(today)
    commitments = (
        Commitment.objects.visible_to(request.user)
        .filter(completed_on__isnull=True)
        .with_status(today)
        .with_related()
        .with_reported_in(period)
        .only(*MY_UNIT_COMMITMENT_FIELDS)
        .order_by(F("due_on").asc(nulls_last=True), "pk")
    )
    # Only what the page shows is joined and read: each extra table multiplies PostgreSQL's planning
    # time, and each column loaded is Python work on every row.
    own_updates = ProgressUpdate.objects.editable_by(request.user).select_related("commitment", "period")
    pairing = change_version(PAIRING_COUNTER)
    context = {
        "commune": request.user.commune,
        "period": period,
        "offline_key": offline_key(request.user),
        # The unit's partnerships change seldom: their section is cached (see the template) under the
        # pairing counter, and the template calls this only when it renders the section afresh.
        "partnerships": partial(unit_partnerships, request.user),
        "partnerships_cache": {
            "seconds": MY_UNIT_PARTNERSHIPS_CACHE_SECONDS if pairing else 0,
            "key": [pairing, today, request.user.commune_id],
        },
        "returned": own_updates.filter(state=ProgressUpdate.State.RETURNED)
        .select_related("reviewed_by")
        .only(*MY_UNIT_UPDATE_FIELDS, *MY_UNIT_RETURNED_FIELDS)
        .order_by("-reviewed_at", "-pk"),
        "waiting": own_updates.awaiting_review().only(*MY_UNIT_UPDATE_FIELDS).order_by("-submitted_at", "-pk"),
    }
    # A unit of the national-scale programme can owe over a hundred commitments: the desk shows the
    # first ones of each section (soonest due first) with their totals and a link to the full list.
    sections = split_unit_commitments(load_partnership_names(commitments), request.user.commune_id, today)
    context["totals"] = {name: len(rows) for name, rows in sections.items()}
    context |= {name: rows[:MY_UNIT_SECTION_LIMIT] for name, rows in sections.items()}
    # Reports pile up while they wait for the city's review: read the first ones and their total in
    # one query each rather than every report. Fixing a returned one brings the next into view.
    for name in ("waiting", "returned"):
        context[name], context["totals"][name] = first_rows_and_total(context.pop(name), MY_UNIT_SECTION_LIMIT)
    return offline_page(request, render(request, "commitments/my_unit.html", context))


def unit_partnerships(user):
    """The partnerships of an officer's unit with their members, as "my unit" lists them."""
    return (
        Partnership.objects.contents_visible_to(user)
        .with_members(names_only=True)
        .only("title")
        .order_by("title", "pk")
    )


# --- Offline use on a phone (static/js/sw.js, static/js/progress.js) ----------------------------


def offline_key(user) -> str:
    """Names the signed-in user's cache and outbox on the phone without revealing who it is."""
    return salted_hmac("commitments.offline_key", str(user.pk), algorithm="sha256").hexdigest()[:20]


def offline_page(request, response):
    """Mark a page the service worker may keep for this officer to open offline.

    Only "my unit" and the progress form, whole pages shown by GET to a unit officer, carry the mark;
    the worker caches nothing else (no list, report or other unit's page).
    """
    if request.method in ("GET", "HEAD") and not request.htmx and can(request.user, "use_unit_desk"):
        response["X-Offline-Key"] = offline_key(request.user)
    return response


@require_safe
def service_worker(request):
    """The service worker, from the site root so that its scope covers the officer's pages. Like every
    page it needs a signed-in user: browsers send the session cookie with the worker's script."""
    context = {
        "offline_title": _("Không có mạng"),
        "offline_text": _(
            "Trang này chưa được lưu trên máy. Các trang đã lưu: “Đơn vị của tôi” và biểu mẫu báo cáo tiến độ."
        ),
        "my_unit": _("Mở “Đơn vị của tôi”"),
    }
    response = render(request, "commitments/service_worker.js", context, content_type="text/javascript; charset=utf-8")
    # Like every page behind login it is served no-store (accounts.middleware): a deployment's new
    # worker is picked up at the next visit.
    return response


@require_safe
def web_manifest(request):
    """The web app manifest: officers can add the portal to their home screen and open it standalone.
    base.html links it with crossorigin="use-credentials", so the signed-in user's cookie goes along."""
    manifest = {
        "name": _("Cổng thông tin kết nghĩa – Thành ủy Đà Nẵng"),
        "short_name": _("Kết nghĩa"),
        "lang": "vi",
        "start_url": reverse("commitments:my_unit"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#a4161a",
        "icons": [
            {"src": static("img/favicon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    response = JsonResponse(
        manifest, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )
    # Data, never a document: nothing in it may load, run or be framed (as for a stored file).
    response["Content-Security-Policy"] = "default-src 'none'; sandbox; frame-ancestors 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


def first_rows_and_total(queryset, limit: int) -> tuple[list, int]:
    """The first ``limit`` rows of ``queryset`` and how many it holds, in one query (COUNT(*) OVER ())."""
    rows = list(queryset.annotate(total_rows=Window(Count("pk")))[:limit])
    return rows, rows[0].total_rows if rows else 0


def split_unit_commitments(commitments, unit_code: str, today) -> dict:
    """Sort one query's rows into the sections of "my unit"; no further queries."""
    sections = {"overdue": [], "owed": [], "later": [], "for_us": []}
    for commitment in commitments:
        if commitment.owner_id != unit_code:
            sections["for_us"].append(commitment)
        elif commitment.status == Commitment.Status.OVERDUE:
            sections["overdue"].append(commitment)
        elif commitment.start_on > today:
            sections["later"].append(commitment)
        else:
            sections["owed"].append(commitment)
    return sections


# --- Void and restore ("hủy do nhập sai"): city staff only; leadership writes nothing ----------------

VOIDABLE = {"commitment": Commitment, "progress": ProgressUpdate}


def voidable_record(request, kind: str, pk: int):
    """The record of ``kind`` (voided or not) city staff may void or restore; to others it does not exist."""
    forbid_leadership(request.user)
    model = VOIDABLE.get(kind)
    if model is None or not can(request.user, "void_records"):
        raise Http404
    return get_object_or_404(model.all_objects.visible_to(request.user), pk=pk)


def record_page(record) -> str:
    """Where a record is read: the commitment's page (which shows a voided commitment too)."""
    return reverse("commitments:commitment_detail", args=[getattr(record, "commitment_id", record.pk)])


@require_GET_OR_POST
def record_void(request, kind, pk):
    record = voidable_record(request, kind, pk)
    if isinstance(record, Commitment):
        note = _("Các báo cáo tiến độ chưa xác nhận của cam kết này được hủy cùng.")
        done = reverse("commitments:partnership_commitments", args=[record.partnership_id])
    else:
        note, done = "", record_page(record)
    return void_page(
        request, record, void=services.void_record, back_url=record_page(record), done_url=done, contents_note=note
    )


@require_POST
def record_restore(request, kind, pk):
    record = voidable_record(request, kind, pk)
    return restore_page(request, record, restore=services.restore_record, done_url=record_page(record))
