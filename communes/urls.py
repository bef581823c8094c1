"""The unit pages; the directory list (communes:commune_list) is added in config/urls.py."""

from django.urls import path

from . import views

app_name = "communes"

urlpatterns = [
    path("suggest/", views.unit_suggestions, name="unit_suggestions"),
    path("<str:code>/", views.CommuneDetailView.as_view(), name="commune_detail"),
]
