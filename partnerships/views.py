"""Partnership pages: the list, one partnership, its members, documents and activities."""

import mimetypes

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.generic import CreateView, DetailView, FormView, TemplateView, UpdateView, View
from django_filters.views import FilterView
from django_htmx.http import trigger_client_event

from accounts.permissions import can
from accounts.quotas import charge_uploads
from communes.models import Commune
from core.cache import PAIRING_COUNTER, change_version
from core.files import protect_upload_response
from core.views import (
    MAX_SUGGESTIONS,
    CachedFilterFormMixin,
    HtmxFragmentMixin,
    render_suggestions,
    restore_page,
    typed_text,
    void_page,
)

from . import services
from .filtersets import BasePartnershipFilterSet, UnitDirectoryFilterSet
from .forms import (
    ActivityForm,
    DocumentForm,
    MemberLeaveForm,
    MembershipForm,
    PartnershipForm,
    partnership_search,
    partnership_suggestion,
)
from .models import Activity, ActivityPhoto, Document, Membership, Partnership, with_pairing_count
from .uploads import save_with_uploads

DETAIL_TEMPLATE = "partnerships/partnership_detail.html"


# Form views: shown by GET, sent by POST; Django's edit views would also take PUT (RELIABILITY D2).
FORM_METHODS = ["get", "post", "head", "options"]


def detail_queryset(user):
    """A partnership as its pages show it: members, legal basis and what the user may read (the detail
    page adds its health after the lookup, see commitments.views.PartnershipDetailView)."""
    return (
        # A voided partnership stays readable here (with its banner and "Khôi phục"); lists leave it out.
        # Who voided it is read by the banner only, so only for the rare voided one (not joined here).
        Partnership.all_objects.visible_to(user)
        .select_related("legal_basis", "assigning_document")
        .with_member_names()
        .with_former_members()
        .with_contents_visibility(user)
    )


def is_member_officer(user, partnership: Partnership) -> bool:
    """Uses the prefetched members."""
    return user.is_unit_officer and any(m.commune_id == user.commune_id for m in partnership.memberships.all())


