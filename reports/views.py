"""The dashboard ("Tổng quan") and the reports pages: request, follow, preview, download, finalise.

Access: city staff and administrators do everything; leadership reads and downloads (every write
answers 403); unit officers are sent from the dashboard to their unit's page, and every reports
URL answers them 404, the same as a missing report.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView
from django_htmx.http import HTMX_STOP_POLLING

from accounts.permissions import can
from commitments.models import ReportingPeriod
from core.views import HtmxFragmentMixin
from partnerships.models import prefetch_member_names

from .charts import coverage_map, coverage_map_shapes, partnerships_by_status_chart, progress_by_field_chart
from .figures import CityFigures
from .forms import DashboardFilterForm, FinaliseForm, NarrativeForm, PeriodCloseForm, ReportRequestForm, SignedCopyForm
from .models import Report, ReportNarrative, SignedCopy
from .narrative import kept_text
from .periods import lower_first
from .quotas import QuotaExceeded
from .services import (
    close_period,
    drafted_sections,
    finalise_report,
    regenerate_report,
    report_scope,
    request_report,
    save_narrative,
    store_signed_copy,
)
from .summary import CACHE_SECONDS, Versions, cached_district_names, cached_summary, current_versions, scope_key

MAP_SHAPES = "dashboard-shape"  # ids of the map outlines drawn once per dashboard page


class DashboardView(HtmxFragmentMixin, TemplateView):
    """City-wide figures, filterable by former district and by mountainous/border units, as of a day.

    The figures come from reports.summary (aggregated in SQL, cached until the next committed write).
    The template caches its costly parts with ``{% cache %}``: the filters (at national scale the
    former-district select alone has ~650 options) and the map (a link per unit) under the pairing
    counter, the ``figures`` fragment under the counter of every table. The map's outlines are sent
    once with the page; the fragment only colours them. The template reads ``view.figures``, so a
    page served from the fragment cache does not read the figures at all.
    """

    template_name = "reports/dashboard.html"
    fragment_name = "figures"

    def get(self, request, *args, **kwargs):
        # The figures cover every partnership: only those who read them all see them (unit officers
        # have their own unit's page).
        if not can(request.user, "read_all_partnerships"):
            return redirect("commitments:my_unit")
        return super().get(request, *args, **kwargs)

    @cached_property
    def versions(self) -> Versions:
        return current_versions()

    @cached_property
    def form(self) -> DashboardFilterForm:
        return DashboardFilterForm(self.request.GET or None, districts=cached_district_names(self.versions.pairing))

    @cached_property
    def figures(self):
        return cached_summary(self.versions, self.form.scope(), today=self.form.as_of_day())

    # Called by the template only when its fragment cache misses.
    def status_chart(self):
        return partnerships_by_status_chart(self.figures, id_prefix="dashboard-status")

    def field_chart(self):
        return progress_by_field_chart(self.figures, id_prefix="dashboard-fields")

    def coverage_map(self):
        return coverage_map(self.figures, id_prefix="dashboard-map", shapes_id_prefix=MAP_SHAPES)

    def get_context_data(self, **kwargs):
        form, today = self.form, timezone.localdate()
        as_of = form.as_of_day()
        cache_seconds = CACHE_SECONDS if all(self.versions) else 0  # 0: {% cache %} stores nothing
        context = super().get_context_data(
            form=form,
            as_of=as_of,
            past_day=as_of if as_of != today else None,
            cache_seconds=cache_seconds,
            # Only filters the form accepts are cached: their number stays bounded.
            filters_cache_seconds=0 if form.errors else cache_seconds,
            # What the cached fragments vary on, besides the language (see the template).
            versions=self.versions,
            today=today,
            scope=scope_key(form.scope()),
            role="staff" if can(self.request.user, "verify_progress") else "reader",  # staff get links to the queue
            filter_values=[self.request.GET.get(name, "") for name in form.fields],
            **kwargs,
        )
        if not self.request.htmx or self.request.htmx.boosted:
            context["map_shapes"] = coverage_map_shapes(id_prefix=MAP_SHAPES)
        return context


class ReportAccessMixin:
    """Check the role before any lookup: officers 404, leadership 403 on writes, a missing method 405."""

    writes = False  # True for views whose every method changes something (or shows a form to)

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            return self.http_method_not_allowed(request, *args, **kwargs)
        if not can(request.user, "read_all_partnerships"):
            raise Http404
        if (self.writes or request.method == "POST") and not can(request.user, "manage_reports"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class StopPollingMixin:
    """An htmx poll (triggered by ``poll_id``) of a finished fragment answers 286: htmx then stops."""

    poll_id = ""

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        if self.request.htmx and self.request.htmx.trigger == self.poll_id and not context["is_polling"]:
            response.status_code = HTMX_STOP_POLLING
        return response


class ReportListView(ReportAccessMixin, StopPollingMixin, HtmxFragmentMixin, ListView):
    """The archive of reports, newest first, with the "Tạo báo cáo" form for city staff."""

    template_name = "reports/report_list.html"
    fragment_name = "results"
    poll_id = "report-results"
    paginate_by = 25

    def get_queryset(self):
        return Report.objects.visible_to(self.request.user).for_list()

    def paginate_queryset(self, queryset, page_size):
        paginator, page, rows, is_paginated = super().paginate_queryset(queryset, page_size)
        page.object_list = load_partnership_names(rows)
        return paginator, page, page.object_list, is_paginated

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if can(self.request.user, "manage_reports") and "form" not in context:
            context["form"] = ReportRequestForm(user=self.request.user)
        context["is_polling"] = any(not report.is_finished for report in context["object_list"])
        return context

    def post(self, request, *args, **kwargs):
        form = ReportRequestForm(request.POST, user=request.user)
        if not form.is_valid():
            self.object_list = self.get_queryset()
            return self.render_to_response(self.get_context_data(form=form))
        try:
            report = request_report(
                period=form.cleaned_data["period_code"], requested_by=request.user, **form.cleaned_data_for_service()
            )
        except QuotaExceeded as error:  # the form comes back as typed, with the reason on top
            form.add_error(None, error)
            self.object_list = self.get_queryset()
            return self.render_to_response(self.get_context_data(form=form))
        if report.enqueue_failed:
            messages.warning(
                request, _("Đã ghi nhận yêu cầu. Hệ thống xử lý đang bận; báo cáo sẽ được tạo tự động trong ít phút.")
            )
        else:
            messages.success(request, _("Đã gửi yêu cầu tạo báo cáo. Báo cáo sẽ được tạo trong giây lát."))
        return redirect(report)


def load_partnership_names(reports) -> list:
    """The rows of ``reports``, each scope partnership ready to be named without a query of its own."""
    rows = list(reports)
    prefetch_member_names([row.partnership for row in rows if row.partnership_id])
    return rows


class ReportDetailView(ReportAccessMixin, StopPollingMixin, HtmxFragmentMixin, DetailView):
    """One report: its progress (polled while it renders), its files, finalising and regenerating."""

    template_name = "reports/report_detail.html"
    fragment_name = "status"
    poll_id = "report-status"
    context_object_name = "report"

    def get_queryset(self):
        return Report.objects.visible_to(self.request.user).for_display()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.object
        # Also while the workbook is being made after the PDF, so that its link appears when ready.
        context["is_polling"] = not report.is_finished or report.xlsx_status == Report.WorkbookStatus.PENDING
        narrative = report.narratives.select_related("saved_by").first()
        if can(self.request.user, "manage_reports") and report.status == Report.Status.DONE and not report.is_final:
            # The tasks come prefilled from the report's text (the portal's draft or the last edit).
            tasks = report.next_tasks or (narrative.sections.get("next_tasks", "") if narrative else "")
            context.setdefault("finalise_form", FinaliseForm(instance=report, initial={"next_tasks": tasks}))
        if can(self.request.user, "manage_reports") and report.is_final and report.status == Report.Status.DONE:
            context.setdefault("signed_form", SignedCopyForm())
        context["signed_copy"] = report.signed_copies.select_related("uploaded_by").first()
        context["narrative"] = narrative
        return context


class ReportFinaliseView(ReportAccessMixin, View):
    """Number and issue a finished draft; the final PDF is then rendered and can no longer change."""

    def post(self, request, pk):
        report = get_object_or_404(Report.objects.editable_by(request.user).with_related(), pk=pk)
        form = FinaliseForm(request.POST, instance=report)
        if form.is_valid():
            try:
                finalise_report(report=report, finalised_by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Đã ban hành báo cáo; bản chính thức đang được tạo."))
                return redirect(report)
        context = {"report": report, "object": report, "finalise_form": form, "is_polling": False}
        return render(request, "reports/report_detail.html", context)


class ReportNarrativeView(ReportAccessMixin, View):
    """City staff edit the report's text, starting from the portal's draft; each save is kept (who,
    when) and the draft is rendered again with the same figures. A final report's text is frozen."""

    writes = True
    template_name = "reports/report_narrative.html"

    def get_report(self, request, pk) -> Report:
        # Without its stored rows (megabytes at national scale): the text kept with it is enough.
        done = Report.objects.editable_by(request.user).with_related().defer("data").filter(status=Report.Status.DONE)
        return get_object_or_404(done, pk=pk)

    def form(self, report: Report, data=None) -> NarrativeForm:
        kept = kept_text(report)
        if kept is not None:
            sections, fields = kept
            return NarrativeForm(data, sections=sections, fields=fields)
        figures = CityFigures.build(report.data, report_scope(report)) if report.data is not None else None
        latest = report.narratives.first()
        sections = {} if figures is None else drafted_sections(report, figures)
        if latest is not None:
            sections |= latest.sections
        return NarrativeForm(data, sections=sections, fields=figures.fields if figures else ())

    def render_page(self, request, report, form):
        versions = ReportNarrative.objects.filter(report=report).select_related("saved_by")[:20]
        context = {"report": report, "form": form, "versions": versions}
        return render(request, self.template_name, context)

    def get(self, request, pk):
        report = self.get_report(request, pk)
        return self.render_page(request, report, self.form(report))

    def post(self, request, pk):
        report = self.get_report(request, pk)
        form = self.form(report, request.POST)
        if form.is_valid():
            try:
                save_narrative(report=report, sections=form.cleaned_sections(), saved_by=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Đã lưu nội dung; bản dự thảo đang được tạo lại với nội dung mới."))
                return redirect(report)
        return self.render_page(request, report, form)


class SignedCopyUploadView(ReportAccessMixin, View):
    """City staff keep the signed and stamped scan of a finalised report."""

    def post(self, request, pk):
        report = get_object_or_404(Report.objects.editable_by(request.user).with_related(), pk=pk)
        form = SignedCopyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                store_signed_copy(report=report, upload=form.cleaned_data["file"], uploaded_by=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Đã lưu bản đã ký, đóng dấu của báo cáo."))
                return redirect(report)
        context = {
            "report": report,
            "object": report,
            "signed_form": form,
            "is_polling": False,
            "signed_copy": report.signed_copies.first(),
            "narrative": report.narratives.first(),
        }
        return render(request, "reports/report_detail.html", context)


class SignedCopyFileView(ReportAccessMixin, View):
    """The issued copy: the newest signed and stamped scan of a report."""

    def get(self, request, pk):
        copies = SignedCopy.objects.visible_to(request.user).filter(report_id=pk).select_related("report__period")
        copy = copies.first()
        if copy is None:
            raise Http404
        name = copy.report.download_name("pdf").replace(".pdf", "-ban-da-ky.pdf")
        response = FileResponse(copy.file.open("rb"), as_attachment=True, filename=name, content_type="application/pdf")
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


class ReportWordView(ReportAccessMixin, View):
    """The report as a Word document (same text, figures and layout), for editing before signing."""

    def get(self, request, pk):
        from .docx import build_docx

        reports = Report.objects.visible_to(request.user).filter(status=Report.Status.DONE, data__isnull=False)
        report = get_object_or_404(reports.with_related(), pk=pk)
        figures = CityFigures.build(report.data, report_scope(report))
        latest = report.narratives.first()
        sections = drafted_sections(report, figures) | (latest.sections if latest else {})
        content = build_docx(report, figures, sections)
        response = HttpResponse(
            content, content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        )
        response["Content-Disposition"] = content_disposition_header(True, report.download_name("docx"))
        response["X-Content-Type-Options"] = "nosniff"
        return response


class ReportRegenerateView(ReportAccessMixin, View):
    """Make a new draft version of a report with today's figures (a finalised report stays as it is)."""

    def post(self, request, pk):
        report = get_object_or_404(Report.objects.editable_by(request.user).with_related(), pk=pk)
        try:
            new = regenerate_report(report=report, requested_by=request.user)
        except QuotaExceeded as error:
            messages.error(request, " ".join(error.messages))
            return redirect(report)
        messages.success(request, _("Đã tạo phiên bản %(version)s của báo cáo.") % {"version": new.version})
        return redirect(new)


class ReportFileView(ReportAccessMixin, View):
    """Serve a finished report's PDF (inline preview or download) or its Excel workbook."""

    field = "pdf"
    as_attachment = False
    content_type = "application/pdf"

    def get(self, request, pk):
        reports = Report.objects.visible_to(request.user).filter(status=Report.Status.DONE)
        report = get_object_or_404(reports.select_related("period"), pk=pk)
        stored = getattr(report, self.field)
        if not stored and self.field == "xlsx" and report.xlsx_status == Report.WorkbookStatus.PENDING:
            messages.info(request, _("Tệp Excel đang được chuẩn bị, vui lòng thử lại sau ít giây."))
            return redirect(report)
        if not stored:
            raise Http404
        response = FileResponse(
            stored.open("rb"),
            as_attachment=self.as_attachment,
            filename=report.download_name(self.field),
            content_type=self.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        # Our own rendering (WeasyPrint writes no scripts), so no "sandbox": Chromium refuses to show
        # a PDF in a sandboxed document, which would break the in-browser preview.
        response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
        return response


class PeriodListView(ReportAccessMixin, ListView):
    """Reporting periods, their cut-off and whether their figures are frozen."""

    template_name = "reports/period_list.html"
    context_object_name = "period_list"
    paginate_by = 25

    def get_queryset(self):
        return (
            ReportingPeriod.objects.visible_to(self.request.user)
            .select_related("closed_by")
            .order_by("-starts_on", "kind")
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(today=timezone.localdate(), **kwargs)


class PeriodCloseView(ReportAccessMixin, View):
    """Close a period: its figures are frozen for every report of it (irreversible, so confirmed)."""

    writes = True

    def get(self, request, pk):
        period = get_object_or_404(ReportingPeriod.objects.visible_to(request.user), pk=pk)
        return render(request, "reports/period_close.html", {"period": period, "form": PeriodCloseForm()})

    def post(self, request, pk):
        period = get_object_or_404(ReportingPeriod.objects.visible_to(request.user), pk=pk)
        form = PeriodCloseForm(request.POST)
        if form.is_valid():
            try:
                close_period(period=period, closed_by=request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Đã chốt số liệu %(period)s.") % {"period": lower_first(period.label)})
                return redirect("reports:period_list")
        return render(request, "reports/period_close.html", {"period": period, "form": form})
