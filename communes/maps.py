"""Server-side SVG coverage map of Đà Nẵng's 94 commune-level units.

The map is a plain SVG string so that one drawing serves both the HTML page (no JavaScript needed) and the
WeasyPrint PDF. Only the standard library and Django's HTML escaping are used, so the module can be called
from a plain script or test without settings.

Usage::

    svg = render_coverage_map(units, categories, boundaries_path=settings.BOUNDARIES_GEOJSON)

The result is a SafeString (every piece of text in it is escaped here), so a template can print it as is.
For the PDF, ``links=False`` is the better choice: the site's relative links mean nothing on paper.
"""

from __future__ import annotations

import json
import logging
import math
import re
import textwrap
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import AppRegistryNotReady, ImproperlyConfigured
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

# Verbatim from data/BOUNDARIES.md: the licence decision requires it on every map and in the PDF.
ATTRIBUTION = (
    "Boundaries: Vietnamese Provinces Database (github.com/thanglequoc/vietnamese-provinces-database, "
    "© Thang Le Quoc, MIT), derived from Bản đồ tham chiếu đơn vị hành chính Việt Nam, "
    "NXB Tài nguyên – Môi trường và Bản đồ Việt Nam (sapnhap.bando.com.vn)"
)

# The same attribution in Vietnamese for the printed report (names, copyright and licence unchanged).
ATTRIBUTION_VI = (
    "Nguồn ranh giới: Vietnamese Provinces Database (github.com/thanglequoc/vietnamese-provinces-database, "
    "© Thang Le Quoc, giấy phép MIT), xây dựng từ Bản đồ tham chiếu đơn vị hành chính Việt Nam, "
    "NXB Tài nguyên – Môi trường và Bản đồ Việt Nam (sapnhap.bando.com.vn)"
)

# Printed in black and white, two colours can become the same grey: each category then also gets
# a pattern of black strokes over its colour, in the order the categories are given.
PRINT_PATTERNS = (
    '<path d="M0,6 L6,0 M-1,1 L1,-1 M5,7 L7,5" stroke="#000" stroke-width="0.9"/>',  # diagonal hatch
    '<path d="M0,0 L6,6 M6,0 L0,6" stroke="#000" stroke-width="0.8"/>',  # cross-hatch
    '<circle cx="3" cy="3" r="1.1" fill="#000"/>',  # dots
    '<path d="M0,3 L6,3" stroke="#000" stroke-width="0.8"/>',  # horizontal lines
)


def _pattern_defs(categories, id_prefix: str) -> tuple[str, dict[str, str]]:
    """<pattern> elements and, per category key, the fill that uses its pattern (black strokes on its colour)."""
    defs, fills = [], {}
    for index, category in enumerate(c for c in categories if c.key != NO_DATA_KEY):
        if index >= len(PRINT_PATTERNS):
            break
        pattern_id = f"{id_prefix}-pattern-{index}"
        defs.append(
            f'<pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse">'
            f'<rect width="6" height="6" fill="{_clean(category.fill)}"/>{PRINT_PATTERNS[index]}</pattern>'
        )
        fills[category.key] = f"url(#{pattern_id})"
    return "<defs>" + "".join(defs) + "</defs>", fills


# Đặc khu Hoàng Sa (kind "special_zone" in data/danang-units-2025.csv, the only one). Its islands lie
# 300–450 km east of the coast; drawn at true position they would shrink the mainland to a strip.
HOANG_SA_CODE = "20333"

NO_DATA_KEY = "no_data"
NO_DATA_FILL = "#d4d4d4"

FONT_FAMILY = "Liberation Sans, Arimo, Arial, Helvetica, sans-serif"

# Douglas–Peucker tolerance in viewBox units (≈ CSS px at the default width). Hidden by the white
# borders, it halves the vertex count so the SVG stays well under 400 KB and WeasyPrint stays fast.
SIMPLIFY_TOLERANCE = 0.25

KM_PER_DEGREE = 6371.0088 * math.pi / 180  # mean Earth radius: matches the spherical projection

