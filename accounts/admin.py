from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.logging import SUCCESS, security_event

from . import services
from .forms import AdminPasswordChangeForm
from .models import User
from .views import set_password_path


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "get_full_name", "role", "commune", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "first_name__unaccent", "last_name__unaccent", "commune__name__unaccent"]
    autocomplete_fields = ["commune"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Vai trò trong cổng thông tin"), {"fields": ["role", "commune"]}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + ((_("Vai trò"), {"fields": ["role", "commune"]}),)
    actions = ["end_sessions", "create_set_password_links"]
    change_password_form = AdminPasswordChangeForm

    @admin.action(description=_("Kết thúc mọi phiên đăng nhập của các tài khoản đã chọn"))
    def end_sessions(self, request, queryset):
        ended = services.end_sessions(queryset, by=request.user)
        text = ngettext("Đã kết thúc %(count)d phiên đăng nhập.", "Đã kết thúc %(count)d phiên đăng nhập.", ended) % {
            "count": ended
        }
        self.message_user(request, text, messages.SUCCESS)

    @admin.action(description=_("Tạo liên kết đặt mật khẩu"), permissions=["change"])
    def create_set_password_links(self, request, queryset):
        """A single-use set-password link per selected active account, shown once on a page of its own
        (not in a message: messages may travel in a cookie, and the link is a credential until used).
        No e-mail is sent: the administrator hands the link over."""
        users = list(queryset.filter(is_active=True).order_by("username"))
        links = []
        for user in users:
            links.append((user, request.build_absolute_uri(set_password_path(user))))
            security_event("set_password_link_created", outcome=SUCCESS, request=request, object_id=user.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Liên kết đặt mật khẩu"),
            "opts": self.model._meta,
            "links": links,
            "skipped": queryset.filter(is_active=False).count(),
            "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        }
        return TemplateResponse(request, "admin/accounts/user/set_password_links.html", context)
