import pghistory
from django import forms
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from core.logging import SUCCESS, security_event

from .models import PASSWORD_CHANGED_EVENT


class CodeForm(forms.Form):
    """Six digits from the authenticator app; spaces people type between groups are ignored."""

    code = forms.CharField(
        label=_("Mã xác thực (6 chữ số)"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True, "size": 8}
        ),
        error_messages={"required": _("Hãy nhập mã 6 chữ số trong ứng dụng xác thực.")},
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if len(code) != 6 or not code.isdigit():
            raise forms.ValidationError(_("Mã xác thực gồm đúng 6 chữ số."), code="format")
        return code


class LoginForm(auth_forms.AuthenticationForm):
    """Django's login form, plus the code of an authenticator app: asked for only while the username
    is slowed down by failed sign-ins, when a right password with a valid code still signs in."""

    code = forms.CharField(
        label=_("Mã xác thực (6 chữ số)"),
        required=False,
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "size": 8}),
        help_text=_("Nếu bạn đã cài ứng dụng xác thực: nhập mã đang hiện để đăng nhập ngay, không phải chờ."),
    )

    def typed_username(self) -> str:
        """The username as authenticate() and the failure log will see it (NFKC, as UsernameField
        cleans it): "ｃｉｔｙ" and "city" are counted as the one username they sign in to."""
        return self.fields["username"].to_python(self.data.get("username", "")) or ""

    def typed_code(self) -> str | None:
        """The six digits typed into ``code`` (spaces ignored), or None when it holds anything else."""
        code = "".join(self.data.get("code", "").split())
        return code if len(code) == 6 and code.isascii() and code.isdigit() else None


class SignInLinkRequestForm(forms.Form):
    username = auth_forms.UsernameField(
        label=_("Tên đăng nhập"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
        error_messages={"required": _("Hãy nhập tên đăng nhập.")},
    )


NEW_PASSWORD_HELP = _(
    "Ít nhất 12 ký tự. Không dùng mật khẩu phổ biến, tên đăng nhập, họ tên hay các từ như “danang”, "
    "“thanhuy”, “ketnghia”. Một câu dài dễ nhớ là mật khẩu tốt."
)


class NewPasswordFieldsMixin:
    """Vietnamese labels and messages for the two "new password" fields of Django's forms; the
    password itself goes through AUTH_PASSWORD_VALIDATORS in Django's own ``clean``."""

    def label_new_password_fields(self) -> None:
        self.fields["new_password1"].label = _("Mật khẩu mới")
        self.fields["new_password1"].help_text = NEW_PASSWORD_HELP
        self.fields["new_password2"].label = _("Nhập lại mật khẩu mới")
        self.fields["new_password2"].help_text = ""
        for name in ("new_password1", "new_password2"):
            self.fields[name].error_messages["required"] = _("Vui lòng nhập mục này.")


class SetPasswordForm(NewPasswordFieldsMixin, auth_forms.SetPasswordForm):
    """The first password, chosen at a set-password link (accounts.views.SetPasswordView)."""

    error_messages = {"password_mismatch": _("Hai lần nhập mật khẩu mới không khớp.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_new_password_fields()


class PasswordChangeForm(NewPasswordFieldsMixin, auth_forms.PasswordChangeForm):
    """A signed-in person changes their password; the current one is asked first."""

    error_messages = {
        "password_mismatch": _("Hai lần nhập mật khẩu mới không khớp."),
        "password_incorrect": _("Mật khẩu hiện tại không đúng. Mật khẩu chưa được đổi."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Mật khẩu hiện tại")
        self.fields["old_password"].error_messages["required"] = _("Vui lòng nhập mục này.")
        self.label_new_password_fields()


class AdminPasswordChangeForm(auth_forms.AdminPasswordChangeForm):
    """The admin site's "change password" page, audited like every other password change: the actor
    (the administrator) comes from the request's history context and the security log's."""

    def save(self, commit=True):
        user = super().save(commit=commit)
        if commit:
            pghistory.create_event(user, label=PASSWORD_CHANGED_EVENT)
            security_event("password_change", outcome=SUCCESS, object_id=user.pk, reason="by_administrator")
        return user