class NoLeadershipWritesMixin:
    """Leadership reads everything and writes nothing: 403 before any lookup."""

    def dispatch(self, request, *args, **kwargs):
        if not can(request.user, "write_records"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class CityStaffOnlyMixin:
    """Creating partnerships is for city staff only: everyone else gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if not can(request.user, "edit_partnerships"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class EditablePartnershipMixin(NoLeadershipWritesMixin):
    """The partnership named in the URL, if the user may change it (else 404)."""

    def get_partnership(self) -> Partnership:
        if not hasattr(self, "partnership"):
            editable = Partnership.objects.editable_by(self.request.user).with_member_names()
            self.partnership = get_object_or_404(editable, pk=self.kwargs["pk"])
        return self.partnership


def members_response(request, partnership: Partnership, *, form=None, error: str = ""):
    """Re-render the members card after an htmx write, with a toast."""
    partnership = get_object_or_404(detail_queryset(request.user), pk=partnership.pk)
    context = {
        "partnership": partnership,
        "can_edit": True,
        "member_form": form or MembershipForm(partnership=partnership),
        "member_error": error,
    }
    response = render(request, f"{DETAIL_TEMPLATE}#members", context)
    text = error or (_("Chưa lưu được, vui lòng kiểm tra lại.") if form is not None else _("Đã lưu"))
    kind = "success" if not error and form is None else "error"
    return trigger_client_event(response, "toast", {"text": text, "kind": kind})


# What the list shows of each partnership (templates/partnerships/partnership_list.html), besides its
# members and health: not the long text columns (summary, source, reasons) nor the dates it leaves out.
PARTNERSHIP_LIST_FIELDS = ("title", "status", "signed_on", "is_demo")


class BasePartnershipListView(CachedFilterFormMixin, HtmxFragmentMixin, FilterView):
    """The list of partnerships, by what they are and who their members are. The list is served with its
    commitments' facts added (each row's health, the filter by field): commitments.views.PartnershipListView."""

    filterset_class = BasePartnershipFilterSet
    template_name = "partnerships/partnership_list.html"
    fragment_name = "results"
    paginate_by = 25

    def get_queryset(self):
        user = self.request.user
        # Voided rows only for the "Đã hủy" filter (BasePartnershipFilterSet.voided), which then keeps only them.
        manager = Partnership.all_objects if self.request.GET.get("voided") else Partnership.objects
        return (
            manager.visible_to(user)
            .with_member_names(names_only=True)
            .with_contents_visibility(user)
            .only(*PARTNERSHIP_LIST_FIELDS)
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["partnerships"] = context["page_obj"].object_list
        # Embedded in another page (a commune's), the fragment must not push its own URL to history.
        current = self.request.htmx.current_url_abs_path if self.request.htmx else None
        context["embedded"] = bool(current) and current.split("?")[0] != self.request.path
        return context


@require_GET
def partnership_suggestions(request):
    """At most 20 partnerships whose contents the user may read, matching a number, title or member name."""
    text = typed_text(request)
    if not text:
        return render_suggestions(request, [])
    partnerships = partnership_search(Partnership.objects.contents_visible_to(request.user), text)
    rows = partnerships.with_member_names(names_only=True).order_by("title", "pk")[:MAX_SUGGESTIONS]
    return render_suggestions(request, [(partnership_suggestion(p), p.get_status_display()) for p in rows])


class BasePartnershipDetailView(DetailView):
    """One partnership. Its commitments and its change history come from the commitments app
    (commitments:partnership_commitments, commitments:partnership_history), which the page embeds; the
    page is served with its health added: commitments.views.PartnershipDetailView."""

    template_name = DETAIL_TEMPLATE

    def get_queryset(self):
        return detail_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        partnership, user = self.object, self.request.user
        context = {
            "can_edit": can(user, "edit_partnerships"),
            "can_log_activity": False,
            # Once: the page shows it three times, and each call of display_name() builds a prefetch.
            "display_name": partnership.display_name(),
        }
        if partnership.can_see_contents:
            photos = Prefetch("photos", ActivityPhoto.objects.order_by("pk"))
            context |= {
                "documents": Document.objects.visible_to(user).filter(partnership=partnership),
                "activities": Activity.objects.visible_to(user)
                .filter(partnership=partnership)
                .prefetch_related(photos),
                "can_log_activity": can(user, "log_activity_anywhere") or is_member_officer(user, partnership),
            }
        if context["can_edit"]:
            context |= {"member_form": MembershipForm(partnership=partnership), "document_form": DocumentForm()}
            context["voided_rows"] = voided_rows(partnership) if "voided" in self.request.GET else None
        return super().get_context_data(**context, **kwargs)


class PartnershipCreateView(CityStaffOnlyMixin, CreateView):
    http_method_names = FORM_METHODS
    form_class = PartnershipForm
    template_name = "partnerships/partnership_form.html"

    def form_valid(self, form):
        try:
            self.object = services.create_partnership(
                partnership=form.save(commit=False), members=form.members(), user=self.request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Đã tạo quan hệ kết nghĩa."))
        return redirect(self.object)


class PartnershipUpdateView(EditablePartnershipMixin, UpdateView):
    http_method_names = FORM_METHODS
    form_class = PartnershipForm
    template_name = "partnerships/partnership_form.html"

    def get_object(self, queryset=None):
        return self.get_partnership()

    def form_valid(self, form):
        try:
            services.update_partnership(
                partnership=form.save(commit=False),
                members=form.members(),
                user=self.request.user,
                members_changed_on=form.cleaned_data.get("members_changed_on"),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Đã lưu thay đổi."))
        return redirect(self.object)


class MemberAddView(EditablePartnershipMixin, HtmxFragmentMixin, FormView):
    """Add a supporting unit; htmx swaps the members card, without JavaScript the page reloads."""

    http_method_names = FORM_METHODS
    form_class = MembershipForm
    template_name = "partnerships/membership_form.html"
    fragment_name = "form"

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"partnership": self.get_partnership()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(partnership=self.get_partnership(), **kwargs)

    def form_valid(self, form):
        form.instance.partnership = self.get_partnership()
        try:
            services.add_member(membership=form.instance, user=self.request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        if self.request.htmx:
            return members_response(self.request, self.partnership)
        messages.success(self.request, _("Đã thêm %(name)s.") % {"name": form.instance.commune.name})
        return redirect(reverse("partnerships:partnership_detail", args=[self.partnership.pk]) + "#members")

    def form_invalid(self, form):
        if self.request.htmx:
            return members_response(self.request, self.get_partnership(), form=form)
        return super().form_invalid(form)


class MemberRoleView(EditablePartnershipMixin, View):
    """Change one supporting unit's role (lead or co-supporter) from its row of the members card."""

    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        # Any other method is 405 for everyone, as on the other POST-only routes, before the leadership 403.
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        partnership = self.get_partnership()
        editable = Membership.objects.on().filter(partnership__in=Partnership.objects.editable_by(request.user))
        membership = get_object_or_404(
            editable.select_related("commune"), pk=kwargs["membership_pk"], partnership=partnership
        )
        error = ""
        try:
            services.change_member_role(membership=membership, role=request.POST.get("role", ""), user=request.user)
        except ValidationError as refusal:
            error = " ".join(refusal.messages)
        if request.htmx:
            return members_response(request, partnership, error=error)
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Đã đổi vai trò của %(name)s.") % {"name": membership.commune.name})
        return redirect(reverse("partnerships:partnership_detail", args=[partnership.pk]) + "#members")


