"""Mounted at the site root: the paths carry their own "commitments/" prefix, and "my-unit/"."""

from django.urls import path

from . import views

app_name = "commitments"

urlpatterns = [
    path("commitments/", views.commitment_list, name="commitment_list"),
    path("commitments/suggest/owners/", views.owner_suggestions, name="owner_suggestions"),
    path("commitments/new/", views.commitment_create, name="commitment_create"),
    path("commitments/<int:pk>/", views.commitment_detail, name="commitment_detail"),
    path("commitments/<int:pk>/edit/", views.commitment_update, name="commitment_update"),
    path("commitments/<int:pk>/progress/new/", views.progress_create, name="progress_create"),
    path("commitments/partnership/<int:pk>/", views.partnership_commitments, name="partnership_commitments"),
    path("commitments/partnership/<int:pk>/history/", views.partnership_history, name="partnership_history"),
    path("commitments/progress/<int:pk>/resubmit/", views.progress_resubmit, name="progress_resubmit"),
    path("commitments/progress/<int:pk>/verify/", views.progress_verify, name="progress_verify"),
    path("commitments/progress/<int:pk>/return/", views.progress_return, name="progress_return"),
    path("commitments/progress/<int:pk>/reopen/", views.progress_reopen, name="progress_reopen"),
    path("commitments/review/", views.review_queue, name="review_queue"),
    path("commitments/review/bulk/", views.review_bulk, name="review_bulk"),
    path("commitments/adjustments/<int:pk>/approve/", views.adjustment_approve, name="adjustment_approve"),
    path("commitments/adjustments/<int:pk>/refuse/", views.adjustment_refuse, name="adjustment_refuse"),
    path("commitments/evidence/<int:pk>/", views.evidence_file, name="evidence_file"),
    path("commitments/void/<str:kind>/<int:pk>/", views.record_void, name="record_void"),
    path("commitments/restore/<str:kind>/<int:pk>/", views.record_restore, name="record_restore"),
    path("my-unit/", views.my_unit, name="my_unit"),
    # Served from the root: a service worker only controls pages at or below its own path.
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.web_manifest, name="web_manifest"),
]
