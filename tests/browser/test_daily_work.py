"""City staff's and officers' daily work in a real Chromium (issue 19): the review queue, the phone header
and menu at 360 px, every page type on A4 paper. Each page state is also checked by the W3C HTML checker
(tests/browser/conftest.py). Set SCREENSHOTS=<folder> to keep desktop and 360 px screenshots."""

import io
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from commitments import services
from commitments.models import ProgressUpdate
from tests import factories
from tests.browser.pages import DESKTOP, axe_violations
from tests.signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NARROW = {"width": 360, "height": 740}
# A4 minus the print stylesheet's margins (210 - 2 × 12 mm) at 96 px per inch.
A4_CONTENT_WIDTH = round((210 - 24) / 25.4 * 96)


def signed_in(new_page, live_server, user, viewport=DESKTOP):
    """A browser signed in as ``user`` (second factor included) without typing: a session made on the server."""
    client = Client()
    sign_in(client, user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    page = new_page(viewport=viewport)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
    return page


def screenshot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        # caret="initial": hiding the caret injects a <style>, which the page's CSP reports as an error.
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True, caret="initial")


@pytest.fixture
def world():
    world = factories.World.build()
    world.city.first_name, world.city.last_name = "Phương", "Nguyễn Thị"
    world.city.save()
    world.officer.first_name, world.officer.last_name = "Nam", "Cán bộ Hòa Cường"
    world.officer.save()
    for number in range(12):
        commitment = factories.commitment(
            partnership=world.partnership, title=f"Hỗ trợ xây dựng công trình số {number + 1} cho thôn"
        )
        services.submit_progress(
            commitment=commitment,
            author=world.officer,
            narrative=f"Đã hoàn thành hạng mục {number + 1}",
            achieved_quantity=1,
        )
    factories.activity(partnership=world.partnership, title="Khảo sát thực tế tại thôn")
    return world


# --- 1. The review queue --------------------------------------------------------------------------


