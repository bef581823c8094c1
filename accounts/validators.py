"""Password rules Django does not ship: refuse the words everyone here would guess first."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CONTEXT_WORDS = ("danang", "ketnghia", "thanhuy", "matkhau", "password", "portal", "congthongtin")


def folded(text: str) -> str:
    """Lower case without Vietnamese diacritics or separators: "Đà Nẵng 2025" → "danang2025"."""
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(char for char in text.lower() if char.isalnum() and not unicodedata.combining(char))


class ContextWordsValidator:
    """Refuse passwords built on the city's or the portal's name, or on the user's own username."""

    def validate(self, password, user=None):
        candidate = folded(password)
        words = list(CONTEXT_WORDS)
        if user is not None and getattr(user, "username", ""):
            words.append(folded(user.username))
        for word in words:
            if len(word) >= 4 and word in candidate:
                raise ValidationError(
                    _("Mật khẩu không được chứa từ dễ đoán như tên thành phố, tên cổng thông tin hoặc tên đăng nhập."),
                    code="password_context_word",
                )

    def get_help_text(self):
        return _("Mật khẩu không được chứa tên thành phố, tên cổng thông tin hoặc tên đăng nhập.")
