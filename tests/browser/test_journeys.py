"""The portal's main journey in a real Chromium, as the people who use it would go through it.

City staff sets up a three-way partnership, the supporting unit's officer reports from a phone, city
staff returns then verifies the report, the leader reads without edit controls, and an officer of an
unrelated unit is refused. axe-core checks the pages on the way.
"""

import io
import re

import pytest
from django.core.management import call_command
from PIL import Image

from accounts.models import Role
from commitments.models import Commitment, Field, ProgressUpdate
from communes.models import Commune
from partnerships.models import Document, LegalBasis, Partnership
from tests import factories
from tests.browser.pages import DESKTOP, PHONE, axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def photo_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 40, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


def memorandum_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<h1>Biên bản kết nghĩa</h1><p>Tây Giang – Thanh Khê – An Khê</p>").write_pdf()


def assert_accessible(page, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{what}: {violations}"


def assert_fits(page, what: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{what} overflows the screen by {overflow}px"


def awaiting_figure(page) -> str:
    return page.locator(".stat", has_text="Báo cáo tiến độ chờ xác nhận").locator(".stat__value").inner_text()


@pytest.fixture
def cast():
    call_command("load_reference_data", verbosity=0)
    factories.current_period()
    supported = Commune.objects.get(name="Tây Giang")
    lead, co = Commune.objects.get(name="Thanh Khê"), Commune.objects.get(name="An Khê")
    unrelated = Commune.objects.get(name="Hòa Cường")
    return {
        "supported": supported,
        "lead": lead,
        "co": co,
        "city": factories.user(Role.CITY_STAFF, username="city"),
        "leader": factories.user(Role.LEADERSHIP, username="leader"),
        "officer": factories.user(Role.UNIT_OFFICER, commune=lead, username="officer-lead"),
        "unrelated": factories.user(Role.UNIT_OFFICER, commune=unrelated, username="officer-unrelated"),
    }


def test_partnership_journey(new_page, cast, tmp_path):
    password = factories.PASSWORD

    # 1. City staff creates a three-way partnership, uploads the memorandum, adds two commitments.
    city = new_page(viewport=DESKTOP)
    log_in(city, "city", password)
    assert_accessible(city, "dashboard")
    city.goto("/partnerships/new/")
    assert_accessible(city, "partnership form")
    # One row per member: a unit (typed, here by its code) and its role; the blank rows start as
    # supported, lead supporter and co-supporter.
    city.get_by_label("Đơn vị – dòng 1").fill(cast["supported"].code)
    city.get_by_label("Đơn vị – dòng 2").fill(cast["lead"].code)
    city.get_by_label("Đơn vị – dòng 3").fill(cast["co"].code)
    city.locator("select[name=status]").select_option(value=Partnership.Status.SIGNED)
    city.locator("select[name=legal_basis]").select_option(value=str(LegalBasis.objects.get(number="02-NQ/TU").pk))
    city.locator("input[name=signed_on]").fill("2025-09-20")
    city.get_by_role("button", name="Lưu").click()
    city.wait_for_url(re.compile(r"/partnerships/\d+/$"))
    partnership = Partnership.objects.get(
        memberships__commune=cast["supported"], memberships__role="supported", signed_on="2025-09-20"
    )
    assert partnership.memberships.count() == 3
    assert_accessible(city, "partnership detail")

    (tmp_path / "bien-ban.pdf").write_bytes(memorandum_pdf())
    city.get_by_text("Tải lên văn bản").click()
    city.locator("select[name=kind]").select_option(value=Document.Kind.MEMORANDUM)
    city.locator("#documents input[name=title]").fill("Biên bản ký kết chương trình kết nghĩa")
    city.locator("input[name=file]").set_input_files(str(tmp_path / "bien-ban.pdf"))
    city.get_by_role("button", name="Tải lên").click()
    city.wait_for_load_state("networkidle")
    assert partnership.documents.filter(kind=Document.Kind.MEMORANDUM).count() == 1

    for field_code, title, quantity, unit in [
        ("housing", "Xây dựng nhà đại đoàn kết", "2", "căn nhà"),
        ("education", "Trao học bổng cho học sinh", "20", "suất"),
    ]:
        city.goto(f"/commitments/new/?partnership={partnership.pk}")
        city.locator("select[name=field]").select_option(value=str(Field.objects.get(code=field_code).pk))
        city.locator("input[name=title]").fill(title)
        city.locator("select[name=owner]").select_option(value=cast["lead"].code)
        city.locator("select[name=support_form]").select_option(index=1)
        city.locator("input[name=target_quantity]").fill(quantity)
        city.locator("input[name=target_unit]").fill(unit)
        city.locator("input[name=start_on]").fill("2025-09-20")
        city.locator("input[name=due_on]").fill("2027-06-30")
        city.get_by_role("button", name="Thêm cam kết").click()
        city.wait_for_load_state("networkidle")
    assert set(partnership.commitments.values_list("field__code", flat=True)) == {"housing", "education"}
    for list_page in ["/partnerships/", "/commitments/", "/communes/"]:
        city.goto(list_page)
        assert_accessible(city, list_page)
    housing = partnership.commitments.get(field__code="housing")

    # 2. The supporting unit's officer, on a phone, reports progress with a photo.
    (tmp_path / "anh.jpg").write_bytes(photo_bytes())
    officer = new_page(viewport=PHONE)
    log_in(officer, "officer-lead", password)
    officer.goto("/my-unit/")
    assert_fits(officer, "my unit on a phone")
    assert_accessible(officer, "my unit")
    card = officer.locator("article, li, .card").filter(has_text="Xây dựng nhà đại đoàn kết").first
    card.get_by_role("link", name="Báo cáo tiến độ").click()
    dialog = officer.locator("dialog[open]")
    dialog.wait_for()
    dialog.locator("input[name=achieved_quantity]").fill("1")
    dialog.locator("textarea[name=narrative]").fill("Đã khởi công căn nhà thứ nhất")
    dialog.locator("input[type=file]").set_input_files(str(tmp_path / "anh.jpg"))
    dialog.get_by_role("button", name="Gửi báo cáo").click()
    # The answer is the confirmation in the dialog itself (no page load to wait for).
    dialog.get_by_role("status").filter(has_text="Đã gửi báo cáo tiến độ").wait_for()
    update = ProgressUpdate.objects.get(commitment=housing)
    assert update.state == ProgressUpdate.State.SUBMITTED and update.evidence.count() == 1

    # 3. City staff returns it with a reason.
    city.goto("/commitments/review/")
    row = city.locator(f"#review-{update.pk}")
    row.get_by_text("Trả lại…").click()
    row.locator("textarea[name=reason]").fill("Ảnh chưa rõ, đề nghị chụp lại toàn cảnh căn nhà.")
    row.get_by_role("button", name="Gửi trả lại").click()
    city.wait_for_load_state("networkidle")
    update.refresh_from_db()
    assert update.state == ProgressUpdate.State.RETURNED

    # 4. The officer sees the reason, fixes the report and sends it again.
    officer.goto("/my-unit/")
    assert officer.get_by_text("Ảnh chưa rõ, đề nghị chụp lại toàn cảnh căn nhà.").count() >= 1
    officer.get_by_role("link", name="Sửa và gửi lại").first.click()
    dialog = officer.locator("dialog[open]")
    dialog.wait_for()
    dialog.locator("textarea[name=narrative]").fill("Đã khởi công căn nhà thứ nhất; ảnh toàn cảnh kèm theo")
    dialog.locator("input[type=file]").set_input_files(str(tmp_path / "anh.jpg"))
    dialog.get_by_role("button", name="Gửi lại").click()
    dialog.get_by_role("status").filter(has_text="Đã gửi lại báo cáo tiến độ").wait_for()
    update.refresh_from_db()
    assert update.state == ProgressUpdate.State.SUBMITTED and update.resubmission_count == 1

    # 5. City staff verifies; the commitment's verified total and the dashboard's figures follow.
    city.goto("/")
    waiting_before = awaiting_figure(city)
    city.goto("/commitments/review/")
    city.locator(f"#review-{update.pk}").get_by_role("button", name="Xác nhận").click()
    city.wait_for_load_state("networkidle")
    update.refresh_from_db()
    housing.refresh_from_db()
    assert update.state == ProgressUpdate.State.VERIFIED
    assert housing.achieved_quantity == 1
    city.goto("/")
    waiting_after = awaiting_figure(city)
    assert int(re.sub(r"\D", "", waiting_after)) == int(re.sub(r"\D", "", waiting_before)) - 1

    # 6. The leader sees it all and finds no edit control.
    leader = new_page(viewport=DESKTOP)
    log_in(leader, "leader", password)
    pages = {
        partnership.get_absolute_url(): "Tây Giang",
        housing.get_absolute_url(): "Xây dựng nhà đại đoàn kết",
        "/partnerships/": "Tây Giang",
        "/commitments/": "Xây dựng nhà đại đoàn kết",
    }
    for path, expected_text in pages.items():
        leader.goto(path)
        assert leader.get_by_text(expected_text).count() >= 1, f"{path}: the leader does not see {expected_text}"
        forms = leader.locator("main form[method=post], main form[method=POST]")
        assert forms.count() == 0, f"{path}: the leader is offered a form that writes"
        for label in ["Sửa thông tin", "Sửa cam kết", "Thêm cam kết", "Báo cáo tiến độ", "Thêm quan hệ kết nghĩa"]:
            assert leader.get_by_role("link", name=label).count() == 0, f"{path}: {label}"

    # 7. An officer of an unrelated unit opening that commitment gets a 404.
    outsider = new_page(viewport=PHONE)
    log_in(outsider, "officer-unrelated", password)
    response = outsider.goto(housing.get_absolute_url())
    assert response.status == 404
    assert Commitment.objects.filter(pk=housing.pk).exists()

    # 8. Nothing on the way broke the content security policy or raised a script error.
    for who, page in [("city staff", city), ("officer", officer), ("leader", leader)]:
        assert page.console_errors == [], f"the browser reported errors for {who}: {page.console_errors}"