def test_review_queue_filters_bulk_verify_and_undo(new_page, live_server, world):
    services.submit_progress(
        commitment=world.other_commitment, author=world.outsider_officer, narrative="Trao học bổng", achieved_quantity=1
    )
    page = signed_in(new_page, live_server, world.city)
    page.goto("/commitments/review/")
    assert page.get_by_role("heading", name="13 báo cáo chờ xác nhận").is_visible()
    assert page.locator("select[name=waiting] option", has_text="Gửi trong 24 giờ qua (13)").count() == 1
    screenshot(page, "review-queue-desktop")

    # Search narrows the list in place; the counts beside the choices follow.
    page.get_by_label("Tìm kiếm").fill("hoc bong")
    page.get_by_role("heading", name="1 báo cáo chờ xác nhận").wait_for()
    assert page.locator("select[name=waiting] option", has_text="Gửi trong 24 giờ qua (1)").count() == 1
    assert re.search(r"q=hoc(\+|%20)bong", page.url)
    page.get_by_label("Tìm kiếm").fill("")
    page.get_by_role("heading", name="13 báo cáo chờ xác nhận").wait_for()
    page.get_by_label("Thứ tự").select_option("newest")
    page.wait_for_url(re.compile(r"sort=newest"))
    assert page.locator(".review__title").first.inner_text() == world.other_commitment.title

    # Two ticked, verified together after a confirmation page.
    rows = page.locator("li.review")
    picked = [int(rows.nth(index).get_attribute("id").split("-")[1]) for index in (1, 2)]
    for pk in picked:
        page.locator(f"#pick-{pk}").check()
    page.get_by_role("button", name="Xác nhận các báo cáo đã chọn…").click()
    page.get_by_role("button", name="Xác nhận các báo cáo này").click()
    page.get_by_text("Đã xác nhận 2 báo cáo.").wait_for()
    assert set(ProgressUpdate.objects.filter(pk__in=picked).values_list("state", flat=True)) == {"verified"}
    assert "sort=newest" in page.url  # back on the queue as it was filtered

    # One verified by mistake, undone in place.
    row = page.locator("li.review").first
    pk = int(row.get_attribute("id").split("-")[1])
    row.get_by_role("button", name="Xác nhận", exact=True).click()
    done = page.locator(f"#review-{pk}")
    done.get_by_role("button", name="Hoàn tác").click()
    done.get_by_role("button", name="Xác nhận", exact=True).wait_for()  # the row is back with its decisions
    assert ProgressUpdate.objects.get(pk=pk).state == ProgressUpdate.State.SUBMITTED
    assert axe_violations(page) == []

    phone = signed_in(new_page, live_server, world.city, NARROW)
    phone.goto("/commitments/review/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    screenshot(phone, "review-queue-360")
    assert page.console_errors == [] and phone.console_errors == []


# --- 5. Phone header and menu ----------------------------------------------------------------------

CUT_OR_OUTSIDE = """() => {
    const width = document.documentElement.clientWidth;
    const problems = [];
    for (const element of document.querySelectorAll(".brand__name, .usermenu__name, .mainnav a")) {
        const box = element.getBoundingClientRect();
        if (element.scrollWidth > element.clientWidth + 1) problems.push(`cut: ${element.textContent.trim()}`);
        if (box.left < 0 || box.right > width + 0.5) problems.push(`outside: ${element.textContent.trim()}`);
    }
    const nav = document.querySelector(".mainnav");
    if (nav && nav.scrollWidth > nav.clientWidth) problems.push("the menu scrolls sideways");
    return problems;
}"""


@pytest.mark.parametrize("role", ["city", "officer"])
def test_phone_header_and_menu_fit_360_px(new_page, live_server, world, role):
    page = signed_in(new_page, live_server, getattr(world, role), NARROW)
    page.goto("/my-unit/" if role == "officer" else "/")
    assert page.evaluate(CUT_OR_OUTSIDE) == []
    assert page.locator(".brand__name").inner_text() == "Cổng thông tin kết nghĩa"
    assert page.locator(".usermenu__name").inner_text() == str(getattr(world, role))
    for link in page.get_by_role("navigation", name="Điều hướng chính").get_by_role("link").all():
        assert link.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    screenshot(page, f"header-{role}-360")
    page.set_viewport_size(DESKTOP)
    screenshot(page, f"header-{role}-desktop")


# --- 6. Print --------------------------------------------------------------------------------------

TABLES_CUT = """(width) => {
    const problems = [];
    for (const table of document.querySelectorAll("table")) {
        const box = table.getBoundingClientRect();
        if (box.width === 0) continue;
        if (box.right > width + 1) problems.push(`table ends at ${Math.round(box.right)} of ${width}px`);
        for (const cell of table.querySelectorAll("th, td")) {
            const right = cell.getBoundingClientRect().right;
            if (right > width + 1) { problems.push(`cell "${cell.textContent.trim().slice(0, 30)}" ends at ${Math.round(right)}`); break; }
        }
    }
    if (document.documentElement.scrollWidth > width + 1) problems.push(`page is ${document.documentElement.scrollWidth}px wide`);
    return problems;
}"""
# Words of controls that must not reach paper.
CONTROLS = [
    "Lọc",
    "Bỏ lọc",
    "Sửa thông tin",
    "Ghi nhận hoạt động",
    "Thêm cam kết",
    "Xác nhận các báo cáo đã chọn",
    "Đăng xuất",
]


def print_pages(world):
    update = world.commitment.updates.first() or services.submit_progress(
        commitment=world.commitment, author=world.officer, narrative="x", achieved_quantity=1
    )
    return {
        "dashboard": ("/", None),
        "partnership-list": ("/partnerships/", None),
        "partnership-detail": (world.partnership.get_absolute_url(), "Đơn vị tham gia"),
        "commitment-list": ("/commitments/", "Hỗ trợ xây dựng công trình số"),
        "commitment-detail": (update.commitment.get_absolute_url(), "Báo cáo tiến độ"),
        "review-queue": ("/commitments/review/", "Hỗ trợ xây dựng công trình số"),
        "commune-list": ("/communes/", "Trà Tân"),
        "commune-detail": (world.supported.get_absolute_url(), "Thông tin đơn vị"),
        "report-list": ("/reports/", None),
    }


def test_every_page_type_prints_on_a4_with_content_on_page_one(new_page, live_server, world):
    from pypdf import PdfReader

    page = signed_in(new_page, live_server, world.city)
    failures = {}
    for name, (path, expected) in print_pages(world).items():
        page.set_viewport_size({"width": A4_CONTENT_WIDTH, "height": 1000})
        page.goto(path)
        page.emulate_media(media="print")
        problems = page.evaluate(TABLES_CUT, A4_CONTENT_WIDTH)
        pdf = PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True)))
        first = " ".join(pdf.pages[0].extract_text().split())
        everything = " ".join(" ".join(p.extract_text().split()) for p in pdf.pages)
        if len(pdf.pages) > 1 and len(first) < 300:
            problems.append(f"page 1 holds {len(first)} characters: {first[:120]}")
        if expected and expected not in first:
            problems.append(f"page 1 lacks {expected!r}")
        problems += [
            f"prints the control {word!r}"
            for word in CONTROLS
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", everything)
        ]
        if name == "commitment-list":
            rows = len(re.findall(r"Hỗ trợ xây dựng công trình số", first))
            if rows < 8:
                problems.append(f"page 1 holds {rows} rows of the list")
        if os.environ.get("SCREENSHOTS"):
            Path(os.environ["SCREENSHOTS"], f"print-{name}.pdf").write_bytes(page.pdf(format="A4"))
        page.emulate_media(media="screen")
        if problems:
            failures[name] = problems
    assert failures == {}