_KEY_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# Plain colours only: a paint such as url(...) could pull in an external resource.
_FILL_RE = re.compile(r"^(#[0-9A-Fa-f]{3,8}|[A-Za-z]+|(rgb|rgba|hsl|hsla)\([0-9.,%\s/+-]*\))$")
# Characters that XML 1.0 forbids; a stray one would make the whole SVG unparseable.
_XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _(message: str) -> str:
    """gettext that falls back to the Vietnamese source when Django is not set up (plain tests, scripts)."""
    try:
        return gettext(message)
    except (ImproperlyConfigured, AppRegistryNotReady):
        return message


@dataclass(frozen=True)
class MapCategory:
    key: str  # e.g. "supported_paired"; used in CSS class names
    label: str  # Vietnamese legend label
    fill: str  # CSS colour


@dataclass(frozen=True)
class MapUnit:
    code: str
    name: str
    category: str  # a MapCategory.key
    url: str | None = None  # link target; None → no <a>
    tooltip: str = ""  # extra text for <title>, e.g. "Đã kết nghĩa với Hòa Cường"


Ring = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Boundary:
    code: str
    name: str
    rings: tuple[Ring, ...]  # outer rings and holes alike, lon/lat; drawn with fill-rule evenodd


# --- Loading ---------------------------------------------------------------------------------------


def load_boundaries(path) -> dict[str, Boundary]:
    """The units of a GeoJSON FeatureCollection by code, parsed once per (path, modification time)."""
    key = _file_key(path)
    # A copy, so that a caller who edits the dict cannot corrupt the cache.
    return dict(_parse_boundaries(*key))


def _file_key(path) -> tuple[str, int, int]:
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return str(resolved), stat.st_mtime_ns, stat.st_size


@lru_cache(maxsize=4)
def _parse_boundaries(path: str, mtime_ns: int, size: int) -> dict[str, Boundary]:
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise ValueError(f"{path}: not a GeoJSON FeatureCollection")
    boundaries: dict[str, Boundary] = {}
    for index, feature in enumerate(data.get("features") or []):
        properties = feature.get("properties") or {}
        code = str(properties.get("code") or "").strip()
        if not code:
            raise ValueError(f"{path}: feature {index} has no code")
        if code in boundaries:
            raise ValueError(f"{path}: code {code} appears twice")
        geometry = feature.get("geometry") or {}
        if geometry.get("type") == "Polygon":
            polygons = [geometry["coordinates"]]
        elif geometry.get("type") == "MultiPolygon":
            polygons = geometry["coordinates"]
        else:
            raise ValueError(f"{path}: unit {code} has geometry {geometry.get('type')!r}, not a polygon")
        rings = tuple(
            tuple((float(point[0]), float(point[1])) for point in ring)
            for polygon in polygons
            for ring in polygon
            if ring
        )
        if not rings:
            raise ValueError(f"{path}: unit {code} has an empty geometry")
        boundaries[code] = Boundary(code=code, name=str(properties.get("name") or code), rings=rings)
    if not boundaries:
        raise ValueError(f"{path}: no features")
    return boundaries


# --- Geometry --------------------------------------------------------------------------------------

# Points are kept as integers in tenths of a viewBox unit: rounding to one decimal is then exact, and
# shared borders stay identical in the two neighbours, which the simplification below relies on.
Point = tuple[int, int]


@dataclass(frozen=True)
class _Projection:
    lon_min: float
    lat_max: float
    x_factor: float  # cos(mean latitude)
    scale: float  # viewBox units per degree of latitude
    x0: float
    y0: float

    def tenths(self, lon: float, lat: float) -> Point:
        x = self.x0 + (lon - self.lon_min) * self.x_factor * self.scale
        y = self.y0 + (self.lat_max - lat) * self.scale
        return round(x * 10), round(y * 10)

    @property
    def units_per_km(self) -> float:
        return self.scale / KM_PER_DEGREE


def _bbox(boundaries: Iterable[Boundary]) -> tuple[float, float, float, float]:
    lons = [lon for b in boundaries for ring in b.rings for lon, _lat in ring]
    lats = [lat for b in boundaries for ring in b.rings for _lon, lat in ring]
    return min(lons), min(lats), max(lons), max(lats)


