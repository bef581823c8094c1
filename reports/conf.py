"""Settings of the reports app, read when used (never at import time) with safe defaults.

Every value can be set in the Django settings (from the environment in ``config/settings/base.py``);
nothing here needs to be set for the portal to work.
"""

from dataclasses import dataclass

from django.conf import settings

DEFAULTS = {
    # "decree_09": a quarter's data runs from the 15th of the month before it to the 14th of its last
    # month (Nghị định 09/2019); "calendar": calendar quarters.
    "REPORTING_CONVENTION": "decree_09",
    # Page margins of the printed report in millimetres (Hướng dẫn 36-HD/VPTW).
    "REPORT_MARGINS_MM": {"top": 20, "bottom": 20, "left": 30, "right": 15},
    "REPORT_PARENT_BODY": "ĐẢNG CỘNG SẢN VIỆT NAM",
    "REPORT_ISSUING_BODY": "THÀNH ỦY ĐÀ NẴNG",
    "REPORT_ISSUER_CODE": "TU",
    "REPORT_PLACE": "Đà Nẵng",
    "REPORT_SIGNING_FOR": "T/M BAN THƯỜNG VỤ",
    "REPORT_SIGNER_TITLE": "PHÓ BÍ THƯ THƯỜNG TRỰC",
    "REPORT_SIGNER_NAME": "",
    "REPORT_RECIPIENTS": [
        "Ban Bí thư Trung ương Đảng (để báo cáo)",
        "Ban Tổ chức Trung ương (để báo cáo)",
        "Thường trực Thành ủy",
        "Các đồng chí Thành ủy viên",
        "Các đảng ủy xã, phường, đặc khu",
        "Lưu Văn phòng Thành ủy",
    ],
    # Dates inside sentences: "29/7/2025" (False, the usual style of Thành ủy Đà Nẵng's reports) or
    # "29/07/2025" (True). The date line under the heading always follows HD 36 ("ngày 05 tháng 01").
    "REPORT_BODY_DATE_LEADING_ZERO": False,
    # Section II names each partnership needing attention up to this many; above it, a count.
    "REPORT_NAMED_PARTNERSHIPS_MAX": 15,
    # "Nơi nhận:" as HD 36 sets it (italic bold 12 pt, list 11 pt) or as many Party committees print
    # it (upright, underlined, 14 pt; list 12 pt): "hd36" or "upright".
    "REPORT_RECIPIENTS_STYLE": "upright",
    # The mark under the summary line: a short rule ("rule") or five hyphens ("dashes": "-----").
    "REPORT_SUMMARY_MARK": "rule",
    # The committee term a finalised report is numbered in: numbers restart per type per term.
    "REPORT_COMMITTEE_TERM": "2025-2030",
    # Pipeline timing (RELIABILITY.md I4): queued rows older than this are re-enqueued; running rows
    # whose worker died and whose heartbeat is older than that are re-queued; at most N attempts.
    "REPORT_QUEUED_TIMEOUT_SECONDS": 60,
    "REPORT_HEARTBEAT_SECONDS": 15,
    "REPORT_HEARTBEAT_TIMEOUT_SECONDS": 90,
    "REPORT_MAX_ATTEMPTS": 3,
    # Bigger reports are refused rather than risk a worker's memory (RELIABILITY.md I7): table rows
    # actually printed (a summarised report prints far fewer rows than it has commitments).
    "REPORT_MAX_TABLE_ROWS": 5000,
    # Above this many partnerships a report is summarised (by province and field, with the oldest
    # overdue commitments of each province instead of every one), as a national programme would be.
    "REPORT_SUMMARY_ABOVE_PARTNERSHIPS": 300,
    "REPORT_OVERDUE_PER_PROVINCE": 20,
    # The per-partnership appendix is rendered in chunks of this many rows, in a pool of processes,
    # and the chunk PDFs are joined: each process stays small and both cores work.
    "REPORT_APPENDIX_CHUNK_ROWS": 150,
    "REPORT_RENDER_PROCESSES": 2,
    # Provinces: units belong to the province of their merged old units; provinces merged into the
    # home province in 2025 (Nghị quyết 202/2025/QH15) count as the home province.
    "REPORT_HOME_PROVINCE": "Thành phố Đà Nẵng",
    "REPORT_MERGED_PROVINCES": ["Thành phố Đà Nẵng", "Tỉnh Quảng Nam"],
    # Seconds after its PDF within which a report's Excel workbook should be made, else it is re-sent.
    "REPORT_WORKBOOK_TIMEOUT_SECONDS": 120,
    # Reminders go out this many days before a quarter's cut-off.
    "REPORT_REMINDER_DAYS_BEFORE_CUTOFF": 7,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


@dataclass(frozen=True)
class Layout:
    """What the printed document says about who issues and signs it, and its page margins."""

    margins_mm: dict
    parent_body: str
    issuing_body: str
    issuer_code: str
    place: str
    signing_for: str
    signer_title: str
    signer_name: str
    recipients: tuple[str, ...]


def layout() -> Layout:
    margins = {**DEFAULTS["REPORT_MARGINS_MM"], **get("REPORT_MARGINS_MM")}
    return Layout(
        margins_mm=margins,
        parent_body=get("REPORT_PARENT_BODY"),
        issuing_body=get("REPORT_ISSUING_BODY"),
        issuer_code=get("REPORT_ISSUER_CODE"),
        place=get("REPORT_PLACE"),
        signing_for=get("REPORT_SIGNING_FOR"),
        signer_title=get("REPORT_SIGNER_TITLE"),
        signer_name=get("REPORT_SIGNER_NAME"),
        recipients=tuple(get("REPORT_RECIPIENTS")),
    )
