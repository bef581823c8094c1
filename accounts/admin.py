from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.logging import SUCCESS, security_event

from . import services
from .forms import AdminPasswordChangeForm
from .models import SignInAlert, User
from .views import set_password_path


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "get_full_name", "role", "commune", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["username", "first_name__unaccent", "last_name__unaccent", "commune__name__unaccent"]
    autocomplete_fields = ["commune"]
    fieldsets = DjangoUserAdmin.fieldsets + ((_("Vai trò trong cổng thông tin"), {"fields": ["role", "commune"]}),)
    add_fieldsets = DjangoUserAdmin.add_fieldsets + ((_("Vai trò"), {"fields": ["role", "commune"]}),)
    actions = ["end_sessions", "create_set_password_links", "send_sign_in_links"]
    change_password_form = AdminPasswordChangeForm

    @admin.action(description=_("Kết thúc mọi phiên đăng nhập của các tài khoản đã chọn"))
    def end_sessions(self, request, queryset):
        ended = services.end_sessions(queryset, by=request.user)
        text = ngettext("Đã kết thúc %(count)d phiên đăng nhập.", "Đã kết thúc %(count)d phiên đăng nhập.", ended) % {
            "count": ended
        }
        self.message_user(request, text, messages.SUCCESS)

    @admin.action(description=_("Gửi liên kết đăng nhập một lần qua e-mail"), permissions=["change"])
    def send_sign_in_links(self, request, queryset):
        """For a person slowed down by someone else's wrong passwords: a one-time sign-in link to the
        e-mail on record (accounts without an address are skipped and named in the message)."""
        sent = services.issue_sign_in_links(queryset, by=request.user, site=request.build_absolute_uri("/"))
        self.message_user(
            request,
            _("Đã gửi %(sent)d liên kết đăng nhập; %(skipped)d tài khoản không có e-mail hoặc đã khóa.")
            % {"sent": sent, "skipped": queryset.count() - sent},
            messages.SUCCESS if sent else messages.WARNING,
        )

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


@admin.register(SignInAlert)
class SignInAlertAdmin(admin.ModelAdmin):
    """Bursts of failed sign-ins (accounts.services.alert_on_burst), read-only: what was e-mailed."""

    list_display = ["raised_at", "kind", "key", "failures"]
    list_filter = ["kind"]
    search_fields = ["key"]
    date_hierarchy = "raised_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