def _fit(bbox, x0: float, y0: float, max_width: float, max_height: float | None = None):
    """Projection that fits bbox into a box at (x0, y0); returns it with the drawn width and height."""
    lon_min, lat_min, lon_max, lat_max = bbox
    x_factor = math.cos(math.radians((lat_min + lat_max) / 2))
    span_x = max((lon_max - lon_min) * x_factor, 1e-9)
    span_y = max(lat_max - lat_min, 1e-9)
    scale = max_width / span_x
    if max_height is not None:
        scale = min(scale, max_height / span_y)
    # Centre the drawing in the box along the axis that has room to spare.
    x0 += (max_width - span_x * scale) / 2
    if max_height is not None:
        y0 += (max_height - span_y * scale) / 2
    return _Projection(lon_min, lat_max, x_factor, scale, x0, y0), span_x * scale, span_y * scale


def _project_rings(boundaries: Sequence[Boundary], projection: _Projection) -> list[list[list[Point]]]:
    """Rings in tenths, consecutive duplicates and the closing point dropped."""
    projected = []
    for boundary in boundaries:
        rings = []
        for ring in boundary.rings:
            points: list[Point] = []
            for lon, lat in ring:
                point = projection.tenths(lon, lat)
                if not points or points[-1] != point:
                    points.append(point)
            if len(points) > 1 and points[0] == points[-1]:
                points.pop()
            rings.append(points)
        projected.append(rings)
    return projected


def _douglas_peucker(points: list[Point], tolerance: float) -> list[bool]:
    """Which points of an open polyline to keep; the same answer when the polyline is reversed."""
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    limit = tolerance * tolerance
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        ax, ay = points[first]
        dx, dy = points[last][0] - ax, points[last][1] - ay
        length2 = dx * dx + dy * dy
        best, best_index = -1.0, -1
        for index in range(first + 1, last):
            px, py = points[index]
            if length2:
                cross = dx * (py - ay) - dy * (px - ax)
                distance2 = cross * cross / length2
            else:
                distance2 = float((px - ax) ** 2 + (py - ay) ** 2)
            # Ties are broken by the point itself, not its position, so both neighbours agree.
            if distance2 > best or (distance2 == best and points[index] > points[best_index]):
                best, best_index = distance2, index
        if best > limit:
            keep[best_index] = True
            stack.append((first, best_index))
            stack.append((best_index, last))
    return keep


def _simplify(units: list[list[list[Point]]], tolerance: float) -> list[list[list[Point]]]:
    """Douglas–Peucker along shared borders, so that neighbouring units keep fitting together.

    A vertex where the set of rings through it changes (a junction of three units, or where a border
    meets the coast) is kept; the run between two such vertices is the same in both neighbours
    (the file was simplified by mapshaper, which keeps shared arcs identical) and is simplified alike.
    """
    tolerance_tenths = tolerance * 10
    rings_through: dict[Point, set[int]] = defaultdict(set)
    all_rings = [ring for rings in units for ring in rings]
    for ring_id, ring in enumerate(all_rings):
        for point in ring:
            rings_through[point].add(ring_id)
    fixed: set[Point] = set()
    for ring in all_rings:
        for index, point in enumerate(ring):
            here = rings_through[point]
            if here != rings_through[ring[index - 1]] or here != rings_through[ring[(index + 1) % len(ring)]]:
                fixed.add(point)

    simplified_units = []
    for rings in units:
        simplified: list[list[Point]] = []
        for ring in rings:
            if len(ring) < 4:
                simplified.append(ring)
                continue
            anchors = [index for index, point in enumerate(ring) if point in fixed]
            # An island, or a ring that only one neighbour surrounds: start at its smallest point,
            # which the neighbour's matching ring picks too.
            start = anchors[0] if anchors else min(range(len(ring)), key=ring.__getitem__)
            rotated = ring[start:] + ring[:start] + [ring[start]]
            is_anchor = [point in fixed for point in rotated]
            is_anchor[0] = is_anchor[-1] = True
            kept: list[Point] = []
            run_start = 0
            for index in range(1, len(rotated)):
                if is_anchor[index]:
                    run = rotated[run_start : index + 1]
                    flags = _douglas_peucker(run, tolerance_tenths)
                    kept.extend(point for point, keep in zip(run[:-1], flags[:-1], strict=True) if keep)
                    run_start = index
            simplified.append(kept if len(kept) >= 3 else ring)
        simplified_units.append(simplified)
    return simplified_units