def test_the_officers_desk_prints_too(new_page, live_server, world):
    from pypdf import PdfReader

    page = signed_in(new_page, live_server, world.officer)
    page.set_viewport_size({"width": A4_CONTENT_WIDTH, "height": 1000})
    page.goto("/my-unit/")
    page.emulate_media(media="print")
    assert page.evaluate(TABLES_CUT, A4_CONTENT_WIDTH) == []
    first = " ".join(PdfReader(io.BytesIO(page.pdf(format="A4"))).pages[0].extract_text().split())
    assert len(first) >= 300, first


# --- 2. A commitment added on its partnership's page ----------------------------------------------


def test_a_commitment_is_added_on_the_partnership_page_and_shown_at_once(new_page, live_server, world):
    page = signed_in(new_page, live_server, world.city)
    page.goto(world.partnership.get_absolute_url())
    section = page.locator("#partnership-commitments")
    section.get_by_text("Thêm cam kết").click()
    form = section.locator("#add-commitment form")
    form.locator("input[name=title]").fill("Tặng 30 bộ máy tính cho trường học")
    form.locator("select[name=field]").select_option(str(world.commitment.field_id))
    form.locator("select[name=owner]").select_option(world.supporter.code)
    form.locator("select[name=support_form]").select_option(index=1)
    form.locator("input[name=target_quantity]").fill("0")
    form.locator("input[name=target_unit]").fill("bộ")
    form.locator("input[name=start_on]").fill("2025-10-01")
    form.locator("input[name=due_on]").fill("2027-12-31")
    form.get_by_role("button", name="Lưu cam kết").click()
    # Refused in place: the message beside the field, everything typed still there.
    page.locator("#add-commitment[open]").get_by_text("Chỉ tiêu phải lớn hơn 0.").wait_for()
    assert page.locator("#new-commitment-title").input_value() == "Tặng 30 bộ máy tính cho trường học"
    page.locator("#new-commitment-target_quantity").fill("30")
    page.get_by_role("button", name="Lưu cam kết").click()
    added = page.locator("#commitment-new")
    added.wait_for()
    assert "Tặng 30 bộ máy tính cho trường học" in added.inner_text() and "Vừa thêm" in added.inner_text()
    assert "/partnerships/" in page.url  # no page load: still on the partnership page
    assert axe_violations(page) == []
    screenshot(page, "partnership-added-commitment-desktop")
    phone = signed_in(new_page, live_server, world.city, NARROW)
    phone.goto(world.partnership.get_absolute_url())
    phone.locator("#partnership-commitments").get_by_text("Thêm cam kết").click()
    assert phone.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    screenshot(phone, "partnership-add-form-360")
    assert page.console_errors == [] and phone.console_errors == []


