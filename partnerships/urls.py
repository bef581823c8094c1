"""The partnership pages. The list (partnership_list) and one partnership's page (partnership_detail) show
their commitments' health and filter by field, so the commitments app serves them: config/urls.py adds
them to this namespace from commitments.views."""

from django.urls import path

from . import views

app_name = "partnerships"

urlpatterns = [
    path("suggest/", views.partnership_suggestions, name="partnership_suggestions"),
    path("new/", views.PartnershipCreateView.as_view(), name="partnership_create"),
    path("<int:pk>/edit/", views.PartnershipUpdateView.as_view(), name="partnership_update"),
    path("<int:pk>/members/add/", views.MemberAddView.as_view(), name="member_add"),
    path("<int:pk>/members/<int:membership_pk>/remove/", views.MemberRemoveView.as_view(), name="member_remove"),
    path("<int:pk>/members/<int:membership_pk>/role/", views.MemberRoleView.as_view(), name="member_role"),
    path("<int:pk>/documents/new/", views.DocumentUploadView.as_view(), name="document_upload"),
    path("documents/<int:pk>/file/", views.document_file, name="document_file"),
    path("<int:pk>/activities/new/", views.ActivityCreateView.as_view(), name="activity_create"),
    path("photos/<int:pk>/", views.activity_photo, name="activity_photo"),
    path("void/<str:kind>/<int:pk>/", views.record_void, name="record_void"),
    path("restore/<str:kind>/<int:pk>/", views.record_restore, name="record_restore"),
]
