from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "get_full_name", "role", "commune", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "first_name__unaccent", "last_name__unaccent", "commune__name__unaccent"]
    autocomplete_fields = ["commune"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Vai trò trong cổng thông tin"), {"fields": ["role", "commune"]}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + ((_("Vai trò"), {"fields": ["role", "commune"]}),)
    actions = ["end_sessions"]

    @admin.action(description=_("Kết thúc mọi phiên đăng nhập của các tài khoản đã chọn"))
    def end_sessions(self, request, queryset):
        ended = services.end_sessions(queryset, by=request.user)
        text = ngettext(
            "Đã kết thúc %(count)d phiên đăng nhập.", "Đã kết thúc %(count)d phiên đăng nhập.", ended
        ) % {"count": ended}
        self.message_user(request, text, messages.SUCCESS)
