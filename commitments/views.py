"""Pages of the commitments app: the list, one commitment, progress reports and their review, "my unit".

Access: reads go through ``visible_to``, writes through ``editable_by``; anything out of reach is a
404. Leadership is read-only, so every write route answers 403 to a leader before any lookup.
"""

import io
import mimetypes
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, Window
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_filters.views import FilterView
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event
from PIL import Image, ImageOps

from communes.forms import unit_suggestion
from core.views import MAX_SUGGESTIONS, HtmxFragmentMixin, render_suggestions, restore_page, typed_text, void_page
from partnerships.models import Partnership, member_names_prefetch

from . import services
from .filtersets import CommitmentFilterSet, owner_choices
from .forms import CommitmentForm, ProgressForm, RefuseForm, ReturnForm
from .models import COMMITMENT_URL, Commitment, CommitmentAdjustment, Evidence, Field, ProgressUpdate, ReportingPeriod

PAGE_SIZE = 25
THUMBNAIL_SIDE = 480


# A form page: shown by GET, sent by POST; PUT, PATCH and DELETE get 405 (RELIABILITY D2).
require_GET_OR_POST = require_http_methods(["GET", "HEAD", "POST"])
UPDATES_PER_PAGE = 10  # progress reports per page of a commitment


def forbid_leadership(user) -> None:
    """Leadership reads everything and writes nothing: a write route answers 403 before any lookup."""
    if user.is_leadership:
        raise PermissionDenied


def require_reviewer(user) -> None:
    """Only city staff (and administrators) review progress; to everyone else the queue does not exist."""
    forbid_leadership(user)
    if not user.is_city_staff:
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


class CommitmentListView(HtmxFragmentMixin, FilterView):
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
            .with_partnership_names()
            .order_by(F("due_on").asc(nulls_last=True), "pk")
        )


commitment_list = CommitmentListView.as_view()


@require_GET
def owner_suggestions(request):
    """At most 20 units owning commitments the user may read, matching the typed name or code."""
    text = typed_text(request)
    units = owner_choices(request).search(text)[:MAX_SUGGESTIONS] if text else []
    return render_suggestions(request, [(unit_suggestion(unit), unit.former_district) for unit in units])


@require_GET
def commitment_detail(request, pk):
    """A commitment and its progress reports, newest first, UPDATES_PER_PAGE a page: a long-running
    commitment gathers hundreds over the years. htmx pages through the reports section alone."""
    # A voided commitment stays readable here (with its banner and "Khôi phục"); lists leave it out.
    commitments = Commitment.all_objects.visible_to(request.user).with_status().with_related().with_partnership_names()
    commitment = get_object_or_404(commitments, pk=pk)
    updates = (
        commitment.updates.select_related("period", "author", "reviewed_by")
        .prefetch_related("evidence")
        .order_by("-submitted_at", "-pk")
    )
    page = Paginator(updates, UPDATES_PER_PAGE).get_page(updates_page_number(request, updates))
    adjustments = list(
        commitment.adjustments.select_related("requested_by", "decided_by").order_by("-requested_at", "-pk")
    )
    context = {
        "commitment": commitment,
        "updates": page.object_list,
        "page_obj": page,
        "can_edit": commitment.is_editable_by(request.user),
        "adjustments": adjustments,
        "target_note": next((note for note in (a.target_note() for a in adjustments) if note), ""),
        "can_void": request.user.is_city_staff,
        "voided_updates": (
            ProgressUpdate.all_objects.filter(commitment=commitment, voided_at__isnull=False)
            .select_related("period", "voided_by", "commitment")
            .order_by("-voided_at")
            if request.user.is_city_staff and "voided" in request.GET
            else None
        ),
    }
    template = "commitments/commitment_detail.html"
    if request.htmx and not request.htmx.boosted and "page" in request.GET:
        template += "#updates"
    return render(request, template, context)


def updates_page_number(request, updates) -> str | int | None:
    """``?page=``, or else the page holding ``?update=<pk>``: a link to one report lands on its page."""
    wanted = request.GET.get("update", "")
    if "page" not in request.GET and wanted.isdigit():
        target = updates.filter(pk=int(wanted)).values_list("submitted_at", flat=True).first()
        if target is not None:
            newer = updates.filter(Q(submitted_at__gt=target) | Q(submitted_at=target, pk__gt=int(wanted)))
            return newer.count() // UPDATES_PER_PAGE + 1
    return request.GET.get("page")


@require_GET_OR_POST
def commitment_create(request):
    """City staff add a commitment to the partnership named by ``?partnership=``; without one, pick it."""
    forbid_leadership(request.user)
    if not request.user.is_city_staff:
        raise Http404
    partnerships = (
        Partnership.objects.editable_by(request.user).with_member_names(names_only=True).order_by("title", "pk")
    )
    selected = request.GET.get("partnership", "")
    partnership = partnerships.filter(pk=selected).first() if selected.isdigit() else None
    if partnership is None:
        return render(request, "commitments/commitment_form.html", {"partnerships": partnerships})
    form = CommitmentForm(request.POST or None, partnership=partnership, user=request.user)
    if request.method == "POST" and form.is_valid():
        commitment = services.save_commitment(commitment=form.save(commit=False), editor=request.user)
        return saved(request, commitment.get_absolute_url(), _("Đã thêm cam kết."))
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