def _number(tenths: int) -> str:
    whole, tenth = divmod(abs(tenths), 10)
    text = f"{whole}.{tenth}" if tenth else str(whole)
    return "-" + text if tenths < 0 else text


def _path_data(rings: list[list[Point]]) -> str:
    """Absolute move-to per ring, then relative line-tos: about a third smaller than absolute ones."""
    parts = []
    for ring in rings:
        if len(ring) < 3:
            continue
        (x, y), out = ring[0], []
        out.append(f"M{_number(x)} {_number(y)}l")
        first = True
        for px, py in ring[1:]:
            dx, dy = px - x, py - y
            # A minus sign separates numbers by itself; a space is needed only before a positive one.
            out.append(("" if first or dx < 0 else " ") + _number(dx) + ("" if dy < 0 else " ") + _number(dy))
            x, y, first = px, py, False
        out.append("z")
        parts.append("".join(out))
    if not parts:  # a unit smaller than the rounding step still gets a (degenerate) path
        x, y = max(rings, key=len)[0] if rings and any(rings) else (0, 0)
        parts.append(f"M{_number(x)} {_number(y)}z")
    return "".join(parts)


# --- Layout ----------------------------------------------------------------------------------------

PAD = 12.0
LEGEND_FONT = 13.0
LEGEND_ROW = 20.0
SWATCH = 14.0
ATTRIBUTION_FONT = 9.5
ATTRIBUTION_LINE = 12.0
INSET_LABEL_FONT = 12.0
SCALE_FONT = 11.0
TEXT_COLOUR = "#222"
MUTED_COLOUR = "#555"


@dataclass(frozen=True)
class _Rect:
    x: float
    y: float
    width: float
    height: float

    def contains(self, x: float, y: float, margin: float = 0.0) -> bool:
        return (
            self.x - margin <= x <= self.x + self.width + margin
            and self.y - margin <= y <= self.y + self.height + margin
        )


@dataclass(frozen=True)
class _Geometry:
    """Everything that depends only on the boundary file and the width: computed once, then cached."""

    codes: tuple[str, ...]  # file order
    names: dict[str, str]
    paths: dict[str, str]  # code → path data
    map_rect: _Rect  # the mainland drawing
    units_per_km: float
    inset_code: str | None
    inset_rect: _Rect | None
    inset_units_per_km: float
    inset_scale_y: float  # baseline of the inset's scale bar


def _geometry(path, width: int) -> _Geometry:
    return _geometry_cached(_file_key(path), width)


