"""Access table of the reports app (see tests/routes.py): officers never see reports, leaders never write."""

from django.core.files.base import ContentFile

from reports.models import Report
from tests import factories
from tests.routes import Route, everyone

OFFICERS_404 = {"officer": 404, "supported_officer": 404, "outsider": 404}
READ = everyone(200, **OFFICERS_404)
# An empty POST is an invalid form: re-rendered (200) for city staff, refused for everyone else.
WRITE_FORM = everyone(200, leader=403, **OFFICERS_404)


def done_report(world) -> Report:
    """A finished draft city report with its files, as a worker leaves it."""
    report = Report.objects.create(
        period=factories.period(2025, 4), kind=Report.Kind.CITY, status=Report.Status.DONE, progress=100
    )
    report.pdf.save("report.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    report.xlsx.save("report.xlsx", ContentFile(b"PK\x03\x04"), save=False)
    report.save()
    return report


def report_pk(world) -> dict:
    return {"pk": done_report(world).pk}


def final_report_pk(world) -> dict:
    """A finalised report with a signed copy kept (what leadership downloads first)."""
    from django.utils import timezone

    from reports.models import SignedCopy

    report = done_report(world)
    Report.objects.filter(pk=report.pk).update(finalised_at=timezone.now(), number=1, term="2025-2030")
    copy = SignedCopy(report=report, number_label="Số 01-BC/TU", sha256="0" * 64, uploaded_by=world.city)
    copy.file.save("signed.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    copy.save()
    return {"pk": report.pk}


ROUTES = [
    Route(
        "reports:dashboard",
        get=everyone(200, officer=302, supported_officer=302, outsider=302),
        notes="Unit officers are sent to their unit's page (commitments:my_unit).",
    ),
    Route("reports:report_list", get=READ, post=WRITE_FORM),
    Route("reports:report_detail", kwargs=report_pk, get=READ),
    Route("reports:report_finalise", kwargs=report_pk, post=WRITE_FORM),
    Route("reports:report_regenerate", kwargs=report_pk, post=everyone(302, leader=403, **OFFICERS_404)),
    Route("reports:report_preview", kwargs=report_pk, get=READ),
    Route("reports:report_download", kwargs=report_pk, get=READ),
    Route("reports:report_xlsx", kwargs=report_pk, get=READ),
    Route(
        "reports:report_narrative",
        kwargs=report_pk,
        get=everyone(200, leader=403, **OFFICERS_404),
        post=WRITE_FORM,
        notes="An empty POST lacks the required sections: the form comes back (200) for city staff.",
    ),
    Route(
        "reports:report_docx",
        kwargs=report_pk,
        get=everyone(404, anonymous=302),
        notes="The route fixture's report has no stored figures: no Word file (404) even for readers.",
    ),
    Route("reports:report_signed_upload", kwargs=report_pk, post=WRITE_FORM),
    Route("reports:report_signed", kwargs=final_report_pk, get=READ),
    Route("reports:period_list", get=READ),
    Route(
        "reports:period_close",
        kwargs=lambda world: {"pk": factories.period(2025, 4).pk},
        get=everyone(200, leader=403, **OFFICERS_404),
        post=WRITE_FORM,
    ),
]
