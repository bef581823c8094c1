from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "get_full_name", "role", "commune", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "first_name__unaccent", "last_name__unaccent", "commune__name__unaccent"]
    autocomplete_fields = ["commune"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Vai trò trong cổng thông tin"), {"fields": ["role", "commune"]}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + ((_("Vai trò"), {"fields": ["role", "commune"]}),)