@lru_cache(maxsize=16)
def _geometry_cached(file_key: tuple[str, int, int], width: int) -> _Geometry:
    boundaries = _parse_boundaries(*file_key)
    mainland = [b for b in boundaries.values() if b.code != HOANG_SA_CODE]
    if not mainland:
        raise ValueError("the boundary file has no unit besides Hoàng Sa")
    projection, map_width, map_height = _fit(_bbox(mainland), PAD, PAD, width - 2 * PAD)
    mainland_points = _simplify(_project_rings(mainland, projection), SIMPLIFY_TOLERANCE)
    paths = {b.code: _path_data(rings) for b, rings in zip(mainland, mainland_points, strict=True)}
    map_rect = _Rect(PAD, PAD, map_width, map_height)

    inset_code = HOANG_SA_CODE if HOANG_SA_CODE in boundaries else None
    inset_rect, inset_units_per_km, inset_scale_y = None, 0.0, 0.0
    if inset_code:
        inset = boundaries[inset_code]
        bbox = _bbox([inset])
        box_width = round(width * 0.22)
        inner = box_width - 16
        aspect = ((bbox[2] - bbox[0]) * math.cos(math.radians((bbox[1] + bbox[3]) / 2))) / max(bbox[3] - bbox[1], 1e-9)
        inner_height = min(inner / max(aspect, 1e-9), inner * 1.3)
        label_height, scale_height = 22.0, 24.0
        box_height = label_height + inner_height + scale_height
        mainland_vertices = [(x / 10, y / 10) for rings in mainland_points for ring in rings for x, y in ring]
        inset_rect, shift = _place_inset(map_rect, box_width, box_height, mainland_vertices)
        if shift:
            # The inset needs room above the land: move the mainland down instead of shrinking it.
            step = round(shift * 10)
            mainland_points = [[[(x, y + step) for x, y in ring] for ring in rings] for rings in mainland_points]
            paths = {b.code: _path_data(rings) for b, rings in zip(mainland, mainland_points, strict=True)}
            map_rect = _Rect(map_rect.x, map_rect.y, map_rect.width, map_rect.height + step / 10)
        inset_projection, _w, _h = _fit(bbox, inset_rect.x + 8, inset_rect.y + label_height, inner, inner_height)
        inset_points = _simplify(_project_rings([inset], inset_projection), SIMPLIFY_TOLERANCE)
        paths[inset_code] = _path_data(inset_points[0])
        inset_units_per_km = inset_projection.units_per_km
        inset_scale_y = inset_rect.y + label_height + inner_height + 15
        # On a short mainland (a small test file) the inset can reach lower than the land does.
        bottom = max(map_rect.y + map_rect.height, inset_rect.y + inset_rect.height)
        map_rect = _Rect(map_rect.x, map_rect.y, map_rect.width, bottom - map_rect.y)

    return _Geometry(
        codes=tuple(boundaries),
        names={code: b.name for code, b in boundaries.items()},
        paths=paths,
        map_rect=map_rect,
        units_per_km=projection.units_per_km,
        inset_code=inset_code,
        inset_rect=inset_rect,
        inset_units_per_km=inset_units_per_km,
        inset_scale_y=inset_scale_y,
    )


def _place_inset(map_rect: _Rect, width: float, height: float, vertices) -> tuple[_Rect, float]:
    """Where the inset goes, and how far the mainland must move down to make room for it.

    Hoàng Sa lies east of the mainland, so the inset stays on the right: the top-right or bottom-right
    corner of the mainland frame if no land is there, else top-right with the land moved down below it.
    """
    margin = 10.0  # keeps islands such as Cù Lao Chàm clear of the frame
    x = map_rect.x + map_rect.width - width
    for y in (map_rect.y, map_rect.y + map_rect.height - height):
        rect = _Rect(x, y, width, height)
        if not any(rect.contains(vx, vy, margin) for vx, vy in vertices):
            return rect, 0.0
    # The highest land under the right-hand column decides how far down the mainland must go.
    highest = min((vy for vx, vy in vertices if x - margin <= vx <= x + width + margin), default=map_rect.y)
    shift = max(0.0, map_rect.y + height + margin - highest)
    return _Rect(x, map_rect.y, width, height), math.ceil(shift * 10) / 10


def _nice_length(max_km: float) -> float:
    """The largest 1, 2 or 5 × 10ⁿ km not above max_km, for a scale bar."""
    if max_km <= 0:
        return 0.0
    power = 10 ** math.floor(math.log10(max_km))
    for step in (5, 2, 1):
        if step * power <= max_km:
            return step * power
    return power


def _km_label(km: float) -> str:
    return f"{km:g} km"


def _text_width(text: str, font_size: float) -> float:
    """A generous estimate (no font metrics here): about 0.55 em per character for a sans font."""
    return len(text) * font_size * 0.55


def _clean(text) -> str:
    """Escaped text, with characters XML cannot hold removed (they come from untrusted input)."""
    return escape(_XML_INVALID_RE.sub("", str(text)))


def _safe_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https"):
        raise ValueError(f"refusing a link with scheme {parts.scheme!r}")
    return url


