"""The portal's URLs plus two references that exist only in the benchmark (never in production):

- ``/bench/hello/``: the smallest Django view, behind the same middleware (P4's reference);
- ``/bench/hello/public/``: the same view without login, asked without a cookie (K4's reference: like
  ``/healthz`` and the login page, it reads neither the database nor a session);
- ``/bench/admin/``: Django's admin changelist of commitments with the portal's page size (P3's reference).
"""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.urls import path

from commitments.admin import CommitmentAdmin
from commitments.models import Commitment
from commitments.views import PAGE_SIZE
from config.urls import urlpatterns as portal_urlpatterns


def hello(request):
    return HttpResponse("Xin chào", content_type="text/plain; charset=utf-8")


class BenchCommitmentAdmin(CommitmentAdmin):
    """The real CommitmentAdmin, 25 rows a page like the portal's list (ordering: the model's, the same)."""

    list_per_page = PAGE_SIZE
    autocomplete_fields = []  # not used by the changelist; would need the other admins on this site


bench_admin = admin.AdminSite(name="bench_admin")
bench_admin.register(Commitment, BenchCommitmentAdmin)

urlpatterns = [
    path("bench/hello/", hello, name="bench_hello"),
    path("bench/hello/public/", login_not_required(hello), name="bench_public_hello"),
    path("bench/admin/", bench_admin.urls),
    *portal_urlpatterns,
]
