"""The reference data's source notes ("S1 NQ1659 k.1; S2 CV1027 stt 1852; S3 NSO; M:rule-no; B:rule-no"),
read out in words: the codes name the sources of data/SOURCES.md, which a unit's page must not show raw."""

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The sources data/SOURCES.md lists, by their short code.
SOURCE_NAMES = {
    "S5": gettext_lazy("bảng khu vực ưu tiên tuyển sinh (KV1)"),
    "S6": gettext_lazy("báo Quảng Nam về các xã đặc biệt khó khăn (QĐ 861/QĐ-TTg)"),
    "S7": gettext_lazy("báo Đà Nẵng về xã Hòa Bắc (QĐ 861/QĐ-TTg)"),
    "S8": gettext_lazy("trang thông tin tỉnh Quảng Nam"),
    "S9": gettext_lazy("báo Kinh tế & Đô thị (NQ 1241/NQ-UBTVQH15)"),
    "S10": gettext_lazy("danh sách xã đặc biệt khó khăn của Quảng Nam (QĐ 900/QĐ-TTg)"),
    "B1": gettext_lazy("báo Dân Việt và Thanh Niên"),
    "B2": gettext_lazy("báo Sài Gòn Giải Phóng"),
    "B3": gettext_lazy("bài viết về huyện Tây Giang và báo Đà Nẵng"),
    "B4": gettext_lazy("báo Biên phòng và báo Công an Đà Nẵng"),
    "B5": gettext_lazy("báo Đà Nẵng về xã Đắc Pring"),
    "B6": gettext_lazy("các nguồn về huyện Phước Sơn (không thống nhất)"),
}


def _names(codes: str) -> str:
    return ", ".join(str(SOURCE_NAMES.get(code, code)) for code in codes.split("+"))


def _flag(label: str, value: str, rule: str) -> str:
    if value == "rule-no":
        return _("%(flag)s: không, %(rule)s") % {"flag": label, "rule": rule}
    if value in ("", "-"):
        return _("%(flag)s: chưa có nguồn nêu") % {"flag": label}
    return _("%(flag)s: theo %(sources)s") % {"flag": label, "sources": _names(value)}


def source_notes(source: str) -> list[str]:
    """Each part of a unit's source note as a sentence; an unknown part is kept as written."""
    notes = []
    for part in filter(None, (part.strip() for part in source.split(";"))):
        if match := re.fullmatch(r"S1 NQ1659 k\.(\d+)", part):
            notes.append(_("Nghị quyết 1659/NQ-UBTVQH15, khoản %(number)s") % {"number": match[1]})
        elif match := re.fullmatch(r"S1 NQ1659 k\.(\d+) \(không sắp xếp\)", part):
            notes.append(_("Nghị quyết 1659/NQ-UBTVQH15, khoản %(number)s (không sắp xếp)") % {"number": match[1]})
        elif match := re.fullmatch(r"S2 CV1027 stt (\d+)", part):
            notes.append(_("Công văn 1027/CTK-CSCL của Cục Thống kê, số thứ tự %(number)s") % {"number": match[1]})
        elif part == "S3 NSO":
            notes.append(_("bảng chuyển đổi đơn vị hành chính mới – cũ của Cục Thống kê"))
        elif part.startswith("M:"):
            notes.append(_flag(_("Miền núi"), part[2:], _("suy ra theo vị trí (không có văn bản nêu)")))
        elif part.startswith("B:"):
            notes.append(_flag(_("Biên giới"), part[2:], _("suy ra theo vị trí địa lý (không có văn bản nêu)")))
        else:
            notes.append(part)
    return notes
