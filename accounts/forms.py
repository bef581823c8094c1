from django import forms
from django.utils.translation import gettext_lazy as _


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
