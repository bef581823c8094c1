from django.urls import path

from . import views

app_name = "communes"

urlpatterns = [
    path("", views.CommuneListView.as_view(), name="commune_list"),
    path("suggest/", views.unit_suggestions, name="unit_suggestions"),
    path("<str:code>/", views.CommuneDetailView.as_view(), name="commune_detail"),
]
