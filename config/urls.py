from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from commitments.views import PartnershipDetailView, PartnershipListView
from communes.urls import app_name as communes_namespace
from communes.urls import urlpatterns as unit_pages
from core.views import healthz
from partnerships.urls import app_name as partnerships_namespace
from partnerships.urls import urlpatterns as partnership_pages
from partnerships.views import UnitDirectoryView

admin.site.site_header = "Cổng thông tin kết nghĩa – Thành ủy Đà Nẵng"
admin.site.site_title = "Quản trị kết nghĩa"
admin.site.index_title = "Quản trị dữ liệu"

urlpatterns = [
    path("healthz", healthz, name="healthz"),  # public, first: load balancers and health checks ask often
    path("", include("reports.urls")),  # the dashboard at / and /reports/…
    path("", include("commitments.urls")),  # /commitments/… and /my-unit/
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    # The directory lists units by their pairing, a partnerships concept; the unit pages are the communes
    # app's. Both answer under one namespace, so links stay communes:commune_list / communes:commune_detail.
    path(
        "communes/",
        include(([path("", UnitDirectoryView.as_view(), name="commune_list"), *unit_pages], communes_namespace)),
    ),
    # The list and a partnership's page show its commitments' health and filter by field, so the
    # commitments app serves them; links stay partnerships:partnership_list / partnerships:partnership_detail.
    path(
        "partnerships/",
        include(
            (
                [
                    path("", PartnershipListView.as_view(), name="partnership_list"),
                    path("<int:pk>/", PartnershipDetailView.as_view(), name="partnership_detail"),
                    *partnership_pages,
                ],
                partnerships_namespace,
            )
        ),
    ),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler500 = "core.views.server_error"
