"""The dashboard ("Tổng quan") and the reports pages: request, follow, preview, download, finalise.

Access: city staff and administrators do everything; leadership reads and downloads (every write
answers 403); unit officers are sent from the dashboard to their unit's page, and every reports
URL answers them 404, the same as a missing report.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView
from django_htmx.http import HTMX_STOP_POLLING

from commitments.models import ReportingPeriod
from core.views import HtmxFragmentMixin

from .charts import coverage_map, partnerships_by_status_chart, progress_by_field_chart
from .figures import CityFigures, district_names, load_rows, recent_activities
from .forms import DashboardFilterForm, FinaliseForm, PeriodCloseForm, ReportRequestForm
from .models import Report
from .periods import lower_first
from .services import close_period, finalise_report, regenerate_report, request_report


class DashboardView(HtmxFragmentMixin, TemplateView):
    """City-wide figures, filterable by former district and by mountainous/border units."""

    template_name = "reports/dashboard.html"
    fragment_name = "figures"

    def get(self, request, *args, **kwargs):
        if request.user.is_unit_officer:
            return redirect("commitments:my_unit")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        rows = load_rows(user=self.request.user)
        form = DashboardFilterForm(self.request.GET or None, districts=district_names(rows))
        figures = CityFigures.build(rows, form.scope())
        return super().get_context_data(
            form=form,
            figures=figures,
            status_chart=partnerships_by_status_chart(figures, id_prefix="dashboard-status"),
            field_chart=progress_by_field_chart(figures, id_prefix="dashboard-fields"),
            coverage_map=coverage_map(figures, id_prefix="dashboard-map"),
            activities=recent_activities(user=self.request.user),
            **kwargs,
        )


class ReportAccessMixin:
    """Check the role before any lookup: officers 404, leadership 403 on writes, a missing method 405."""

    writes = False  # True for views whose every method changes something (or shows a form to)

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names or not hasattr(self, request.method.lower()):
            return self.http_method_not_allowed(request, *args, **kwargs)
        if not request.user.sees_everything:
            raise Http404
        if (self.writes or request.method == "POST") and not request.user.is_city_staff:
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
        return Report.objects.visible_to(self.request.user).with_related()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.request.user.is_city_staff and "form" not in context:
            context["form"] = ReportRequestForm(user=self.request.user)
        context["is_polling"] = any(not report.is_finished for report in context["object_list"])
        return context

    def post(self, request, *args, **kwargs):
        form = ReportRequestForm(request.POST, user=request.user)
        if not form.is_valid():
            self.object_list = self.get_queryset()
            return self.render_to_response(self.get_context_data(form=form))
        report = request_report(
            period=form.cleaned_data["period_code"], requested_by=request.user, **form.cleaned_data_for_service()
        )
        if report.enqueue_failed:
            messages.warning(
                request, _("Đã ghi nhận yêu cầu. Hệ thống xử lý đang bận; báo cáo sẽ được tạo tự động trong ít phút.")
            )
        else:
            messages.success(request, _("Đã gửi yêu cầu tạo báo cáo. Báo cáo sẽ được tạo trong giây lát."))
        return redirect(report)


class ReportDetailView(ReportAccessMixin, StopPollingMixin, HtmxFragmentMixin, DetailView):
    """One report: its progress (polled while it renders), its files, finalising and regenerating."""

    template_name = "reports/report_detail.html"
    fragment_name = "status"
    poll_id = "report-status"
    context_object_name = "report"

    def get_queryset(self):
        return Report.objects.visible_to(self.request.user).with_related()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        report = self.object
        # Also while the workbook is being made after the PDF, so that its link appears when ready.
        context["is_polling"] = not report.is_finished or report.xlsx_status == Report.WorkbookStatus.PENDING
        if self.request.user.is_city_staff and report.status == Report.Status.DONE and not report.is_final:
            context.setdefault("finalise_form", FinaliseForm(instance=report))
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


class ReportRegenerateView(ReportAccessMixin, View):
    """Make a new draft version of a report with today's figures (a finalised report stays as it is)."""

    def post(self, request, pk):
        report = get_object_or_404(Report.objects.editable_by(request.user).with_related(), pk=pk)
        new = regenerate_report(report=report, requested_by=request.user)
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