def test_members_roles_are_changed_row_by_row(new_page, live_server, world):
    from partnerships.models import Membership

    co = Membership.objects.create(
        partnership=world.partnership, commune=factories.commune(name="An Khê"), role=Membership.Role.CO_SUPPORTER
    )
    page = signed_in(new_page, live_server, world.city)
    page.goto(world.partnership.get_absolute_url())
    page.get_by_label("Vai trò của An Khê").select_option("lead_supporter")
    page.locator(".member-row", has_text="An Khê").get_by_role("button", name="Đổi vai trò").click()
    page.locator(".member-row", has_text="Hòa Cường").locator(".badge--role-co_supporter").wait_for()
    co.refresh_from_db()
    assert co.role == Membership.Role.LEAD_SUPPORTER
    assert page.locator("#members select[multiple]").count() == 0
    assert axe_violations(page) == []
    phone = signed_in(new_page, live_server, world.city, NARROW)
    phone.goto(world.partnership.get_absolute_url())
    assert phone.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    screenshot(phone, "partnership-members-360")
    assert page.console_errors == [] and phone.console_errors == []


def test_a_unit_leaves_a_signed_partnership_on_a_given_day(new_page, live_server, world):
    """Issue 15: removing a member row of a signed partnership records the day the unit leaves, so the
    figures of earlier days keep it; the page lists it among the former members."""
    import datetime

    from partnerships.models import Membership

    an_khe = Membership.objects.create(
        partnership=world.partnership, commune=factories.commune(name="An Khê"), role=Membership.Role.CO_SUPPORTER
    )
    page = signed_in(new_page, live_server, world.city)
    page.goto(f"/partnerships/{world.partnership.pk}/edit/")
    row = next(index for index in range(4) if "An Khê" in page.get_by_label(f"Đơn vị – dòng {index + 1}").input_value())
    page.locator(f"input[name=members-{row}-DELETE]").check()
    page.get_by_label("Ngày thay đổi thành viên").fill("2026-01-15")
    page.get_by_role("button", name="Lưu").click()
    page.get_by_text("Đã lưu thay đổi.").wait_for()
    page.get_by_text("Thành viên trước đây: An Khê (Cùng hỗ trợ, từ đầu đến 15/01/2026)").wait_for()
    an_khe.refresh_from_db()
    assert an_khe.left_on == datetime.date(2026, 1, 15)
    assert page.locator(".member-list:not(.member-list--former) .member-row", has_text="An Khê").count() == 0
    assert axe_violations(page) == []
    assert page.console_errors == []


