from django.contrib import admin

from .models import Activity, ActivityPhoto, Document, LegalBasis, Membership, Partnership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["commune"]


class DocumentInline(admin.TabularInline):
    model = Document
    extra = 0
    fields = ["kind", "number", "issuer", "issued_on", "title", "file"]


@admin.register(LegalBasis)
class LegalBasisAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "issuer", "issued_on", "title"]
    list_filter = ["kind", "issuer"]
    search_fields = ["number", "title__unaccent"]


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "signed_on", "is_demo", "legal_basis"]
    list_filter = ["status", "is_demo", "legal_basis", "memberships__commune__former_district"]
    search_fields = ["title__unaccent", "memberships__commune__name__unaccent"]
    inlines = [MembershipInline, DocumentInline]
    readonly_fields = ["external_ref", "created_at", "updated_at"]
    date_hierarchy = "signed_on"


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["commune", "role", "partnership", "joined_on", "left_on"]
    list_filter = ["role"]
    search_fields = ["commune__name__unaccent", "partnership__title__unaccent"]
    list_select_related = ["commune", "partnership"]
    autocomplete_fields = ["commune", "partnership"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "number", "issued_on", "partnership"]
    list_filter = ["kind"]
    search_fields = ["title__unaccent", "number"]
    list_select_related = ["partnership"]


class ActivityPhotoInline(admin.TabularInline):
    model = ActivityPhoto
    extra = 0


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "occurred_on", "value_vnd", "partnership", "is_demo"]
    list_filter = ["kind", "is_demo"]
    search_fields = ["title__unaccent", "partnership__memberships__commune__name__unaccent"]
    list_select_related = ["partnership"]
    inlines = [ActivityPhotoInline]
    date_hierarchy = "occurred_on"


@admin.register(ActivityPhoto)
class ActivityPhotoAdmin(admin.ModelAdmin):
    list_display = ["__str__", "activity"]
    search_fields = ["caption__unaccent"]
