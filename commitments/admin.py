from django.contrib import admin

from .models import Commitment, Evidence, Field, ProgressUpdate, ReportingPeriod


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "code", "name_en"]
    list_display_links = ["name"]
    search_fields = ["name__unaccent", "code"]


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "convention", "starts_on", "ends_on", "closed_at"]
    list_filter = ["kind", "convention", "year"]


@admin.register(Commitment)
class CommitmentAdmin(admin.ModelAdmin):
    list_display = ["title", "field", "owner", "horizon", "start_on", "due_on", "completed_on", "is_demo"]
    list_filter = ["field", "horizon", "support_form", "is_demo"]
    search_fields = ["title__unaccent", "owner__name__unaccent"]
    list_select_related = ["field", "owner"]
    readonly_fields = ["achieved_quantity", "achieved_value_vnd", "completed_on"]
    autocomplete_fields = ["partnership", "owner"]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    readonly_fields = ["sha256", "size_bytes"]


@admin.register(ProgressUpdate)
class ProgressUpdateAdmin(admin.ModelAdmin):
    list_display = ["commitment", "period", "state", "author", "submitted_at", "reviewed_by"]
    list_filter = ["state", "period"]
    search_fields = ["commitment__title__unaccent", "narrative__unaccent"]
    list_select_related = ["commitment", "period", "author", "reviewed_by"]
    inlines = [EvidenceInline]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "size_bytes", "update"]
    list_filter = ["kind"]
    search_fields = ["original_name__unaccent"]