@require_GET
def partnership_commitments(request, pk):
    """One partnership's commitments grouped by field; the partnership page embeds the "grouped" part."""
    partnership = get_object_or_404(Partnership.objects.contents_visible_to(request.user).with_members(), pk=pk)
    commitments = (
        Commitment.objects.visible_to(request.user)
        .filter(partnership=partnership)
        .with_status()
        .select_related("field", "owner")
        .order_by("field__order", "field__name", F("due_on").asc(nulls_last=True), "pk")
    )
    template = "commitments/partnership_commitments.html"
    if request.htmx and not request.htmx.boosted:
        template += "#grouped"
    groups = [
        FieldGroup(field, rows[:FIELD_ROWS_SHOWN], len(rows))
        for field, rows in ((field, list(rows)) for field, rows in groupby(commitments, key=attrgetter("field")))
    ]
    return render(request, template, {"partnership": partnership, "groups": groups})


# --- Progress reports ----------------------------------------------------------------------------


def render_progress_form(request, form, commitment, update=None):
    """The progress form, as a page or (for htmx) as the body of the dialog it opens in."""
    context = {"form": form, "commitment": commitment, "update": update, "is_dialog": bool(request.htmx)}
    context["next"] = safe_next(request, "")
    template = "commitments/progress_form.html" + ("#form" if request.htmx else "")
    return render(request, template, context)


@require_GET_OR_POST
def progress_create(request, pk):
    forbid_leadership(request.user)
    commitment = get_object_or_404(Commitment.objects.editable_by(request.user).with_related(), pk=pk)
    form = ProgressForm(request.POST or None, request.FILES or None, commitment=commitment)
    if request.method == "POST" and form.is_valid():
        try:
            token = form.cleaned_data["client_token"]
            update = services.submit_progress(
                commitment=commitment, author=request.user, client_token=token, **form.report()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            next_url = safe_next(request, commitment.get_absolute_url())
            return progress_sent(request, update, next_url, _("Đã gửi báo cáo tiến độ, đang chờ Thành ủy xác nhận."))
    return render_progress_form(request, form, commitment)


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
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=86400"
    return response


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
    """Reports awaiting verification, oldest first."""
    if not request.user.is_city_staff:
        raise Http404
    # PostgreSQL's planning time grows steeply with each join (it tries every join order): the eight
    # tables of reviewable_updates() took ~70 ms to plan and 2 ms to run at national scale. Awaiting
    # reports have no reviewer yet, and the page's single period and 25 authors come cheaper as two
    # prefetches: five tables plan in ~2 ms.
    updates = (
        ProgressUpdate.objects.visible_to(request.user)
        .select_related("commitment__field", "commitment__owner", "commitment__partnership")
        .prefetch_related("period", "author", "evidence", member_names_prefetch("commitment__partnership__memberships"))
        .awaiting_review()
        .order_by("submitted_at", "pk")
    )
    if request.htmx and "adjustments_page" in request.GET:
        return render(request, "commitments/review_queue.html#adjustments", pending_adjustments(request))
    page = paginate(request, updates)
    context = {"page_obj": page, "updates": page.object_list, "return_form": ReturnForm()}
    if request.htmx:
        return render(request, "commitments/review_queue.html#results", context)
    context |= pending_adjustments(request)
    return render(request, "commitments/review_queue.html", context)


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
        response = render(request, "commitments/review_queue.html#done-row", {"update": update})
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


@require_GET
def my_unit(request):
    """A unit officer's desk: what the unit owes, what is overdue, what came back and why.

    Only unit officers have a unit; for every other role the page does not exist (404), consistent
    with the other routes that are out of a role's reach.
    """
    if not request.user.is_unit_officer:
        raise Http404
    today = timezone.localdate()
    period = ReportingPeriod.quarter_containing(today)
    commitments = (
        Commitment.objects.visible_to(request.user)
        .filter(completed_on__isnull=True)
        .with_status(today)
        .with_related()
        .with_partnership_names()
        .with_reported_in(period)
        .order_by(F("due_on").asc(nulls_last=True), "pk")
    )
    # Only what the page shows is joined: each extra table multiplies PostgreSQL's planning time.
    own_updates = ProgressUpdate.objects.editable_by(request.user).select_related("commitment", "period")
    context = {
        "commune": request.user.commune,
        "period": period,
        "partnerships": Partnership.objects.contents_visible_to(request.user).with_members().order_by("title", "pk"),
        "returned": own_updates.filter(state=ProgressUpdate.State.RETURNED)
        .select_related("reviewed_by")
        .order_by("-reviewed_at", "-pk"),
        "waiting": own_updates.awaiting_review().order_by("-submitted_at", "-pk"),
    }
    # A unit of the national-scale programme can owe over a hundred commitments: the desk shows the
    # first ones of each section (soonest due first) with their totals and a link to the full list.
    sections = split_unit_commitments(commitments, request.user.commune_id, today)
    context["totals"] = {name: len(rows) for name, rows in sections.items()}
    context |= {name: rows[:MY_UNIT_SECTION_LIMIT] for name, rows in sections.items()}
    # Reports pile up while they wait for the city's review: read the first ones and their total in
    # one query each rather than every report. Fixing a returned one brings the next into view.
    for name in ("waiting", "returned"):
        context[name], context["totals"][name] = first_rows_and_total(context.pop(name), MY_UNIT_SECTION_LIMIT)
    return render(request, "commitments/my_unit.html", context)


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
    if model is None or not request.user.is_city_staff:
        raise Http404
    return get_object_or_404(model.all_objects.visible_to(request.user), pk=pk)


def record_page(record) -> str:
    """Where a record is read: the commitment's page (which shows a voided commitment too)."""
    return COMMITMENT_URL(getattr(record, "commitment_id", record.pk))


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