class MemberRemoveView(NoLeadershipWritesMixin, HtmxFragmentMixin, TemplateView):
    """GET asks for confirmation (works without JavaScript); POST removes, unless the database refuses."""

    template_name = "partnerships/membership_confirm_delete.html"
    fragment_name = "confirm"

    def get_membership(self) -> Membership:
        editable = Membership.objects.on().filter(partnership__in=Partnership.objects.editable_by(self.request.user))
        return get_object_or_404(
            editable.select_related("commune", "partnership"),
            pk=self.kwargs["membership_pk"],
            partnership=self.kwargs["pk"],
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(membership=self.get_membership(), form=MemberLeaveForm(), **kwargs)

    def post(self, request, *args, **kwargs):
        membership = self.get_membership()
        form = MemberLeaveForm(request.POST)
        try:
            if not form.is_valid():
                raise ValidationError([error for errors in form.errors.values() for error in errors])
            left_on = form.cleaned_data["left_on"]
            services.remove_member(membership=membership, user=request.user, left_on=left_on)
        except ValidationError as error:
            return self.done(membership, error=" ".join(error.messages))
        return self.done(membership)

    def done(self, membership: Membership, *, error: str = ""):
        if self.request.htmx:
            return members_response(self.request, membership.partnership, error=error)
        if error:
            messages.error(self.request, error)
        else:
            messages.success(
                self.request, _("Đã bỏ %(name)s khỏi quan hệ kết nghĩa.") % {"name": membership.commune.name}
            )
        return redirect(reverse("partnerships:partnership_detail", args=[membership.partnership_id]) + "#members")


class DocumentUploadView(EditablePartnershipMixin, FormView):
    http_method_names = FORM_METHODS
    form_class = DocumentForm
    template_name = "partnerships/document_form.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(partnership=self.get_partnership(), **kwargs)

    def form_valid(self, form):
        document = form.save(commit=False)
        document.partnership = self.get_partnership()
        document.uploaded_by = self.request.user
        try:
            with transaction.atomic():
                charge_uploads(self.request.user, [form.cleaned_data["file"].size])
                save_with_uploads(document)  # disk full: a Vietnamese error, no row, no file
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Đã tải lên văn bản “%(title)s”.") % {"title": document.title})
        return redirect(reverse("partnerships:partnership_detail", args=[document.partnership_id]) + "#documents")


class ActivityCreateView(FormView):
    """City staff, or an officer of a member unit, logs an activity with photos from a phone."""

    http_method_names = FORM_METHODS
    form_class = ActivityForm
    template_name = "partnerships/activity_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not can(request.user, "write_records"):  # before the lookup: a leader gets 403, not 404
            raise PermissionDenied
        loggable = Partnership.objects.activities_loggable_by(request.user).with_member_names()
        self.partnership = get_object_or_404(loggable, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(partnership=self.partnership, **kwargs)

    def form_valid(self, form):
        try:
            services.log_activity(
                activity=form.save(commit=False),
                partnership=self.partnership,
                photos=form.cleaned_data["photos"],
                user=self.request.user,
            )
        except ValidationError as error:  # disk full while storing the photos: nothing was kept
            form.add_error(None, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Đã ghi nhận hoạt động."))
        return redirect(reverse("partnerships:partnership_detail", args=[self.partnership.pk]) + "#activities")


def protected_file(field_file, *, filename: str = "") -> FileResponse:
    """Serve a stored upload inline, sandboxed: never as HTML, never with scripts."""
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = mimetypes.guess_type(field_file.name)[0] or "application/octet-stream"
    response = FileResponse(handle, as_attachment=False, filename=filename or None, content_type=content_type)
    return protect_upload_response(response)


@require_GET
def document_file(request, pk):
    document = get_object_or_404(Document.objects.visible_to(request.user), pk=pk)
    return protected_file(document.file, filename=document.original_name)


@require_GET
def activity_photo(request, pk):
    photo = get_object_or_404(ActivityPhoto.objects.visible_to(request.user), pk=pk)
    return protected_file(photo.image)


# --- Void and restore ("hủy do nhập sai"): city staff only; leadership writes nothing ----------------


def voided_rows(partnership: Partnership) -> list:
    """The partnership's voided activities and documents, newest voided first (two queries)."""
    rows = []
    for kind, model in (("activity", Activity), ("document", Document)):
        for row in model.all_objects.filter(partnership=partnership, voided_at__isnull=False).select_related(
            "voided_by"
        ):
            row.void_kind = kind
            rows.append(row)
    return sorted(rows, key=lambda row: row.voided_at, reverse=True)


VOIDABLE = {"partnership": Partnership, "activity": Activity, "document": Document}


def voidable_record(request, kind: str, pk: int):
    """The record of ``kind`` (voided or not) city staff may void or restore; to others it does not exist."""
    if not can(request.user, "write_records"):
        raise PermissionDenied
    model = VOIDABLE.get(kind)
    if model is None or not can(request.user, "void_records"):
        raise Http404
    return get_object_or_404(model.all_objects.visible_to(request.user), pk=pk)


def record_page(record) -> str:
    """Where a record is read: its partnership's page (which shows a voided partnership too)."""
    return reverse("partnerships:partnership_detail", args=[getattr(record, "partnership_id", record.pk)])


@require_http_methods(["GET", "HEAD", "POST"])
def record_void(request, kind, pk):
    record = voidable_record(request, kind, pk)
    is_partnership = isinstance(record, Partnership)
    note = (
        _("Các cam kết, hoạt động, văn bản và báo cáo tiến độ chưa xác nhận của quan hệ này được hủy cùng.")
        if is_partnership
        else ""
    )
    done = reverse("partnerships:partnership_list") if is_partnership else record_page(record)
    return void_page(
        request, record, void=services.void_record, back_url=record_page(record), done_url=done, contents_note=note
    )


@require_POST
def record_restore(request, kind, pk):
    record = voidable_record(request, kind, pk)
    return restore_page(request, record, restore=services.restore_record, done_url=record_page(record))


DIRECTORY_CACHE_SECONDS = 60 * 60


class UnitDirectoryView(CachedFilterFormMixin, HtmxFragmentMixin, FilterView):
    """The directory of the 94 units with how many partnerships each is in (served as communes:commune_list)."""

    filterset_class = UnitDirectoryFilterSet
    template_name = "communes/commune_list.html"
    fragment_name = "results"
    paginate_by = 25

    def get_queryset(self):
        return with_pairing_count(Commune.objects.visible_to(self.request.user)).order_by_name()

    @cached_property
    def pairing_version(self) -> str | None:
        return change_version(PAIRING_COUNTER)

    def filter_choices_version(self) -> str | None:
        # The form's only choices read from the database are the units' former districts, which the
        # pairing counter covers too: one counter read serves the form and the results.
        return self.pairing_version

    @cached_property
    def results_cache(self) -> dict:
        """How long the template keeps the rendered results (``{% cache %}``), and what they vary on
        besides the language. Read by the template only: nothing is read when they are not rendered.

        The rows show the units and how many partnerships pair each on the day (``with_pairing_count``):
        the pairing counter's tables only, never commitments. The directory is the same for every
        signed-in user (``Commune.objects.visible_to``), so no role or unit is in the key. The query
        string is, whole: the filters and the page choose the rows, and the pagination links repeat it.
        A filter with errors is not kept, nor anything without the counter.
        """
        filterset = self.filterset
        version = self.pairing_version
        kept = version is not None and not (filterset.is_bound and filterset.errors)
        return {
            "seconds": DIRECTORY_CACHE_SECONDS if kept else 0,
            "key": [version, timezone.localdate(), self.request.GET.urlencode()],
        }
