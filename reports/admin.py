"""Administration: reports and registers are read here; they change only through reports.services."""

from django.contrib import admin

from .models import NumberRegister, PeriodSnapshot, Reminder, Report


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["pk", "period", "kind", "version", "status", "number", "attempts", "requested_by", "requested_at"]
    list_filter = ["status", "kind", "period"]
    list_select_related = ["period", "requested_by"]
    exclude = ["data"]


@admin.register(PeriodSnapshot)
class PeriodSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["period", "taken_at", "taken_by", "sha256"]
    list_select_related = ["period", "taken_by"]
    exclude = ["data"]


@admin.register(NumberRegister)
class NumberRegisterAdmin(ReadOnlyAdmin):
    list_display = ["document_type", "term", "last_number"]


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["period", "commune", "recipients", "sent_at"]
    list_select_related = ["period", "commune"]