def test_a_three_way_partnership_is_created_and_then_edited_in_one_save(new_page, live_server, world):
    """Issue 19: editing a three-way partnership took three saves (a required lead, then a unit chosen
    twice in a 94-option multi-select). Members are rows now: a unit typed with suggestions and a role."""
    from communes.models import Commune
    from partnerships.models import Membership, Partnership

    phuoc_thanh = factories.commune(name="Phước Thành", is_mountainous=True)
    factories.commune(name="Nam Phước", kind=Commune.Kind.COMMUNE)
    thang_phu = factories.commune(name="Thăng Phú", kind=Commune.Kind.COMMUNE)
    page = signed_in(new_page, live_server, world.city)
    page.goto("/partnerships/new/")
    assert page.locator("select[multiple]").count() == 0
    page.get_by_label("Đơn vị – dòng 1").fill("phuoc thanh")
    page.get_by_label("Đơn vị – dòng 2").fill("nam phuoc")
    page.get_by_label("Vai trò – dòng 2").select_option(Membership.Role.CO_SUPPORTER)
    page.get_by_label("Đơn vị – dòng 3").fill("nam phuoc")  # the same unit twice, by mistake
    page.locator("select[name=status]").select_option(Partnership.Status.SIGNED)
    page.locator("select[name=legal_basis]").select_option(index=1)
    page.locator("input[name=signed_on]").fill("2025-09-03")
    page.get_by_role("button", name="Lưu").click()
    # Refused beside the row, everything typed kept.
    page.get_by_text("Nam Phước đã có ở dòng 2: mỗi đơn vị chỉ chọn một lần.").wait_for()
    assert page.get_by_label("Đơn vị – dòng 3").input_value() == "nam phuoc"
    assert page.locator("input[name=signed_on]").input_value() == "2025-09-03"
    assert axe_violations(page) == []
    screenshot(page, "partnership-rows-error-desktop")
    page.get_by_label("Đơn vị – dòng 3").fill(f"Xã Thăng Phú ({thang_phu.code})")
    page.get_by_label("Đơn vị – dòng 3").press("Escape")
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url(re.compile(r"/partnerships/\d+/$"))
    partnership = Partnership.objects.get(memberships__commune=phuoc_thanh)
    assert dict(partnership.memberships.values_list("commune__name", "role")) == {
        "Phước Thành": "supported",
        "Nam Phước": "co_supporter",
        "Thăng Phú": "co_supporter",
    }

    # On a phone: one more unit in a new row, Nam Phước becomes the lead, one save.
    phone = signed_in(new_page, live_server, world.city, NARROW)
    phone.goto(f"/partnerships/{partnership.pk}/edit/")
    phone.locator("input[name=signed_place]").fill("Hội trường xã Phước Thành")
    assert phone.get_by_label("Đơn vị – dòng 5").count() == 0
    phone.get_by_role("button", name="Thêm dòng").click()
    phone.get_by_label("Đơn vị – dòng 5").wait_for()
    assert phone.evaluate("document.activeElement.name") == "members-4-commune"
    assert phone.locator("input[name=signed_place]").input_value() == "Hội trường xã Phước Thành"
    phone.get_by_label("Đơn vị – dòng 5").fill(world.outsider.code)
    phone.get_by_label("Đơn vị – dòng 5").press("Escape")  # closes the suggestions it may have opened
    nam_phuoc_row = next(
        index for index in range(5) if "Nam Phước" in phone.get_by_label(f"Đơn vị – dòng {index + 1}").input_value()
    )
    phone.get_by_label(f"Vai trò – dòng {nam_phuoc_row + 1}").select_option(Membership.Role.LEAD_SUPPORTER)
    assert phone.evaluate("document.documentElement.scrollWidth") <= NARROW["width"]
    assert axe_violations(phone) == []
    phone.get_by_role("button", name="Lưu").click()
    phone.wait_for_url(re.compile(rf"/partnerships/{partnership.pk}/$"))
    phone.get_by_text("Đã lưu thay đổi.").wait_for()
    partnership.refresh_from_db()
    assert partnership.signed_place == "Hội trường xã Phước Thành"
    assert dict(partnership.memberships.values_list("commune__name", "role")) == {
        "Phước Thành": "supported",
        "Nam Phước": "lead_supporter",
        "Thăng Phú": "co_supporter",
        "Sơn Trà": "co_supporter",
    }
    # Taken last: after a full-page screenshot the emulated phone's next click submitted nothing.
    phone.goto(f"/partnerships/{partnership.pk}/edit/")
    screenshot(phone, "partnership-rows-edit-360")
    assert page.console_errors == [] and phone.console_errors == []
