"""Mounted at the site root: "" is the dashboard, the reports live under "reports/"."""

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("reports/", views.ReportListView.as_view(), name="report_list"),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="report_detail"),
    path("reports/<int:pk>/finalise/", views.ReportFinaliseView.as_view(), name="report_finalise"),
    path("reports/<int:pk>/regenerate/", views.ReportRegenerateView.as_view(), name="report_regenerate"),
    path("reports/<int:pk>/preview.pdf", views.ReportFileView.as_view(), name="report_preview"),
    path(
        "reports/<int:pk>/download.pdf",
        views.ReportFileView.as_view(as_attachment=True),
        name="report_download",
    ),
    path(
        "reports/<int:pk>/download.xlsx",
        views.ReportFileView.as_view(
            field="xlsx",
            as_attachment=True,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        name="report_xlsx",
    ),
    path("reports/<int:pk>/text/", views.ReportNarrativeView.as_view(), name="report_narrative"),
    path("reports/<int:pk>/download.docx", views.ReportWordView.as_view(), name="report_docx"),
    path("reports/<int:pk>/signed/", views.SignedCopyUploadView.as_view(), name="report_signed_upload"),
    path("reports/<int:pk>/signed.pdf", views.SignedCopyFileView.as_view(), name="report_signed"),
    path("reports/periods/", views.PeriodListView.as_view(), name="period_list"),
    path("reports/periods/<int:pk>/close/", views.PeriodCloseView.as_view(), name="period_close"),
]
