"""The server-side SVG coverage map: geometry, inset, legend, links, escaping. No database needed."""

import csv
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from communes.maps import (
    ATTRIBUTION,
    FONT_FAMILY,
    HOANG_SA_CODE,
    NO_DATA_FILL,
    MapCategory,
    MapUnit,
    load_boundaries,
    render_coverage_map,
)

DATA = Path(__file__).resolve().parents[2] / "data"
GEOJSON = DATA / "danang-units-2025.geojson"
SVG = "{http://www.w3.org/2000/svg}"

CATEGORIES = [
    MapCategory("supported_paired", "Được hỗ trợ, đã kết nghĩa", "#1b7837"),
    MapCategory("supported_unpaired", "Được hỗ trợ, chưa kết nghĩa", "#e08214"),
    MapCategory("supporting_paired", "Hỗ trợ, đã kết nghĩa", "#5aae61"),
]


# --- Helpers ---------------------------------------------------------------------------------------


def path_points(d: str) -> list[tuple[float, float]]:
    """Absolute vertices of an SVG path made of M/m, L/l and Z/z commands (implicit pairs included)."""
    tokens = re.findall(r"[MmLlZz]|-?(?:\d+\.?\d*|\.\d+)", d)
    assert not re.search(r"[^MmLlZz0-9.\s-]", d), d[:80]
    points, command, x, y, start, index = [], None, 0.0, 0.0, (0.0, 0.0), 0
    while index < len(tokens):
        token = tokens[index]
        if token in "MmLlZz":
            command = token
            index += 1
            if token in "Zz":
                x, y = start
            continue
        px, py = float(tokens[index]), float(tokens[index + 1])
        index += 2
        if command in "ml":
            px, py = x + px, y + py
        x, y = px, py
        if command in "Mm":
            start = (x, y)
            command = "L" if command == "M" else "l"  # later pairs are line-tos
        points.append((x, y))
    return points


def view_box(root) -> tuple[float, float, float, float]:
    return tuple(float(v) for v in root.get("viewBox").split())


def unit_paths(root) -> dict[str, ET.Element]:
    return {path.get("data-code"): path for path in root.iter(f"{SVG}path") if path.get("data-code")}


def rect_of(element) -> tuple[float, float, float, float]:
    x, y = float(element.get("x")), float(element.get("y"))
    return x, y, x + float(element.get("width")), y + float(element.get("height"))


def legend_texts(root) -> list[str]:
    return [text.text for text in root.iter(f"{SVG}text") if text.get("class") == "legend-label"]


