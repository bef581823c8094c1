from django.urls import path
from django.views.generic import RedirectView

app_name = "reports"

# Until the dashboard lands, the home page is the administration site.
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index"), name="dashboard"),
]