def _scale_bar(x: float, y: float, length: float, km: float) -> str:
    """A bar from (x, y) to the right with end ticks, labelled above its middle."""
    return (
        f'<g class="scale-bar" stroke="{TEXT_COLOUR}" stroke-width="1" fill="none">'
        f'<path d="M{x:.1f} {y - 4:.1f}v4h{length:.1f}v-4"/></g>'
        f'<text x="{x + length / 2:.1f}" y="{y - 7:.1f}" font-size="{SCALE_FONT:g}" text-anchor="middle" '
        f'fill="{TEXT_COLOUR}">{_clean(_km_label(km))}</text>'
    )


# --- Rendering -------------------------------------------------------------------------------------


_REPORTED_UNKNOWN: set[tuple[str, ...]] = set()


def render_map_shapes(*, boundaries_path, id_prefix: str, width: int = 720) -> SafeString:
    """The units' outlines alone, as an invisible SVG of definitions for ``render_coverage_map``'s
    ``shapes_id_prefix``: drawn once per page (same ``width``), outside any fragment htmx replaces.

    The outlines carry no fill or stroke, so each ``<use>`` gives them its own colour and border.
    """
    if not _KEY_RE.match(id_prefix):
        raise ValueError(f"invalid id_prefix {id_prefix!r}")
    # Drawn on every dashboard page: kept per process until the boundary file changes.
    return _map_shapes(_file_key(boundaries_path), int(width), id_prefix)


@lru_cache(maxsize=8)
def _map_shapes(file_key: tuple[str, int, int], width: int, id_prefix: str) -> SafeString:
    geometry = _geometry_cached(file_key, width)
    paths = "".join(f'<path id="{id_prefix}-{_clean(code)}" d="{geometry.paths[code]}"/>' for code in geometry.codes)
    return mark_safe(  # noqa: S308 # nosec B308 B703 # codes are escaped, path data are numbers written here
        f'<svg xmlns="http://www.w3.org/2000/svg" class="map-shapes" width="0" height="0" aria-hidden="true">'
        f"<defs>{paths}</defs></svg>"
    )