def square(lon: float, lat: float, size: float = 0.1) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def write_geojson(path: Path, units: list[tuple[str, str, dict]]) -> Path:
    features = [
        {"type": "Feature", "properties": {"code": code, "name": name}, "geometry": geometry}
        for code, name, geometry in units
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def csv_rows():
    with (DATA / "danang-units-2025.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def real_units(csv_rows):
    """33 supported units paired, the next 50 paired supporting units with links, 11 left without data."""
    units = []
    for index, row in enumerate(csv_rows[:83]):
        key = "supported_paired" if index < 33 else "supporting_paired"
        url = f"/don-vi/{row['code']}/" if index >= 33 else None
        units.append(MapUnit(row["code"], row["name"], key, url=url, tooltip="Đã kết nghĩa"))
    return units


@pytest.fixture(scope="module")
def real_svg(real_units):
    return render_coverage_map(real_units, CATEGORIES, boundaries_path=GEOJSON)


@pytest.fixture(scope="module")
def real_root(real_svg):
    return ET.fromstring(real_svg)


@pytest.fixture
def tiny_geojson(tmp_path):
    """Three mainland squares side by side and a far-off "Hoàng Sa" square, as in the real file."""
    return write_geojson(
        tmp_path / "tiny.geojson",
        [
            ("10001", "Một", square(108.0, 16.0)),
            ("10002", "Hai", square(108.1, 16.0)),
            ("10003", "Ba", square(108.2, 16.0)),
            (HOANG_SA_CODE, "Hoàng Sa", {"type": "MultiPolygon", "coordinates": [square(111.5, 16.5)["coordinates"]]}),
        ],
    )


# --- Data and loading ------------------------------------------------------------------------------


def test_hoang_sa_code_is_the_special_zone_of_the_reference_data(csv_rows):
    assert [row["code"] for row in csv_rows if row["kind"] == "special_zone"] == [HOANG_SA_CODE]
    boundaries = load_boundaries(GEOJSON)
    assert boundaries[HOANG_SA_CODE].name == "Hoàng Sa"
    assert min(lon for ring in boundaries[HOANG_SA_CODE].rings for lon, _lat in ring) > 111


def test_load_boundaries_reads_94_units_once(csv_rows):
    first = load_boundaries(GEOJSON)
    second = load_boundaries(str(GEOJSON))
    assert set(first) == {row["code"] for row in csv_rows} and len(first) == 94
    assert first["20242"] is second["20242"], "the file must be parsed once, not on every call"
    first.clear()
    assert len(load_boundaries(GEOJSON)) == 94, "a caller's change must not reach the cache"


def test_load_boundaries_rereads_a_changed_file(tmp_path):
    path = write_geojson(tmp_path / "units.geojson", [("10001", "Cũ", square(108.0, 16.0))])
    assert load_boundaries(path)["10001"].name == "Cũ"
    write_geojson(path, [("10001", "Mới", square(108.0, 16.0))])
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert load_boundaries(path)["10001"].name == "Mới"


def test_load_boundaries_rejects_duplicate_codes(tmp_path):
    path = write_geojson(tmp_path / "dup.geojson", [("1", "A", square(108, 16)), ("1", "B", square(109, 16))])
    with pytest.raises(ValueError, match="twice"):
        load_boundaries(path)


# --- The real map ----------------------------------------------------------------------------------


def test_real_map_is_xml_with_one_path_per_unit(real_root, csv_rows):
    codes = [path.get("data-code") for path in real_root.iter(f"{SVG}path") if path.get("data-code")]
    assert len(codes) == 94
    assert set(codes) == {row["code"] for row in csv_rows}
    for path in unit_paths(real_root).values():
        assert len(path_points(path.get("d"))) >= 3


def test_real_map_stays_small(real_svg):
    # The target is < 400 KB; rounding alone gives about 400 KB, the simplification about 130 KB.
    size = len(real_svg.encode("utf-8"))
    assert size < 200_000, f"the SVG is {size} bytes"


def test_mainland_fits_the_viewbox_and_leaves_the_inset_and_legend_clear(real_root):
    x0, y0, width, height = view_box(real_root)
    assert (x0, y0, width) == (0, 0, 720)
    frame = next(r for r in real_root.iter(f"{SVG}rect") if r.get("class") == "inset-frame")
    left, top, right, bottom = rect_of(frame)
    legend_top = min(rect_of(r)[1] for r in real_root.iter(f"{SVG}rect") if r.get("class") == "legend-swatch")
    mainland = [p for code, p in unit_paths(real_root).items() if code != HOANG_SA_CODE]
    assert len(mainland) == 93
    points = [point for path in mainland for point in path_points(path.get("d"))]
    xs, ys = [x for x, _y in points], [y for _x, y in points]
    assert 0 < min(xs) and max(xs) < width and 0 < min(ys) and max(ys) < height
    # The land fills the width (fitted, not just somewhere inside).
    assert min(xs) < 20 and max(xs) > width - 20
    assert not [p for p in points if left <= p[0] <= right and top <= p[1] <= bottom], "inset hides land"
    assert max(ys) < legend_top, "legend overlaps the land"


def test_hoang_sa_is_drawn_inside_the_inset(real_root):
    frame = next(r for r in real_root.iter(f"{SVG}rect") if r.get("class") == "inset-frame")
    left, top, right, bottom = rect_of(frame)
    # East of the mainland, as on any Vietnamese map: the inset is on the right-hand side.
    assert right > view_box(real_root)[2] / 2
    points = path_points(unit_paths(real_root)[HOANG_SA_CODE].get("d"))
    assert len(points) > 46 * 3
    assert all(left < x < right and top < y < bottom for x, y in points)
    inset = next(g for g in real_root.iter(f"{SVG}g") if g.get("class") == "inset")
    assert "Đặc khu Hoàng Sa" in "".join(inset.itertext())
    assert "km" in "".join(inset.itertext()), "the inset needs its own scale bar"


def test_real_legend_and_description_count_units(real_root):
    assert legend_texts(real_root) == [
        "Được hỗ trợ, đã kết nghĩa (33)",
        "Được hỗ trợ, chưa kết nghĩa (0)",
        "Hỗ trợ, đã kết nghĩa (50)",
        "Chưa có dữ liệu (11)",
    ]
    desc = real_root.find(f"{SVG}desc").text
    assert "94" in desc and "Được hỗ trợ, đã kết nghĩa: 33" in desc and "Chưa có dữ liệu: 11" in desc
    fills = {p.get("class"): p.get("fill") for p in unit_paths(real_root).values()}
    assert fills["unit unit--no_data"] == NO_DATA_FILL
    assert fills["unit unit--supported_paired"] == "#1b7837"


def test_real_links_and_tooltips(real_root, real_units):
    anchors = list(real_root.iter(f"{SVG}a"))
    assert len(anchors) == 50
    assert {a.get("href") for a in anchors} == {u.url for u in real_units if u.url}
    for anchor in anchors:
        (path,) = list(anchor)
        assert anchor.get("href") == f"/don-vi/{path.get('data-code')}/"
    hai_chau = unit_paths(real_root)["20242"]
    assert hai_chau.find(f"{SVG}title").text == "Hải Châu – Được hỗ trợ, đã kết nghĩa; Đã kết nghĩa"


def test_links_can_be_left_out(real_units):
    svg = render_coverage_map(real_units, CATEGORIES, boundaries_path=GEOJSON, links=False)
    root = ET.fromstring(svg)
    assert not list(root.iter(f"{SVG}a")) and "href" not in svg
    assert root.get("role") == "img"  # without links the whole map is one picture
    assert len(unit_paths(root)) == 94


def test_attribution_matches_boundaries_md_and_is_printed(real_root):
    text = " ".join((DATA / "BOUNDARIES.md").read_text(encoding="utf-8").split())
    assert f'"{ATTRIBUTION}"' in text, "ATTRIBUTION must be the text BOUNDARIES.md asks for"
    attribution = next(t for t in real_root.iter(f"{SVG}text") if t.get("class") == "attribution")
    lines = [tspan.text for tspan in attribution]
    assert 2 <= len(lines) <= 3
    assert " ".join(lines) == ATTRIBUTION


def test_accessible_and_without_active_content(real_root, real_svg):
    # With links inside, the map keeps the svg's own role (an "img" would hide its links, "group" is
    # invalid HTML on <svg>); it stays labelled and each link is named.
    assert real_root.get("role") is None and real_root.get("aria-labelledby")
    links = list(real_root.iter(f"{SVG}a"))
    assert links and all(link.get("aria-label") for link in links)
    assert real_root.get("width") == "100%"
    title_id, desc_id = real_root.get("aria-labelledby").split()
    assert real_root.find(f"{SVG}title").get("id") == title_id
    assert real_root.find(f"{SVG}desc").get("id") == desc_id
    assert "<script" not in real_svg.lower()
    for element in real_root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            assert "url(" not in value and "javascript:" not in value.lower()
            assert name != "href" or element.tag == f"{SVG}a"
        assert element.tag not in (f"{SVG}image", f"{SVG}use", f"{SVG}foreignObject")
    fonts = {e.get("font-family") for e in real_root.iter() if e.get("font-family")}
    assert fonts == {FONT_FAMILY}
    units = next(g for g in real_root.iter(f"{SVG}g") if g.get("class") == "units")
    assert units.get("stroke") == "#fff"


# --- Escaping and missing units, on a tiny file ---------------------------------------------------


def test_text_is_escaped_and_missing_units_are_grey(tiny_geojson):
    evil = "<script>alert(\"x\")</script> & 'Hòa'\x07"
    categories = [MapCategory("paired", "Đã <b>kết nghĩa</b>", "#1b7837")]
    units = [
        MapUnit("10001", evil, "paired", url='/x/?a=1&b="2"', tooltip="<i>chú thích</i>"),
        MapUnit("99999", "Không có ranh giới", "paired"),  # no boundary: skipped, not counted
    ]
    svg = render_coverage_map(
        units, categories, boundaries_path=tiny_geojson, title="<Bản đồ>", attribution="Nguồn <x> & y"
    )
    assert "<script" not in svg and "<b>" not in svg and "<i>" not in svg and "<x>" not in svg
    root = ET.fromstring(svg)  # parses despite the quotes, ampersands and the control character
    paths = unit_paths(root)
    assert set(paths) == {"10001", "10002", "10003", HOANG_SA_CODE}
    assert paths["10001"].find(f"{SVG}title").text == (
        "<script>alert(\"x\")</script> & 'Hòa' – Đã <b>kết nghĩa</b>; <i>chú thích</i>"
    )
    (anchor,) = list(root.iter(f"{SVG}a"))
    assert anchor.get("href") == '/x/?a=1&b="2"'
    for code in ("10002", "10003", HOANG_SA_CODE):
        assert paths[code].get("class") == "unit unit--no_data"
        assert paths[code].get("fill") == NO_DATA_FILL
    assert paths["10002"].find(f"{SVG}title").text == "Hai – Chưa có dữ liệu"
    assert legend_texts(root) == ["Đã <b>kết nghĩa</b> (1)", "Chưa có dữ liệu (3)"]
    assert root.find(f"{SVG}title").text == "<Bản đồ>"
    attribution = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "attribution")
    assert "".join(attribution.itertext()) == "Nguồn <x> & y"


def test_tiny_map_fits_and_insets_hoang_sa(tiny_geojson):
    root = ET.fromstring(render_coverage_map([], CATEGORIES, boundaries_path=tiny_geojson, width=400))
    _x, _y, width, height = view_box(root)
    assert width == 400
    frame = next(r for r in root.iter(f"{SVG}rect") if r.get("class") == "inset-frame")
    left, top, right, bottom = rect_of(frame)
    paths = unit_paths(root)
    for x, y in path_points(paths[HOANG_SA_CODE].get("d")):
        assert left < x < right and top < y < bottom
    for code in ("10001", "10002", "10003"):
        for x, y in path_points(paths[code].get("d")):
            assert 0 <= x <= width and 0 <= y <= height
            assert not (left <= x <= right and top <= y <= bottom)
    # Squares of equal size stay squares of equal size: x is scaled by cos(latitude) like y.
    xs = sorted({round(x, 1) for x, _y in path_points(paths["10001"].get("d"))})
    ys = sorted({round(y, 1) for _x, y in path_points(paths["10001"].get("d"))})
    assert len(xs) == len(ys) == 2
    assert xs[1] - xs[0] == pytest.approx((ys[1] - ys[0]) * math.cos(math.radians(16.05)), rel=0.005)


def test_simplification_keeps_shared_borders_identical(tmp_path):
    """Neighbours must keep the same border vertices, or gaps and overlaps would show between them.

    A's right side is shared with B (a noisy bow, below) and C (straight, above): the junction at
    (108.1, 16.1) is on a straight line in A, so only a border-aware simplification keeps it in both.
    """
    bow = [
        [round(108.1 + 0.003 * math.sin(math.pi * i / 60) ** 3 + 0.00001 * ((i * 7) % 5 - 2), 6), 16.0 + i / 600]
        for i in range(1, 60)
    ]
    border = [[108.1, 16.0], *bow, [108.1, 16.1]]
    a = [[108.0, 16.0], *border, [108.1, 16.2], [108.0, 16.2], [108.0, 16.0]]
    b = [[108.2, 16.0], [108.2, 16.1], *reversed(border), [108.2, 16.0]]
    c = [[108.1, 16.1], [108.2, 16.1], [108.2, 16.2], [108.1, 16.2], [108.1, 16.1]]
    path = write_geojson(
        tmp_path / "border.geojson",
        [(code, code, {"type": "Polygon", "coordinates": [ring]}) for code, ring in (("A", a), ("B", b), ("C", c))],
    )
    paths = unit_paths(ET.fromstring(render_coverage_map([], CATEGORIES, boundaries_path=path)))
    points = {code: {(round(x, 1), round(y, 1)) for x, y in path_points(paths[code].get("d"))} for code in "ABC"}
    border_x = min(x for x, _y in points["B"])
    b_top = min(y for _x, y in points["B"])
    a_side = {(x, y) for x, y in points["A"] if x > border_x - 20 and y >= b_top}
    b_side = {(x, y) for x, y in points["B"] if x < border_x + 20}
    assert a_side == b_side
    assert 4 < len(b_side) < len(border) / 2, "the bow should be simplified, not dropped or kept whole"


def test_without_hoang_sa_there_is_no_inset(tmp_path):
    path = write_geojson(tmp_path / "one.geojson", [("10001", "Một", square(108.0, 16.0))])
    root = ET.fromstring(render_coverage_map([], CATEGORIES, boundaries_path=path))
    assert not [r for r in root.iter(f"{SVG}rect") if r.get("class") == "inset-frame"]
    assert len(unit_paths(root)) == 1


@pytest.mark.parametrize(
    ("units", "categories", "message"),
    [
        ([MapUnit("10001", "Một", "paired", url="javascript:alert(1)")], None, "scheme"),
        ([MapUnit("10001", "Một", "paired", url=" JavaScript:alert(1)")], None, "scheme"),
        ([MapUnit("10001", "Một", "nope")], None, "unknown category"),
        ([MapUnit("10001", "Một", "paired")] * 2, None, "twice"),
        ([], [MapCategory("paired", "x", "url(https://example.com/x.svg#p)")], "invalid fill"),
        ([], [MapCategory("bad key", "x", "#fff")], "invalid category key"),
    ],
)
def test_unsafe_or_inconsistent_input_is_refused(tiny_geojson, units, categories, message):
    categories = categories or [MapCategory("paired", "Đã kết nghĩa", "#1b7837")]
    with pytest.raises(ValueError, match=message):
        render_coverage_map(units, categories, boundaries_path=tiny_geojson)
