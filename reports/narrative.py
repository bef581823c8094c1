"""The words of a quarterly report: a first draft written from the figures, which city staff then edit.

A Party report is prose, not a dump of counters. Everything here reads the figure dataclasses of
``reports.figures`` (never changes how they are computed) and writes sentences a clerk would write:
a zero is said in words or the sentence is left out, a label is never repeated in brackets, an
unknown date is said to be unrecorded, unit names are joined with commas and "–", and an amount is
never separated from its "đ".

The draft is a dict of sections (plain text, one paragraph per line; a line starting with "- " is a
dash item). ``SECTION_KEYS`` lists the fixed sections; each field of cooperation adds
``field:<code>``.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from . import conf
from .figures import CityFigures, CommitmentLine, FieldFigures, PartnershipFigures
from .models import Report
from .periods import lower_first

NBSP = "\u00a0"

OPENING = "opening"
OVERVIEW = "overview"
ASSESSMENT = "assessment"
LIMITATIONS = "limitations"
CAUSES_OBJECTIVE = "causes_objective"
CAUSES_SUBJECTIVE = "causes_subjective"
NEXT_TASKS = "next_tasks"
PROPOSALS = "proposals"
FIELD_PREFIX = "field:"

SECTION_KEYS = (
    OPENING,
    OVERVIEW,
    ASSESSMENT,
    LIMITATIONS,
    CAUSES_OBJECTIVE,
    CAUSES_SUBJECTIVE,
    NEXT_TASKS,
    PROPOSALS,
)

# Longest text kept per section: a report section is a few paragraphs, not a book.
MAX_SECTION_CHARS = 20_000

COMPLETED = ("completed_on_time", "completed_late")
ATTENTION = ("red", "amber")


def section_labels() -> dict[str, str]:
    """The headings city staff see on the editing page, in the order of the printed report."""
    return {
        OPENING: _("Mở đầu (căn cứ)"),
        OVERVIEW: _("I.1. Tình hình chung"),
        ASSESSMENT: _("I. Đánh giá chung, ưu điểm"),
        LIMITATIONS: _("II.1. Hạn chế, tồn tại"),
        CAUSES_OBJECTIVE: _("II.2. Nguyên nhân khách quan"),
        CAUSES_SUBJECTIVE: _("II.2. Nguyên nhân chủ quan"),
        NEXT_TASKS: _("III. Phương hướng, nhiệm vụ quý tới"),
        PROPOSALS: _("IV. Đề xuất, kiến nghị"),
    }


# --- Words for numbers, money, dates, names ------------------------------------------------------------


def number(value) -> str:
    """1500 → "1.500" (Vietnamese grouping)."""
    return f"{int(value or 0):,}".replace(",", ".")


def money(value) -> str:
    """1250000 → "1.250.000 đ" with a no-break space, so the amount and its "đ" never part."""
    return f"{number(value)}{NBSP}đ"


def body_date(day: datetime.date) -> str:
    """A date inside a sentence: "29/7/2025" by default (REPORT_BODY_DATE_LEADING_ZERO for "29/07/2025")."""
    if conf.get("REPORT_BODY_DATE_LEADING_ZERO"):
        return f"{day.day:02d}/{day.month:02d}/{day.year}"
    return f"{day.day}/{day.month}/{day.year}"


def unit_names(names) -> str:
    """ "A, B và C": units listed in a sentence."""
    names = [name for name in names if name]
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s và %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def partnership_label(partnership: PartnershipFigures) -> str:
    """ "Nam Phước, Thăng Phú – Phước Thành": supporters with commas, then "–" and the supported unit."""
    supporters = ", ".join(partnership.supporter_names)
    if supporters and partnership.supported_name:
        return f"{supporters} – {partnership.supported_name}"
    return partnership.supported_name or supporters or partnership.title or partnership.name


def sentence(text: str) -> str:
    """Capital first letter, one full stop."""
    text = text.strip()
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", ":", "!", "?")) else text + "."


def series(parts) -> str:
    """Non-empty clauses joined with commas."""
    return ", ".join(part for part in parts if part)


def reason_of(partnership: PartnershipFigures) -> str:
    """The health reason, unless it only repeats the label ("Đúng tiến độ (Đúng tiến độ)")."""
    reason = (partnership.health_reason or "").strip().rstrip(".")
    if not reason or reason.casefold() == (partnership.health_label or "").strip().casefold():
        return ""
    return lower_first(reason)


def status_clauses(counts: dict[str, int], *, noun: str = "cam kết") -> list[str]:
    """ "3 cam kết hoàn thành đúng hạn", "1 quá hạn"…: only the statuses that occur."""
    labels = [
        ("completed_on_time", _("hoàn thành đúng hạn")),
        ("completed_late", _("hoàn thành quá hạn")),
        ("in_progress", _("đang thực hiện trong hạn")),
        ("overdue", _("quá hạn")),
        ("not_started", _("chưa bắt đầu")),
    ]
    clauses = []
    for key, label in labels:
        if counts.get(key):
            prefix = f"{number(counts[key])} {noun} " if noun and not clauses else f"{number(counts[key])} "
            clauses.append(prefix + label)
    return clauses


@dataclass(frozen=True)
class LegalBasisText:
    """What the opening paragraph needs of a legal basis on record (partnerships.LegalBasis)."""

    kind_label: str
    number: str
    issued_on: datetime.date | None
    issuer: str
    title: str

    def cited(self) -> str:
        text = _("%(kind)s số %(number)s") % {"kind": self.kind_label, "number": self.number}
        if self.issued_on:
            text += " " + _("ngày %(day)s") % {"day": body_date(self.issued_on)}
        if self.issuer:
            text += " " + _("của %(issuer)s") % {"issuer": self.issuer}
        title = self.title.strip().rstrip(".")
        if title:
            title = lower_first(title)
            text += " " + (title if title.startswith("về ") else _("về %(title)s") % {"title": title})
        return text


def legal_bases_on_record() -> list[LegalBasisText]:
    from partnerships.models import LegalBasis

    return [
        LegalBasisText(
            kind_label=basis.get_kind_display(),
            number=basis.number,
            issued_on=basis.issued_on,
            issuer=basis.issuer,
            title=basis.title,
        )
        for basis in LegalBasis.objects.order_by("issued_on", "number")
    ]


# --- The draft -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """Who the report is about, as the sentences need it."""

    kind: str  # city / partnership / unit
    period_label: str  # "quý IV năm 2025"
    title: str  # "chương trình kết nghĩa giữa …"


class Drafter:
    def __init__(self, figures: CityFigures, subject: Subject, bases: list[LegalBasisText]):
        self.f = figures
        self.subject = subject
        self.bases = bases
        self.by_id = {p.id: p for p in figures.partnerships}

    @property
    def one_partnership(self) -> PartnershipFigures | None:
        if self.subject.kind == "partnership" and self.f.partnerships:
            return self.f.partnerships[0]
        return None

    def draft(self) -> dict[str, str]:
        sections = {
            OPENING: self.opening(),
            OVERVIEW: self.overview(),
            ASSESSMENT: self.assessment(),
            LIMITATIONS: self.limitations(),
            CAUSES_OBJECTIVE: self.causes_objective(),
            CAUSES_SUBJECTIVE: self.causes_subjective(),
            NEXT_TASKS: self.next_tasks(),
            PROPOSALS: self.proposals(),
        }
        for field in self.f.fields:
            sections[FIELD_PREFIX + field.code] = self.field_text(field)
        return sections

    # Opening ------------------------------------------------------------------------------------------

    def opening(self) -> str:
        period = self.subject.period_label
        if self.bases:
            cited = "; ".join(basis.cited() for basis in self.bases)
            return _(
                "Thực hiện %(bases)s, Ban Thường vụ Thành ủy báo cáo kết quả thực hiện %(title)s %(period)s như sau:"
            ) % {"bases": cited, "title": self.subject.title, "period": period}
        return _("Ban Thường vụ Thành ủy báo cáo kết quả thực hiện %(title)s %(period)s như sau:") % {
            "title": self.subject.title,
            "period": period,
        }

    # I. Results -------------------------------------------------------------------------------------------

    def overview(self) -> str:
        lines = []
        f = self.f
        if self.subject.kind == "city":
            lines.append(self.coverage())
        partnership = self.one_partnership
        if partnership is not None:
            lines.append(self.partnership_state(partnership))
        elif f.partnership_total == 0:
            lines.append(_("Trong phạm vi báo cáo chưa có quan hệ kết nghĩa nào."))
        else:
            lines.append(self.partnership_counts())
        lines.append(self.commitment_counts())
        lines.append(self.values())
        lines.append(self.activities())
        return "\n".join(line for line in lines if line)

    def coverage(self) -> str:
        c = self.f.coverage
        if not c.total:
            return ""
        done = series(
            [
                _("%(n)s xã, đặc khu được hỗ trợ đã ký kết kết nghĩa") % {"n": number(c.supported_paired)}
                if c.supported_paired
                else "",
                _("%(n)s xã, phường hỗ trợ đã kết nghĩa") % {"n": number(c.supporting_paired)}
                if c.supporting_paired
                else "",
            ]
        )
        text = _("Toàn thành phố có %(total)s đơn vị hành chính cấp xã") % {"total": number(c.total)}
        if done:
            text += "; " + _("đến cuối kỳ, %(done)s") % {"done": done}
        missing = []
        if c.supported_unpaired:
            missing.append(_("%(n)s xã được hỗ trợ chưa kết nghĩa") % {"n": number(c.supported_unpaired)})
        if c.unpaired and c.unpaired != c.supported_unpaired:
            missing.append(_("tổng cộng %(n)s đơn vị chưa có quan hệ kết nghĩa") % {"n": number(c.unpaired)})
        if missing:
            text += "; " + _("còn %(missing)s") % {"missing": ", ".join(missing)}
        elif done:
            text += "; " + _("tất cả các đơn vị đều đã có quan hệ kết nghĩa")
        return sentence(text)

    def partnership_state(self, p: PartnershipFigures) -> str:
        name = unit_names(p.supporter_names)
        if p.status in ("assigned", "surveyed"):
            state = _("chưa ký kết, hiện ở bước %(status)s") % {"status": lower_first(p.status_label)}
        elif p.signed_on:
            state = _("đã được ký kết ngày %(day)s") % {"day": body_date(p.signed_on)}
        else:
            state = _("đã ký kết (chưa ghi nhận ngày ký)")
        if p.status not in ("assigned", "surveyed", "signed"):
            state += ", " + _("hiện %(status)s") % {"status": lower_first(p.status_label)}
        text = _("Quan hệ kết nghĩa giữa %(supporters)s với %(supported)s %(state)s") % {
            "supporters": name,
            "supported": p.supported_name,
            "state": state,
        }
        lines = [sentence(text)]
        if p.health and p.health != "none" and p.health_label:
            assessment = _("Đánh giá chung: %(health)s") % {"health": lower_first(p.health_label)}
            reason = reason_of(p)
            if reason:
                assessment += f" ({reason})"
            lines.append(sentence(assessment))
        return " ".join(lines)

    def partnership_counts(self) -> str:
        f = self.f
        text = _("Có %(total)s quan hệ kết nghĩa") % {"total": number(f.partnership_total)}
        others = [t for t in f.partnerships_by_status if t.count]
        if f.partnership_active and f.partnership_active != f.partnership_total:
            text += ", " + _("trong đó %(n)s quan hệ đã ký kết hoặc đang triển khai") % {
                "n": number(f.partnership_active)
            }
        elif f.partnership_active and f.partnership_active == f.partnership_total:
            text += ", " + _("tất cả đã ký kết hoặc đang triển khai")
        elif not f.partnership_active:
            text += ", " + _("chưa có quan hệ nào được ký kết")
        if len(others) > 1:
            text += " (" + "; ".join(f"{lower_first(t.label)}: {number(t.count)}" for t in others) + ")"
        return sentence(text)

    def commitment_counts(self) -> str:
        f = self.f
        if not f.commitment_total:
            return _("Chưa có cam kết hỗ trợ nào được thống nhất.")
        text = _("Các đơn vị đã thống nhất %(n)s cam kết hỗ trợ") % {"n": number(f.commitment_total)}
        if f.target_value_vnd:
            text += " " + _("với tổng giá trị %(value)s") % {"value": money(f.target_value_vnd)}
        counts = {t.key: t.count for t in f.commitments_by_status}
        clauses = status_clauses(counts)
        result = sentence(text)
        if clauses:
            result += " " + sentence(
                _("Đến ngày %(day)s, có %(clauses)s; tiến độ bình quân đạt %(percent)s%%")
                % {"day": body_date(f.as_of), "clauses": ", ".join(clauses), "percent": f.progress_percent}
            )
        return result

    def values(self) -> str:
        f = self.f
        if not f.achieved_value_vnd:
            if f.target_value_vnd:
                return _("Đến cuối kỳ chưa có giá trị hỗ trợ nào được xác nhận đã thực hiện.")
            return ""
        text = _("Giá trị hỗ trợ đã thực hiện và được xác nhận, lũy kế đến cuối kỳ đạt %(value)s") % {
            "value": money(f.achieved_value_vnd)
        }
        if f.period_value_vnd:
            text += "; " + _("riêng trong kỳ %(value)s") % {"value": money(f.period_value_vnd)}
        else:
            text += "; " + _("trong kỳ chưa có giá trị mới được xác nhận")
        return sentence(text)

    def activities(self) -> str:
        a = self.f.activities
        if not a.count:
            return _("Trong kỳ chưa tổ chức hoạt động kết nghĩa nào.")
        kinds = [t for t in a.by_kind if t.count]
        text = _("Trong kỳ, các đơn vị đã tổ chức %(n)s hoạt động kết nghĩa") % {"n": number(a.count)}
        if len(kinds) > 1:
            text += " (" + "; ".join(f"{lower_first(t.label)}: {number(t.count)}" for t in kinds) + ")"
        elif kinds:
            text += " (" + lower_first(kinds[0].label) + ")"
        extras = []
        if a.participants:
            extras.append(_("với %(n)s lượt người tham gia") % {"n": number(a.participants)})
        if a.value_vnd:
            extras.append(_("giá trị trao tặng, bàn giao %(value)s") % {"value": money(a.value_vnd)})
        if extras:
            text += ", " + "; ".join(extras)
        return sentence(text)

    def field_text(self, field: FieldFigures) -> str:
        counts = {
            "completed_on_time": field.completed_on_time,
            "completed_late": field.completed_late,
            "in_progress": field.in_progress,
            "overdue": field.overdue,
            "not_started": field.not_started,
        }
        if self.subject.kind == "partnership" or field.partnerships <= 1:
            text = _("Có %(n)s cam kết") % {"n": number(field.commitments)}
        else:
            text = _("Có %(n)s cam kết của %(p)s quan hệ kết nghĩa") % {
                "n": number(field.commitments),
                "p": number(field.partnerships),
            }
        clauses = status_clauses(counts, noun="")
        if clauses:
            text += ": " + ", ".join(clauses)
        text += "; " + _("tiến độ bình quân %(percent)s%%") % {"percent": field.progress_percent}
        lines = [sentence(text)]
        # Completed with verified results in this period (not those finished earlier).
        done = [
            line
            for line in self.f.commitments
            if line.field_id == field.id
            and line.status in COMPLETED
            and (line.period_quantity or line.period_value_vnd)
        ]
        results = [
            f"{number(q) if q == int(q) else str(q).replace('.', ',')} {unit}" for q, unit in field.period_quantities
        ]
        if field.period_value_vnd:
            results.append(_("giá trị %(value)s") % {"value": money(field.period_value_vnd)})
        if results:
            lines.append(sentence(_("Kết quả trong kỳ được xác nhận: %(results)s") % {"results": ", ".join(results)}))
        if done:
            # The same commitment is often made by several partnerships: each title once, with its count.
            counts: dict[str, int] = {}
            for line in done:
                counts[line.title.strip()] = counts.get(line.title.strip(), 0) + 1
            titles = "; ".join(
                f"“{title}”" + (" " + _("(%(n)s cam kết)") % {"n": number(n)} if n > 1 else "")
                for title, n in list(counts.items())[:3]
            )
            lines.append(sentence(_("Hoàn thành trong kỳ: %(titles)s") % {"titles": titles}))
        reported = field.reported
        if field.commitments and reported == field.commitments and reported > 1:
            lines.append(_("Tất cả các cam kết của lĩnh vực đều có báo cáo tiến độ trong kỳ."))
        elif field.commitments == reported == 1:  # never "1 trên 1"
            lines.append(_("Cam kết của lĩnh vực đã có báo cáo tiến độ trong kỳ."))
        elif reported:
            lines.append(
                sentence(
                    _("%(r)s trên %(n)s cam kết có báo cáo tiến độ trong kỳ")
                    % {"r": number(reported), "n": number(field.commitments)}
                )
            )
        elif self.f.period is not None and field.commitments:
            lines.append(_("Trong kỳ chưa có cam kết nào của lĩnh vực báo cáo tiến độ."))
        return " ".join(line for line in lines if line)

    def best_fields(self) -> list[FieldFigures]:
        return sorted(
            (field for field in self.f.fields if field.progress_percent >= 50), key=lambda f: -f.progress_percent
        )[:3]

    def assessment(self) -> str:
        f = self.f
        if not f.partnership_total:
            return _("Trong kỳ chưa có quan hệ kết nghĩa nào trong phạm vi báo cáo nên chưa có kết quả để đánh giá.")
        lines = []
        if self.subject.kind == "city":
            lines.append(
                _(
                    "Các cấp ủy, chính quyền đã quan tâm lãnh đạo, chỉ đạo triển khai chương trình kết nghĩa; "
                    "các đơn vị hỗ trợ chủ động khảo sát, nắm nhu cầu thực tế của các xã được hỗ trợ để thống nhất "
                    "nội dung, lộ trình thực hiện."
                )
            )
        elif f.commitment_total:
            lines.append(
                _(
                    "Các đảng ủy đã quan tâm lãnh đạo, chỉ đạo triển khai nội dung kết nghĩa đã thống nhất, "
                    "bám sát nhu cầu thực tế của đơn vị được hỗ trợ."
                )
            )
        else:
            lines.append(
                _(
                    "Các đảng ủy đã ký kết, xác lập quan hệ kết nghĩa; tuy nhiên đến cuối kỳ chưa thống nhất được "
                    "nội dung hỗ trợ cụ thể nên chưa có kết quả để đánh giá."
                )
            )
        if f.completed and f.completed == f.commitment_total:
            lines.append(_("Đã hoàn thành tất cả các cam kết."))
        elif f.completed:
            lines.append(
                sentence(
                    _("Đã hoàn thành %(done)s trên %(total)s cam kết, tiến độ bình quân đạt %(percent)s%%")
                    % {"done": number(f.completed), "total": number(f.commitment_total), "percent": f.progress_percent}
                )
            )
        best = self.best_fields()
        if best:
            names = "; ".join(f"{lower_first(field.name)} ({field.progress_percent}%)" for field in best)
            lines.append(sentence(_("Các lĩnh vực có kết quả nổi bật: %(names)s") % {"names": names}))
        if f.activities.count:
            lines.append(
                _(
                    "Hoạt động trao đổi, thăm hỏi, hỗ trợ giữa các đơn vị được duy trì, góp phần tăng cường "
                    "đoàn kết, gắn bó giữa các địa phương."
                )
            )
        return "\n".join(lines)

    # II. Shortcomings and causes -----------------------------------------------------------------------

    def attention(self) -> list[PartnershipFigures]:
        """Partnerships rated "chậm, cần đôn đốc" or "cần chú ý": section II names all of them."""
        return [p for p in self.f.partnerships if p.health in ATTENTION]

    def limitations(self) -> str:
        f = self.f
        lines = []
        if f.overdue:
            lines.append(
                sentence(
                    _("Có %(n)s cam kết đã quá hạn nhưng chưa hoàn thành (chi tiết tại bảng dưới đây)")
                    % {"n": number(len(f.overdue))}
                )
            )
        attention = self.attention()
        one = self.one_partnership
        if one is not None and attention:
            text = _("Quan hệ kết nghĩa được đánh giá %(health)s") % {"health": lower_first(one.health_label)}
            reason = reason_of(one)
            if reason:
                text += f": {reason}"
            lines.append(sentence(text))
        elif attention and len(attention) <= conf.get("REPORT_NAMED_PARTNERSHIPS_MAX"):
            lines.append(
                sentence(_("%(n)s quan hệ kết nghĩa cần đôn đốc hoặc cần chú ý") % {"n": number(len(attention))})[:-1]
                + ":"
            )
            for p in attention:
                item = f"{partnership_label(p)}: {lower_first(p.health_label)}"
                reason = reason_of(p)
                if reason:
                    item += f" ({reason})"
                lines.append(f"- {item};")
            lines[-1] = lines[-1][:-1] + "."
        elif attention:
            red = sum(p.health == "red" for p in attention)
            lines.append(
                sentence(
                    _(
                        "%(n)s quan hệ kết nghĩa cần đôn đốc hoặc cần chú ý, trong đó %(red)s quan hệ chậm tiến độ (Phụ lục 1)"
                    )
                    % {"n": number(len(attention)), "red": number(red)}
                )
            )
        if f.not_reported:
            names = unit_names([unit.name for unit in f.not_reported[:10]])
            more = len(f.not_reported) - 10
            text = _("%(n)s đơn vị còn cam kết chưa báo cáo tiến độ trong kỳ: %(names)s") % {
                "n": number(len(f.not_reported)),
                "names": names,
            }
            if more > 0:
                text += " " + _("và %(n)s đơn vị khác") % {"n": number(more)}
            lines.append(sentence(text))
        idle = [p for p in f.partnerships if not p.commitments]
        if idle and one is None:
            lines.append(
                sentence(
                    _("%(n)s quan hệ kết nghĩa chưa thống nhất được cam kết hỗ trợ cụ thể") % {"n": number(len(idle))}
                )
            )
        elif idle:
            lines.append(_("Các đơn vị chưa thống nhất được cam kết hỗ trợ cụ thể."))
        unsigned = [p for p in f.partnerships if p.status in ("assigned", "surveyed")]
        if unsigned and one is None:
            lines.append(
                sentence(
                    _("%(n)s quan hệ kết nghĩa đã được phân công nhưng chưa ký kết") % {"n": number(len(unsigned))}
                )
            )
        if not lines:
            if f.commitment_total:
                return _("Trong kỳ không có cam kết quá hạn; các cam kết đang được thực hiện theo lộ trình.")
            return _("Chưa phát sinh hạn chế, tồn tại từ số liệu của kỳ báo cáo.")
        return "\n".join(lines)

    def causes_objective(self) -> str:
        lines = [
            _(
                "Địa bàn các xã miền núi, biên giới rộng, chia cắt, giao thông đi lại khó khăn; điều kiện "
                "kinh tế – xã hội còn nhiều khó khăn, nhu cầu hỗ trợ lớn trong khi nguồn lực có hạn."
            )
        ]
        period = self.f.period or {}
        if period.get("kind") == "quarter" and period.get("number") in (3, 4):
            lines.append(
                _("Mùa mưa bão ảnh hưởng đến việc tổ chức các đoàn công tác và tiến độ thi công các công trình.")
            )
        if period.get("year") in (2025, 2026):
            lines.append(
                _(
                    "Chính quyền địa phương hai cấp mới đi vào hoạt động, các đơn vị vừa kiện toàn tổ chức bộ máy "
                    "vừa triển khai nhiệm vụ kết nghĩa."
                )
            )
        return "\n".join(lines)

    def causes_subjective(self) -> str:
        f = self.f
        lines = []
        if f.overdue or self.attention():
            lines.append(
                _(
                    "Một số cấp ủy chưa thật sự quan tâm, sâu sát trong lãnh đạo, chỉ đạo; việc xây dựng kế hoạch, "
                    "lộ trình thực hiện một số nội dung cam kết chưa sát thực tế."
                )
            )
        if f.not_reported:
            lines.append(
                _("Việc cập nhật tiến độ, minh chứng trên Cổng thông tin kết nghĩa ở một số đơn vị chưa kịp thời.")
            )
        if not lines:
            lines.append(
                _(
                    "Công tác phối hợp giữa các đơn vị có lúc chưa chặt chẽ; việc huy động nguồn lực xã hội hóa còn hạn chế."
                )
            )
        return "\n".join(lines)

    # III, IV -----------------------------------------------------------------------------------------------

    def next_tasks(self) -> str:
        f = self.f
        lines = []
        if f.overdue:
            lines.append(_("- Tập trung chỉ đạo hoàn thành %(n)s cam kết đã quá hạn.") % {"n": number(len(f.overdue))})
        doing = sum(t.count for t in f.commitments_by_status if t.key in ("in_progress", "not_started"))
        if doing:
            lines.append(
                _(
                    "- Tiếp tục triển khai %(n)s cam kết đang thực hiện và chưa bắt đầu theo đúng lộ trình đã thống nhất."
                )
                % {"n": number(doing)}
            )
        if self.attention():
            lines.append(
                _("- Đôn đốc các quan hệ kết nghĩa chậm tiến độ, cần chú ý; kịp thời tháo gỡ khó khăn, vướng mắc.")
            )
        unsigned = [p for p in f.partnerships if p.status in ("assigned", "surveyed")]
        if unsigned:
            lines.append(_("- Hoàn thành khảo sát, ký kết đối với các quan hệ kết nghĩa đã được phân công."))
        lines.append(
            _("- Các đơn vị cập nhật tiến độ, minh chứng trên Cổng thông tin kết nghĩa đầy đủ, đúng hạn chốt số liệu.")
        )
        return "\n".join(lines)

    def proposals(self) -> str:
        return "\n".join(
            [
                _(
                    "- Đề nghị các sở, ban, ngành thành phố quan tâm hỗ trợ, lồng ghép các chương trình, dự án "
                    "cho các xã miền núi, biên giới có quan hệ kết nghĩa."
                ),
                _(
                    "- Đề nghị Ủy ban nhân dân thành phố xem xét bố trí nguồn lực hỗ trợ các công trình, "
                    "nội dung kết nghĩa vượt khả năng của đơn vị hỗ trợ."
                ),
            ]
        )


def subject_of(kind: str, figures: CityFigures, scope_name: str = "") -> Subject:
    """The subject of the sentences (the same wording as the document's summary line)."""
    period = lower_first(figures.period["label"]) if figures.period else ""
    if kind == "partnership" and figures.partnerships:
        p = figures.partnerships[0]
        title = _("chương trình kết nghĩa giữa %(supporters)s và %(supported)s") % {
            "supporters": ", ".join(p.supporter_names),
            "supported": p.supported_name,
        }
    elif kind == "unit" and scope_name:
        title = _("chương trình kết nghĩa của %(unit)s") % {"unit": lower_first(scope_name)}
    else:
        title = _("chương trình kết nghĩa giữa các xã, phường, đặc khu")
    return Subject(kind=kind, period_label=period, title=title)


def draft_sections(
    kind: str, figures: CityFigures, *, scope_name: str = "", bases: list[LegalBasisText] | None = None
) -> dict[str, str]:
    """The portal's first draft of every section, from the figures."""
    if bases is None:
        bases = legal_bases_on_record()
    return Drafter(figures, subject_of(kind, figures, scope_name), bases).draft()


_SPACES = re.compile(r"[ \t]+")


def clean_text(text: str) -> str:
    """A section as typed: trimmed lines, Windows line ends and runs of blank lines collapsed."""
    lines = [
        _SPACES.sub(" ", line).strip() for line in (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    return "\n".join(line for line in lines if line)


@dataclass(frozen=True)
class Paragraph:
    text: str
    dash: bool = False


def paragraphs(text: str) -> list[Paragraph]:
    """A section's lines as printed paragraphs; "- " lines become dash items."""
    result = []
    for line in clean_text(text).split("\n"):
        if not line:
            continue
        if line.startswith(("- ", "– ", "+ ")):
            result.append(Paragraph(line[2:].strip(), dash=True))
        else:
            result.append(Paragraph(line))
    return result


def overdue_partnership_name(line: CommitmentLine, by_id: dict[int, PartnershipFigures]) -> str:
    """A commitment's partnership named with commas and "–" (figures name it with "+")."""
    partnership = by_id.get(line.partnership_id)
    return partnership_label(partnership) if partnership else line.partnership_name


@dataclass(frozen=True)
class FieldHeading:
    """A field of cooperation the report has a section about, named as in the report's rows."""

    code: str
    name: str


def kept_text(report: Report) -> tuple[dict[str, str], list[FieldHeading]] | None:
    """The report's text to edit as its versions keep it, without building its figures again.

    Rendering keeps the portal's draft, written from the report's figures, as the first version; the
    newest version lies over it (a section it lacks comes from the draft, as when printing). The
    fields are those the draft has a section for, read from the report's stored rows (their names
    only, not the rows). ``None`` when the report has no draft of its own (a new version that took
    over the text people wrote for the previous one): the figures must be built to write it.
    """
    versions = report.narratives.all()
    draft = versions.filter(saved_by__isnull=True).order_by("saved_at", "pk").first()
    if draft is None:
        return None
    latest = versions.first()
    codes = {key.removeprefix(FIELD_PREFIX) for key in draft.sections if key.startswith(FIELD_PREFIX)}
    rows = Report.objects.filter(pk=report.pk).values_list("data__fields", flat=True).get() or []
    fields = [FieldHeading(code=row["code"], name=row["name"]) for row in rows if row["code"] in codes]
    return draft.sections | latest.sections, fields
