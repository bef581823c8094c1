from django.contrib import admin

from .models import Commune, Constituent


class ConstituentInline(admin.TabularInline):
    model = Constituent
    extra = 0
    fields = ["old_name", "old_code", "old_district", "old_province", "merge_note", "resolution_clause"]


@admin.register(Commune)
class CommuneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "former_district", "is_mountainous", "is_border", "programme_role"]
    list_filter = ["kind", "programme_role", "is_mountainous", "is_border", "former_district"]
    # "hoa cuong" finds "Hòa Cường": search through PostgreSQL's unaccent.
    search_fields = ["name__unaccent", "code", "former_district__unaccent"]
    inlines = [ConstituentInline]


@admin.register(Constituent)
class ConstituentAdmin(admin.ModelAdmin):
    list_display = ["old_name", "old_code", "old_district", "commune", "merge_note"]
    list_filter = ["old_province", "old_district", "merge_note"]
    search_fields = ["old_name__unaccent", "old_code", "commune__name__unaccent"]
    list_select_related = ["commune"]
