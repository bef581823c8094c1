"""The report reads as a person wrote it (issue 17): a glossary of forbidden machine phrases, checked on
every report kind, on data with zeros, with one partnership and with none; and the sections agree."""

import re

from django.test import TestCase

from partnerships.models import Partnership
from reports.documents import document_context, render_report_html
from reports.figures import CityFigures, Scope, load_rows
from reports.models import Report
from reports.narrative import draft_sections, money, partnership_label
from tests import factories
from tests.reports.programme import Programme

# Machine phrases a clerk would never sign (each: a pattern and why it is forbidden).
FORBIDDEN = [
    (
        r"(?<![\d.,])0 (đoàn|cam kết|quan hệ|hoạt động|đơn vị|lượt|xã|căn)",
        "a zero written as a number: say it in words or leave it out",
    ),
    (r"Có 0\b", "a zero count"),
    (r"(?<![\d.,])(\d+) trên \1 (?!\d)", "a whole written as a fraction ('1 trên 1 cam kết')"),
    (r"trong đó 0\b", "a zero count"),
    (r"\(v\d+\)", "a version number in a title"),
    (r"ngày —|ngày -(?!\w)", "a dash standing for an unknown date"),
    (r"(?<=\w) \+ (?=\w)", "'+' between unit names"),
    (r"\d đ(?!\w)", "an amount whose 'đ' may leave it (a normal space)"),
    (r"\b(None|null|nan|True|False)\b", "a Python value"),
    (r"%\(|\{\{|\{%", "an unfilled placeholder"),
    (r"\s[,;.]", "a space before punctuation"),
    (r"\.\.(?!\.)", "a double full stop"),
    (r"\(\s*\)", "empty brackets"),
]
REPEATED_LABEL = re.compile(r"(\b[\wÀ-ỹ][\wÀ-ỹ ,]{2,}?) \(\1\)", re.IGNORECASE)


def problems(text: str) -> list[str]:
    found = [f"{why}: …{m.group(0)}…" for pattern, why in FORBIDDEN for m in re.finditer(pattern, text)]
    found += [f"a label repeated in brackets: {m.group(0)}" for m in REPEATED_LABEL.finditer(text)]
    return found


def drafted_text(kind: str, figures: CityFigures) -> str:
    return "\n".join(draft_sections(kind, figures, scope_name="phường Hòa Cường").values())


class GlossaryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.programme = Programme.build()
        cls.rows = load_rows(period=cls.programme.q4)

    def figures(self, scope: Scope) -> CityFigures:
        return CityFigures.build(self.rows, scope)

    def cases(self):
        world = self.programme.world
        # Every kind on the programme (zeros in many counters), one partnership, none at all.
        yield "city", self.figures(Scope())
        yield "partnership", self.figures(Scope(partnership_id=world.partnership.pk))
        yield "partnership", self.figures(Scope(partnership_id=world.other_partnership.pk))
        yield "unit", self.figures(Scope(commune_code=world.supporter.code))
        yield "unit", self.figures(Scope(commune_code=self.programme.unknown_unit.code))  # no partnership
        yield "city", self.figures(Scope(former_district="Không có quận này"))  # none at all

    def test_no_machine_phrase_in_any_drafted_section(self):
        checked = 0
        for kind, figures in self.cases():
            with self.subTest(kind=kind, partnerships=len(figures.partnerships)):
                self.assertEqual(problems(drafted_text(kind, figures)), [])
                checked += 1
        self.assertEqual(checked, 6)

    def test_no_machine_phrase_in_the_printed_text(self):
        """The whole document as HTML text (sections, tables, appendices) for every kind."""
        world = self.programme.world
        reports = [
            (Report(period=self.programme.q4, kind=Report.Kind.CITY), Scope()),
            (
                Report(period=self.programme.q4, kind=Report.Kind.PARTNERSHIP, partnership=world.partnership),
                Scope(partnership_id=world.partnership.pk),
            ),
            (
                Report(period=self.programme.q4, kind=Report.Kind.UNIT, commune=self.programme.unknown_unit),
                Scope(commune_code=self.programme.unknown_unit.code),
            ),
        ]
        for report, scope in reports:
            html = render_report_html(report, self.figures(scope))
            body = html[html.index("<body>") :]
            text = re.sub(r"<svg.*?</svg>", " ", body, flags=re.DOTALL)
            text = re.sub(r"<[^>]+>", " ", text).replace("&nbsp;", "\u00a0")
            text = re.sub(r"[ \t\n]+", " ", text)
            with self.subTest(kind=report.kind):
                self.assertEqual(problems(text), [])

    def test_the_glossary_catches_what_the_issue_lists(self):
        for bad in (
            "0 đoàn công tác",
            "Có 0 quan hệ kết nghĩa, trong đó 0 quan hệ",
            "Đúng tiến độ (Đúng tiến độ)",
            "ký kết ngày —",
            "Nam Phước + Thăng Phú",
            "983.300.000 đ",
            "Báo cáo toàn thành phố (v1)",
            "1 trên 1 cam kết có báo cáo tiến độ trong kỳ",
        ):
            with self.subTest(bad=bad):
                self.assertTrue(problems(bad))
        self.assertEqual(problems(f"tổng giá trị {money(983_300_000)}."), [])

    def test_zero_states_are_said_in_words(self):
        figures = self.figures(Scope(commune_code=self.programme.unknown_unit.code))
        sections = draft_sections("unit", figures, scope_name="xã A")
        self.assertIn("Trong phạm vi báo cáo chưa có quan hệ kết nghĩa nào.", sections["overview"])
        self.assertIn("Chưa có cam kết hỗ trợ nào được thống nhất.", sections["overview"])
        self.assertIn("Trong kỳ chưa tổ chức hoạt động kết nghĩa nào.", sections["overview"])
        self.assertNotIn("đã báo cáo tiến độ", sections["limitations"])  # nothing was owed

    def test_a_partnership_needing_attention_in_section_one_is_named_in_section_two(self):
        figures = self.figures(Scope())
        sections = draft_sections("city", figures)
        for partnership in figures.partnerships:
            if partnership.health in ("red", "amber"):
                self.assertIn(partnership_label(partnership), sections["limitations"])

    def test_a_three_party_partnership_is_named_with_commas_and_a_dash(self):
        world = self.programme.world
        extra = factories.commune(name="Thăng Phú")
        supported = factories.commune(name="Phước Thành")
        partnership = factories.partnership(supported=supported, supporters=[world.supporter, extra])
        figures = CityFigures.build(load_rows(period=self.programme.q4), Scope(partnership_id=partnership.pk))
        label = partnership_label(figures.partnerships[0])
        self.assertEqual(label, f"{world.supporter.name}, Thăng Phú – Phước Thành")
        context = document_context(Report(period=self.programme.q4, kind=Report.Kind.PARTNERSHIP), figures)
        self.assertIn(
            f"giữa {world.supporter.name}, Thăng Phú và Phước Thành", context["summary_line"].replace("\u00a0", " ")
        )
        self.assertEqual(Partnership.objects.filter(pk=partnership.pk).count(), 1)
