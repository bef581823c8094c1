"""Issue 16 in a real Chromium: an officer's change waits for approval, city staff approve one and refuse
one from the queue, a duplicate partnership is refused, a voided partnership leaves the dashboard and
comes back when restored. axe-core checks the new parts of the pages."""

import re

import pytest

from commitments.models import Commitment, CommitmentAdjustment
from partnerships.models import Membership, Partnership
from tests import factories
from tests.browser.pages import DESKTOP, PHONE, axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_accessible(page, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{what}: {violations}"


def partnership_total(page) -> int:
    """The dashboard's first figure: every partnership ("2/3": signed or under way / all)."""
    page.goto("/")
    stat = page.locator(".stat", has_text="Quan hệ kết nghĩa đã ký kết, đang triển khai").locator(".stat__total")
    return int(re.sub(r"\D", "", stat.inner_text()))


def ask_for_a_later_deadline(officer, commitment, year: str, reason: str) -> None:
    officer.goto(f"/commitments/{commitment.pk}/edit/")
    officer.locator("input[name=due_on]").fill(f"{year}-12-31")
    officer.locator("textarea[name=reason]").fill(reason)
    officer.get_by_role("button", name="Lưu thay đổi").click()
    officer.wait_for_load_state("networkidle")


def test_reviewed_changes_duplicates_and_void(new_page):
    world = factories.World.build()
    password = factories.PASSWORD
    commitment = world.commitment

    # 1. The officer moves the deadline: a request; the commitment keeps its terms and shows it.
    officer = new_page(viewport=PHONE)
    log_in(officer, world.officer.username, password)
    ask_for_a_later_deadline(officer, commitment, "2027", "Chờ vốn ngân sách năm 2027")
    assert officer.get_by_text("Đang chờ Thành ủy duyệt đề nghị điều chỉnh.").count() == 1
    assert_accessible(officer, "commitment page with a pending request")
    assert Commitment.objects.get(pk=commitment.pk).due_on.year == 2026

    # 2. City staff approve it from the queue.
    city = new_page(viewport=DESKTOP)
    log_in(city, world.city.username, password)
    city.goto("/commitments/review/")
    assert_accessible(city, "review queue with a request")
    first = CommitmentAdjustment.objects.get()
    city.locator(f"#adjustment-{first.pk}").get_by_role("button", name="Duyệt").click()
    city.locator(f"#adjustment-{first.pk}").get_by_text("Đã duyệt").wait_for()
    assert Commitment.objects.get(pk=commitment.pk).due_on.year == 2027

    # 3. A second request is refused with a reason; the deadline stays.
    ask_for_a_later_deadline(officer, commitment, "2028", "Chờ thêm một năm")
    second = CommitmentAdjustment.objects.get(state="pending")
    city.goto("/commitments/review/")
    row = city.locator(f"#adjustment-{second.pk}")
    row.get_by_text("Không duyệt…").click()
    row.locator("textarea[name=reason]").fill("Không có căn cứ lùi thêm")
    row.get_by_role("button", name="Gửi").click()
    city.locator(f"#adjustment-{second.pk}").get_by_text("Không duyệt").first.wait_for()
    assert Commitment.objects.get(pk=commitment.pk).due_on.year == 2027
    city.goto(commitment.get_absolute_url())
    assert city.get_by_text("Lịch sử điều chỉnh").count() == 1
    assert_accessible(city, "commitment page with its adjustment history")

    # 4. An exact copy of the partnership is refused, with a link to the original.
    city.goto("/partnerships/new/")
    for row, (unit, role) in enumerate(
        [(world.supported, Membership.Role.SUPPORTED), (world.supporter, Membership.Role.LEAD_SUPPORTER)], start=1
    ):
        city.get_by_label(f"Đơn vị – dòng {row}").fill(unit.code)
        city.get_by_label(f"Đơn vị – dòng {row}").press("Escape")  # closes the suggestions it may have opened
        city.get_by_label(f"Vai trò – dòng {row}").select_option(role)
    city.locator("select[name=status]").select_option(value=Partnership.Status.SIGNED)
    city.locator("input[name=signed_on]").fill("2025-09-20")
    city.get_by_role("button", name="Lưu").click()
    city.wait_for_load_state("networkidle")
    assert city.get_by_text("Đã có quan hệ kết nghĩa với đúng các đơn vị này").count() == 1
    assert Partnership.objects.count() == 2

    # 5. Voiding the partnership takes it off the dashboard; restoring brings it back.
    before = partnership_total(city)
    city.goto(f"/partnerships/{world.partnership.pk}/")
    city.get_by_role("link", name="Hủy do nhập sai").first.click()
    city.locator("textarea[name=reason]").fill("Nhập trùng")
    city.get_by_role("button", name="Hủy do nhập sai").click()
    city.wait_for_load_state("networkidle")
    assert partnership_total(city) == before - 1
    city.goto(f"/partnerships/{world.partnership.pk}/")
    assert_accessible(city, "voided partnership")
    city.get_by_role("button", name="Khôi phục").click()
    city.wait_for_load_state("networkidle")
    assert partnership_total(city) == before