def render_coverage_map(
    units: Iterable[MapUnit],
    categories: Sequence[MapCategory],
    *,
    boundaries_path,
    width: int = 720,
    title: str | None = None,
    attribution: str = ATTRIBUTION,
    links: bool = True,
    id_prefix: str = "coverage-map",
    shapes_id_prefix: str | None = None,
    patterns: bool = False,
) -> SafeString:
    """The coverage map as an inline SVG document (a SafeString: all text inside is escaped).

    With ``patterns`` (paper) each category's colour also carries a black pattern, so that the map
    stays legible printed in black and white. Units are coloured by category; units of the boundary file that are absent from ``units`` are drawn
    in the grey "Chưa có dữ liệu" category. Raises ValueError for a unit with an unknown category, a
    duplicate code, an unsafe colour or link. Units whose code is not in the boundary file are skipped.
    ``id_prefix`` must differ between maps on the same page (it names the <title>, <desc> and styles).

    With ``shapes_id_prefix``, each unit is a ``<use>`` of the outline that ``render_map_shapes`` drew
    once elsewhere in the same page under that prefix: a map re-sent on every filter change then
    carries colours and names, not the 35 KB of outlines (which never change).
    """
    if not _KEY_RE.match(id_prefix):
        raise ValueError(f"invalid id_prefix {id_prefix!r}")
    if shapes_id_prefix is not None and not _KEY_RE.match(shapes_id_prefix):
        raise ValueError(f"invalid shapes_id_prefix {shapes_id_prefix!r}")
    width = int(width)
    if width < 240:
        raise ValueError("width must be at least 240")
    title = _("Bản đồ kết nghĩa các xã, phường, đặc khu của thành phố Đà Nẵng") if title is None else title

    by_key: dict[str, MapCategory] = {}
    for category in categories:
        if not _KEY_RE.match(category.key):
            raise ValueError(f"invalid category key {category.key!r}")
        if not _FILL_RE.match(category.fill.strip()):
            raise ValueError(f"invalid fill {category.fill!r} for category {category.key!r}")
        if category.key in by_key:
            raise ValueError(f"category {category.key!r} given twice")
        by_key[category.key] = category
    if NO_DATA_KEY not in by_key:
        by_key[NO_DATA_KEY] = MapCategory(NO_DATA_KEY, _("Chưa có dữ liệu"), NO_DATA_FILL)
    pattern_defs, pattern_fills = _pattern_defs(list(by_key.values()), id_prefix) if patterns else ("", {})

    geometry = _geometry(boundaries_path, width)

    given: dict[str, MapUnit] = {}
    for unit in units:
        if unit.category not in by_key:
            raise ValueError(f"unit {unit.code}: unknown category {unit.category!r}")
        if unit.code in given:
            raise ValueError(f"unit {unit.code} given twice")
        if unit.url and links:
            _safe_url(unit.url)
        given[unit.code] = unit
    unknown = tuple(sorted(set(given) - set(geometry.codes)))
    if unknown and unknown not in _REPORTED_UNKNOWN:
        # Once per process and set of codes: a dashboard is drawn on every request.
        _REPORTED_UNKNOWN.add(unknown)
        logger.warning("Coverage map: no boundary for %d unit codes: %s", len(unknown), ", ".join(unknown[:20]))

    counts = dict.fromkeys(by_key, 0)
    for code in geometry.codes:
        counts[given[code].category if code in given else NO_DATA_KEY] += 1
    legend = [c for c in by_key.values() if c.key != NO_DATA_KEY or counts[NO_DATA_KEY]]

    out: list[str] = []
    map_rect = geometry.map_rect

    # Legend: below the map so that it can never hide land; the scale bar sits to its right.
    scale_km = _nice_length(map_rect.width * 0.2 / geometry.units_per_km)
    scale_length = scale_km * geometry.units_per_km
    legend_top = map_rect.y + map_rect.height + 14
    legend_width = width - 2 * PAD - scale_length - 24
    labels = [f"{c.label} ({counts[c.key]})" for c in legend]
    item_width = SWATCH + 6 + max(_text_width(label, LEGEND_FONT) for label in labels) + 16
    columns = max(1, min(len(labels), int(legend_width // item_width)))
    column_width = legend_width / columns
    rows = math.ceil(len(labels) / columns)
    legend_items = []
    for index, (category, label) in enumerate(zip(legend, labels, strict=True)):
        row, column = divmod(index, columns)
        x = PAD + column * column_width
        y = legend_top + row * LEGEND_ROW
        legend_items.append(
            f'<rect class="legend-swatch" x="{x:.1f}" y="{y:.1f}" width="{SWATCH:g}" height="{SWATCH:g}" '
            f'fill="{pattern_fills.get(category.key) or _clean(category.fill)}" stroke="#999" stroke-width="0.5"/>'
            f'<text class="legend-label" data-category="{_clean(category.key)}" x="{x + SWATCH + 6:.1f}" '
            f'y="{y + SWATCH - 2.5:.1f}" font-size="{LEGEND_FONT:g}" fill="{TEXT_COLOUR}">{_clean(label)}</text>'
        )
    legend_bottom = legend_top + rows * LEGEND_ROW

    # Attribution: wrapped by an estimate of the text width, so it may take two or three lines.
    chars_per_line = max(20, int((width - 2 * PAD) / (ATTRIBUTION_FONT * 0.53)))
    attribution_lines = textwrap.wrap(_XML_INVALID_RE.sub("", attribution), chars_per_line) if attribution else []
    attribution_top = legend_bottom + 8
    height = attribution_top + len(attribution_lines) * ATTRIBUTION_LINE + PAD - 2

    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    summary = "; ".join(f"{c.label}: {counts[c.key]}" for c in legend)
    description = _("Bản đồ %(total)d đơn vị hành chính cấp xã của thành phố Đà Nẵng. %(summary)s.") % {
        "total": len(geometry.codes),
        "summary": summary,
    }
    if geometry.inset_code:
        description += " " + _("Đặc khu Hoàng Sa được vẽ trong khung riêng, không đúng vị trí và tỉ lệ.")

    # A picture with links inside is not an "img" (its children would be hidden from assistive
    # technology and axe flags nested interactive controls): it then keeps the svg's own role, a
    # labelled graphics document whose links stay reachable ("group" is not a valid role on <svg>).
    linked = links and any(unit.url for unit in given.values())
    root_role = "" if linked else ' role="img"'
    out.append(
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{id_prefix}" class="coverage-map"{root_role} '
        f'aria-labelledby="{title_id} {desc_id}" viewBox="0 0 {width} {height:.1f}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" font-family="{FONT_FAMILY}">'
        f'<title id="{title_id}">{_clean(title)}</title>'
        f'<desc id="{desc_id}">{_clean(description)}</desc>'
        # No <style> element here: the pages' CSP forbids inline styles; hover and focus outlines
        # come from static/css/portal.css (.coverage-map), and paper needs neither.
        f'<rect class="background" width="{width}" height="{height:.1f}" fill="#fff"/>'
    )
    if patterns:
        out.append(pattern_defs)

    if geometry.inset_rect:
        rect = geometry.inset_rect
        # Outside the f-string: makemessages (xgettext) does not look inside f-string expressions.
        inset_label = _clean(_("Đặc khu Hoàng Sa"))
        out.append(
            f'<g class="inset"><rect class="inset-frame" x="{rect.x:.1f}" y="{rect.y:.1f}" '
            f'width="{rect.width:.1f}" height="{rect.height:.1f}" fill="#f4f8fb" stroke="#8a99a6" '
            f'stroke-width="0.8"/>'
            f'<text class="inset-label" x="{rect.x + 8:.1f}" y="{rect.y + 16:.1f}" '
            f'font-size="{INSET_LABEL_FONT:g}" font-weight="bold" fill="{TEXT_COLOUR}">'
            f"{inset_label}</text>"
        )
        inset_km = _nice_length((rect.width - 24) * 0.6 / geometry.inset_units_per_km)
        out.append(_scale_bar(rect.x + 8, geometry.inset_scale_y, inset_km * geometry.inset_units_per_km, inset_km))
        out.append("</g>")

    out.append('<g class="units" stroke="#fff" stroke-width="0.6" stroke-linejoin="round" fill-rule="evenodd">')
    for code in geometry.codes:
        unit = given.get(code)
        category = by_key[unit.category if unit else NO_DATA_KEY]
        name = unit.name if unit else geometry.names[code]
        tooltip = f"{name} – {category.label}"
        if unit and unit.tooltip:
            tooltip += f"; {unit.tooltip}"
        # Hoàng Sa's islets are a pixel wide: a white border would erase them, an outline in the fill
        # colour keeps them visible.
        stroke = f' stroke="{_clean(category.fill)}" stroke-width="0.8"' if code == geometry.inset_code else ""
        shape = (
            f'<path d="{geometry.paths[code]}"'
            if shapes_id_prefix is None
            else f'<use href="#{shapes_id_prefix}-{_clean(code)}"'
        )
        tag = "path" if shapes_id_prefix is None else "use"
        element = (
            f'{shape} class="unit unit--{category.key}" fill="{pattern_fills.get(category.key) or _clean(category.fill)}"'
            f'{stroke} data-code="{_clean(code)}"><title>{_clean(tooltip)}</title></{tag}>'
        )
        if links and unit and unit.url:
            element = f'<a href="{_clean(unit.url)}" aria-label="{_clean(tooltip)}">{element}</a>'
        out.append(element)
    out.append("</g>")

    out.append(f'<g class="legend">{"".join(legend_items)}</g>')
    scale_x = width - PAD - scale_length
    out.append(_scale_bar(scale_x, legend_top + SWATCH, scale_length, scale_km))

    if attribution_lines:
        out.append(
            f'<text class="attribution" x="{PAD:g}" y="{attribution_top:.1f}" font-size="{ATTRIBUTION_FONT:g}" '
            f'fill="{MUTED_COLOUR}">'
        )
        for index, line in enumerate(attribution_lines):
            dy = ATTRIBUTION_FONT if index == 0 else ATTRIBUTION_LINE
            out.append(f'<tspan x="{PAD:g}" dy="{dy:g}">{escape(line)}</tspan>')
        out.append("</text>")

    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308 # nosec B308 B703 # every interpolated text above goes through escape()
