"""Charts and the coverage map as inline SVG, drawn on the server: one drawing for the page and the PDF.

Charts are accessible without colour: each has a <title> and a <desc> listing every value, and each
bar carries its label and value as text. Every piece of text is escaped here.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from communes.maps import ATTRIBUTION_VI, MapCategory, MapUnit, render_coverage_map, render_map_shapes
from communes.maps import FONT_FAMILY as MAP_FONT_FAMILY

from .figures import CityFigures, UnitCategory

WEB_FONT = "Be Vietnam Pro, Segoe UI, Roboto, Noto Sans, DejaVu Sans, Arial, sans-serif"
PRINT_FONT = "Report Serif"

STATUS_FILLS = {
    "assigned": "#8aa4c8",
    "surveyed": "#c9962b",
    "signed": "#1f5aa6",
    "active": "#1c7c3c",
    "suspended": "#a4161a",
    "ended": "#5f6b7f",
}


def map_categories() -> list[MapCategory]:
    return [
        MapCategory(UnitCategory.SUPPORTED_PAIRED, _("Được hỗ trợ, đã kết nghĩa"), "#1b7837"),
        MapCategory(UnitCategory.SUPPORTED_UNPAIRED, _("Được hỗ trợ, chưa kết nghĩa"), "#d73027"),
        MapCategory(UnitCategory.SUPPORTING_PAIRED, _("Hỗ trợ, đã kết nghĩa"), "#67a9cf"),
        MapCategory(UnitCategory.UNPAIRED, _("Chưa kết nghĩa"), "#fdae61"),
    ]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    value_text: str
    fill: str = "#a4161a"


def bar_chart(
    bars: Sequence[Bar],
    *,
    title: str,
    description: str,
    id_prefix: str,
    max_value: float | None = None,
    width: int = 360,
    font_family: str = WEB_FONT,
) -> SafeString:
    """A horizontal bar chart: each label on its own line(s), the bar under it and the value after it."""
    font, line, bar_height, gap, pad = 13, 16, 14, 12, 8
    # Room after the track for the longest value, in bold: Chromium here drew it in DejaVu Sans Bold at
    # 0.62 em a character (144 px for "100% · 128 cam kết" at 13 px); 0.66 em leaves a margin.
    value_room = max(48, math.ceil(max((len(bar.value_text) for bar in bars), default=0) * font * 0.66) + 10)
    label_chars = int((width - 2 * pad) / (font * 0.5))
    scale_max = max_value if max_value is not None else max((bar.value for bar in bars), default=0)
    scale_max = scale_max or 1
    track = width - 2 * pad - value_room
    parts, y = [], pad
    for index, bar in enumerate(bars):
        lines = textwrap.wrap(bar.label, label_chars) or [""]
        parts.append(f'<g class="chart__row" data-index="{index}">')
        for text in lines:
            y += line
            parts.append(f'<text x="{pad}" y="{y - 3}" font-size="{font}" fill="#1d2433">{escape(text)}</text>')
        length = max(0.0, min(bar.value / scale_max, 1.0)) * track
        parts.append(
            f'<rect x="{pad}" y="{y + 2}" width="{track}" height="{bar_height}" fill="#eef0f4" rx="2"/>'
            f'<rect x="{pad}" y="{y + 2}" width="{length:.1f}" height="{bar_height}" fill="{escape(bar.fill)}" rx="2"/>'
            f'<text x="{pad + track + 6}" y="{y + bar_height}" font-size="{font}" font-weight="bold" '
            f'fill="#1d2433">{escape(bar.value_text)}</text>'
        )
        parts.append("</g>")
        y += bar_height + gap
    height = y + pad - gap / 2
    id_prefix = escape(id_prefix)  # ids below are built from it, so escape it once
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    return mark_safe(  # noqa: S308 # nosec B308 B703 # every interpolated text is escaped above
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{id_prefix}" class="chart" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" viewBox="0 0 {width} {height:.0f}" '
        f'font-family="{escape(font_family)}">'
        f'<title id="{title_id}">{escape(title)}</title><desc id="{desc_id}">{escape(description)}</desc>'
        + "".join(parts)
        + "</svg>"
    )


def partnerships_by_status_chart(
    figures: CityFigures, *, font_family: str = WEB_FONT, width: int = 360, id_prefix: str
) -> SafeString:
    bars = [
        Bar(tally.label, tally.count, str(tally.count), STATUS_FILLS.get(tally.key, "#5f6b7f"))
        for tally in figures.partnerships_by_status
    ]
    return bar_chart(
        bars,
        title=_("Quan hệ kết nghĩa theo trạng thái"),
        description="; ".join(f"{bar.label}: {bar.value_text}" for bar in bars),
        id_prefix=id_prefix,
        font_family=font_family,
        width=width,
    )


def progress_by_field_chart(
    figures: CityFigures, *, font_family: str = WEB_FONT, width: int = 360, id_prefix: str
) -> SafeString:
    bars = [
        Bar(
            field.name,
            field.progress_percent,
            _("%(percent)s%% · %(count)s cam kết") % {"percent": field.progress_percent, "count": field.commitments},
            "#1c7c3c",
        )
        for field in figures.fields
    ]
    return bar_chart(
        bars,
        title=_("Tiến độ thực hiện cam kết theo lĩnh vực"),
        description=_("Tỉ lệ hoàn thành bình quân của các cam kết trong từng lĩnh vực. ")
        + "; ".join(f"{bar.label}: {bar.value_text}" for bar in bars),
        id_prefix=id_prefix,
        max_value=100,
        font_family=font_family,
        width=width,
    )


def coverage_map(
    figures: CityFigures,
    *,
    links: bool = True,
    for_print: bool = False,
    id_prefix: str,
    shapes_id_prefix: str | None = None,
) -> SafeString:
    """The 94-unit map coloured by pairing, each unit linking to its page (not on paper).

    ``figures`` is a CityFigures or the dashboard's summary (both have ``scope`` and ``units``).
    With ``shapes_id_prefix`` the outlines are not drawn here but used from ``coverage_map_shapes``.
    """
    categories = map_categories()
    if figures.scope.has_unit_filter:
        categories.append(MapCategory(UnitCategory.OUTSIDE, _("Ngoài phạm vi lọc"), "#f1f1f1"))
    units = []
    for unit in figures.units:
        tooltip = _("Kết nghĩa với %(names)s") % {"names": unit.partners} if unit.partners else ""
        url = reverse("communes:commune_detail", args=[unit.code]) if links else None
        units.append(MapUnit(code=unit.code, name=unit.name, category=unit.category, url=url, tooltip=tooltip))
    svg = render_coverage_map(
        units,
        categories,
        boundaries_path=settings.BOUNDARIES_GEOJSON,
        links=links,
        id_prefix=id_prefix,
        shapes_id_prefix=shapes_id_prefix,
        patterns=for_print,
        **({"attribution": ATTRIBUTION_VI} if for_print else {}),
    )
    if for_print:
        # On paper the map's labels use the report's bundled, embedded font.
        svg = mark_safe(svg.replace(f'font-family="{MAP_FONT_FAMILY}"', f'font-family="{PRINT_FONT}"', 1))  # noqa: S308 # nosec B308 B703 # escaped SVG, constant font names
    return svg


def coverage_map_shapes(*, id_prefix: str) -> SafeString:
    """The map's outlines, once per page, for ``coverage_map(..., shapes_id_prefix=id_prefix)``."""
    return render_map_shapes(boundaries_path=settings.BOUNDARIES_GEOJSON, id_prefix=id_prefix)
