from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from core.views import healthz

admin.site.site_header = "Cổng thông tin kết nghĩa – Thành ủy Đà Nẵng"
admin.site.site_title = "Quản trị kết nghĩa"
admin.site.index_title = "Quản trị dữ liệu"

urlpatterns = [
    path("healthz", healthz, name="healthz"),  # public, first: load balancers and health checks ask often
    path("", include("reports.urls")),  # the dashboard at / and /reports/…
    path("", include("commitments.urls")),  # /commitments/… and /my-unit/
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("communes/", include("communes.urls")),
    path("partnerships/", include("partnerships.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler500 = "core.views.server_error"
