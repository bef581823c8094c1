"""An officer of a mountain commune on a phone with no signal (issue 20) and the progress form's own
checks and messages (issue 19, point 4), in Chromium with phone emulation and Playwright's
``context.set_offline``."""

import io
import random
import time
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from PIL import Image

from accounts.models import SignInLink
from accounts.services import sign_in_link_token
from commitments import services
from commitments.models import Evidence, ProgressUpdate
from tests import factories
from tests.browser.pages import PHONE, log_in
from tests.commitments import fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_OPTIONS = {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def photo(tmp_path, name: str = "anh-ban-giao.jpg", seed: int = 1):
    rng = random.Random(seed)
    image = Image.frombytes("RGB", (80, 60), rng.randbytes(80 * 60 * 3)).resize((1600, 1200))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    path = tmp_path / name
    path.write_bytes(buffer.getvalue())
    return path


def wait_until(condition, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def kept_pages(page) -> list[str]:
    """The paths the service worker keeps for the signed-in officer."""
    return page.evaluate(
        """async () => {
             const names = (await caches.keys()).filter(name => name.startsWith("pages-"));
             const paths = [];
             for (const name of names) {
               for (const request of await (await caches.open(name)).keys()) paths.push(new URL(request.url).pathname);
             }
             return paths.sort();
           }"""
    )


def open_my_unit_and_keep_it(page, world) -> None:
    page.goto("/my-unit/")
    form_path = f"/commitments/{world.commitment.pk}/progress/new/"
    wait_until(lambda: {"/my-unit/", form_path} <= set(kept_pages(page)), what="pages kept for offline use")


@pytest.fixture
def officer_page(new_page):
    world = factories.World.build()
    fixtures.current_period()
    page = new_page(**PHONE_OPTIONS)
    log_in(page, world.officer.username, factories.PASSWORD)
    open_my_unit_and_keep_it(page, world)
    return world, page


def write_report(page, narrative: str, photos=(), quantity: str = "1") -> None:
    form = page.locator("form[data-progress-form]")
    if form.locator("input[name=achieved_quantity]").count():
        form.locator("input[name=achieved_quantity]").fill(quantity)
    form.locator("textarea[name=narrative]").fill(narrative)
    if photos:
        form.locator("input[name=evidence]").set_input_files([str(path) for path in photos])
        page.wait_for_function("() => !document.querySelector('input[name=evidence]').hasAttribute('aria-busy')")
    form.get_by_role("button", name="Gửi báo cáo").click()


def test_written_offline_with_a_photo_then_sent_once_when_the_signal_returns(officer_page, tmp_path):
    world, page = officer_page
    context = page.context
    # Lists and other pages read online are not kept: only "my unit" and the progress forms.
    for path in ("/commitments/", world.commitment.get_absolute_url(), f"/communes/{world.commitment.owner_id}/"):
        page.goto(path)
    page.goto("/my-unit/")
    assert all(path == "/my-unit/" or path.endswith("/progress/new/") for path in kept_pages(page)), kept_pages(page)
    context.set_offline(True)
    page.goto("/commitments/")
    assert page.get_by_role("heading", name="Không có mạng").is_visible()
    page.goto("/my-unit/")
    # The card's button opens a dialog online; offline it opens the form page the phone kept.
    page.locator(".task").filter(has_text=world.commitment.title).get_by_role("link", name="Báo cáo tiến độ").click()
    page.wait_for_url(f"**/commitments/{world.commitment.pk}/progress/new/**")
    banner = page.locator("[data-offline-banner]")
    assert banner.is_visible() and "cập nhật lúc" in banner.inner_text()
    write_report(page, "Trao 1 máy tính cho UBND xã Trà Leng", [photo(tmp_path)])
    page.get_by_role("status").filter(has_text="Đã lưu trên máy").wait_for()

    page.goto("/my-unit/")  # still offline: the kept page, with the outbox
    outbox = page.locator("[data-outbox]")
    outbox.wait_for()
    assert "Chưa gửi – chờ có mạng" in outbox.inner_text()
    assert "Trao 1 máy tính" not in outbox.inner_text()  # the title of the commitment, not the text
    assert world.commitment.title in outbox.inner_text()
    assert ProgressUpdate.objects.count() == 0

    context.set_offline(False)
    wait_until(lambda: ProgressUpdate.objects.count() == 1, what="the report on the server")
    outbox.wait_for(state="hidden")
    update = ProgressUpdate.objects.get()
    assert update.narrative == "Trao 1 máy tính cho UBND xã Trà Leng"
    assert update.author == world.officer and update.state == ProgressUpdate.State.SUBMITTED
    assert update.evidence.filter(kind=Evidence.Kind.PHOTO).count() == 1
    page.reload()
    assert page.locator("[data-outbox]").is_hidden()
    assert ProgressUpdate.objects.count() == 1
    # Only the unkept list answered offline, and the browser logged that.
    assert [e for e in page.console_errors if "503" not in e and "ERR_INTERNET_DISCONNECTED" not in e] == []


def test_twenty_flaky_cycles_with_reloads_lose_nothing_and_file_nothing_twice(officer_page, tmp_path):
    world, page = officer_page
    context = page.context
    narratives = []
    for cycle in range(20):
        context.set_offline(True)
        page.goto(f"/commitments/{world.commitment.pk}/progress/new/?next=/my-unit/")
        narrative = f"Báo cáo số {cycle + 1} viết khi mất sóng"
        narratives.append(narrative)
        write_report(page, narrative, [photo(tmp_path, f"anh-{cycle}.jpg", seed=cycle)] if cycle % 4 == 0 else ())
        page.get_by_role("status").filter(has_text="Đã lưu trên máy").wait_for()
        # The signal comes back for a moment, the page reloads, and it goes again (sometimes mid-send).
        context.set_offline(False)
        page.goto("/my-unit/")
        time.sleep(random.Random(cycle).choice([0, 0.05, 0.2, 0.5]))
        context.set_offline(True)
        page.reload()
    context.set_offline(False)
    page.goto("/my-unit/")
    wait_until(lambda: ProgressUpdate.objects.count() >= 20, timeout=90, what="all 20 reports on the server")
    page.locator("[data-outbox]").wait_for(state="hidden", timeout=60_000)
    filed = sorted(ProgressUpdate.objects.values_list("narrative", flat=True))
    assert filed == sorted(narratives)  # 0 lost, 0 twice
    assert Evidence.objects.count() == 5
    # Sends cut off by the flaky link are logged by the browser; nothing else may be.
    assert [error for error in page.console_errors if "ERR_INTERNET_DISCONNECTED" not in error] == []


def test_logout_clears_the_kept_pages_and_the_outbox(officer_page, tmp_path):
    world, page = officer_page
    page.context.set_offline(True)
    page.goto(f"/commitments/{world.commitment.pk}/progress/new/")
    write_report(page, "Chưa kịp gửi thì đăng xuất")
    page.get_by_role("status").filter(has_text="Đã lưu trên máy").wait_for()
    page.context.set_offline(False)
    page.goto("/my-unit/")
    page.evaluate("() => { window.confirm = () => true; }")  # "còn báo cáo chưa gửi, vẫn đăng xuất?"
    page.locator(".usermenu summary").click()
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/accounts/login/**")
    leftovers = page.evaluate(
        """async () => ({
             caches: (await caches.keys()).filter(name => name.startsWith("pages-")),
             databases: (await indexedDB.databases()).map(db => db.name).filter(name => name.startsWith("outbox-")),
             workers: (await navigator.serviceWorker.getRegistrations()).length,
           })"""
    )
    assert leftovers == {"caches": [], "databases": [], "workers": 0}
    page.context.set_offline(True)
    response = None
    try:
        response = page.goto("/my-unit/")
    except Exception:  # the browser's own "no internet" page: nothing kept answers
        pass
    assert response is None or world.commitment.title not in page.content()


def test_a_report_to_a_commitment_changed_meanwhile_comes_back_with_the_reason_and_the_content(officer_page, tmp_path):
    world, page = officer_page
    context = page.context
    context.set_offline(True)
    page.goto(f"/commitments/{world.commitment.pk}/progress/new/?next=/my-unit/")
    write_report(page, "Hai suất học bổng đã trao", [photo(tmp_path)], quantity="2")
    page.get_by_role("status").filter(has_text="Đã lưu trên máy").wait_for()
    # Meanwhile, in the city, the commitment's terms change.
    commitment = world.commitment
    commitment.target_quantity = 6
    services.save_commitment(commitment=commitment, editor=world.city, reason="Điều chỉnh theo khảo sát")

    context.set_offline(False)
    page.goto("/my-unit/")
    refused = page.locator(".outbox__item--refused")
    refused.wait_for()
    assert "vừa được sửa trong lúc bạn soạn báo cáo" in refused.inner_text()
    assert ProgressUpdate.objects.count() == 0
    refused.get_by_role("link", name="Sửa").click()
    form = page.locator("form[data-progress-form]")
    form.locator(".alert--error").wait_for()
    assert "Chỉ tiêu hiện nay: 6" in form.locator(".alert--error").inner_text()
    assert form.locator("textarea[name=narrative]").input_value() == "Hai suất học bổng đã trao"
    assert form.locator("input[name=achieved_quantity]").input_value() == "2"
    assert page.evaluate("() => document.querySelector('input[name=evidence]').files.length") == 1
    form.get_by_role("button", name="Gửi báo cáo").click()
    page.get_by_role("status").filter(has_text="Đã gửi báo cáo tiến độ").wait_for()
    update = ProgressUpdate.objects.get()
    assert update.narrative == "Hai suất học bổng đã trao" and update.evidence.count() == 1
    page.goto("/my-unit/")
    assert page.locator("[data-outbox]").is_hidden()


def test_a_commitment_no_longer_the_units_comes_back_as_refused_with_the_content_kept(officer_page):
    world, page = officer_page
    context = page.context
    context.set_offline(True)
    page.goto(f"/commitments/{world.commitment.pk}/progress/new/?next=/my-unit/")
    write_report(page, "Đã khảo sát 3 thôn")
    page.get_by_role("status").filter(has_text="Đã lưu trên máy").wait_for()
    # City staff hands the commitment to the other member: no longer this unit's to report on.
    world.commitment.__class__.objects.filter(pk=world.commitment.pk).update(owner=world.supported_officer.commune)
    context.set_offline(False)
    page.goto("/my-unit/")
    refused = page.locator(".outbox__item--refused")
    refused.wait_for()
    assert "không còn nhận báo cáo" in refused.inner_text()
    assert ProgressUpdate.objects.count() == 0


def test_the_form_checks_before_sending_in_the_portals_own_words(new_page, tmp_path):
    world = factories.World.build()
    fixtures.current_period()
    page = new_page(**PHONE_OPTIONS)
    log_in(page, world.officer.username, factories.PASSWORD)
    page.goto(f"/commitments/{world.commitment.pk}/progress/new/")
    form = page.locator("form[data-progress-form]")
    sent = []
    page.on("request", lambda request: request.method == "POST" and sent.append(request.url))

    form.get_by_role("button", name="Gửi báo cáo").click()
    narrative_error = form.locator(".field", has=page.locator("textarea[name=narrative]")).locator(".field__error")
    assert narrative_error.inner_text() == "Vui lòng nhập mục này."
    assert "Vui lòng nhập số lượng hoặc giá trị đạt được." in form.inner_text()
    # The browser's bubble ("Please fill out this field.") is off; the server still checks everything.
    assert page.evaluate("() => document.querySelector('form[data-progress-form]').noValidate") is True

    form.locator("input[name=achieved_quantity]").fill("-2")
    form.locator("textarea[name=narrative]").fill("Trao quà Tết")
    form.locator("input[name=evidence]").set_input_files(
        [str(photo(tmp_path, f"anh-{i}.jpg", seed=i)) for i in range(11)]
    )
    page.wait_for_function("() => !document.querySelector('input[name=evidence]').hasAttribute('aria-busy')")
    form.get_by_role("button", name="Gửi báo cáo").click()
    assert "Kết quả không được âm." in form.inner_text()
    assert "Tối đa 10 tệp minh chứng mỗi lần gửi." in form.inner_text()
    big = tmp_path / "video.pdf"
    big.write_bytes(b"%PDF-1.4\n" + b"0" * (16 * 1024 * 1024))
    form.locator("input[name=evidence]").set_input_files([str(big)])
    form.get_by_role("button", name="Gửi báo cáo").click()
    assert "“video.pdf” lớn hơn 15 MB" in form.inner_text()
    assert sent == []  # nothing travelled

    # Money grouped while typed, sent plain; quantity in Vietnamese notation.
    form.locator("input[name=evidence]").set_input_files([])
    form.locator("input[name=achieved_quantity]").fill("1,5")
    money = form.locator("input[name=achieved_value_vnd]")
    money.press_sequentially("1250000")
    assert money.input_value() == "1.250.000"
    form.get_by_role("button", name="Gửi báo cáo").click()
    page.get_by_role("status").filter(has_text="Đã gửi báo cáo tiến độ").wait_for()
    update = ProgressUpdate.objects.get()
    assert update.achieved_value_vnd == 1_250_000 and str(update.achieved_quantity) == "1.50"
    assert page.console_errors == []


def test_sending_shows_progress_and_a_failed_send_can_be_retried(new_page, tmp_path):
    world = factories.World.build()
    fixtures.current_period()
    page = new_page(**PHONE_OPTIONS)
    log_in(page, world.officer.username, factories.PASSWORD)
    page.goto(f"/commitments/{world.commitment.pk}/progress/new/")
    # The first attempt dies on the way (a dropped link), the second goes through slowly.
    attempts = []

    def flaky(route):
        attempts.append(route.request.url)
        if len(attempts) == 1:
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/progress/new/", lambda route: flaky(route) if route.request.method == "POST" else route.continue_())
    write_report(page, "Bàn giao thiết bị y tế", [photo(tmp_path)])
    status = page.locator("[data-sending] [data-sending-text]")
    status.filter(has_text="Chưa gửi được vì mất kết nối.").wait_for()
    page.get_by_role("button", name="Thử lại").click()
    page.get_by_role("status").filter(has_text="Đã gửi báo cáo tiến độ").wait_for()
    assert len(attempts) == 2
    assert ProgressUpdate.objects.count() == 1
    assert ProgressUpdate.objects.get().evidence.count() == 1


def test_background_sync_sends_it_with_no_portal_page_open_to_send_it(officer_page, tmp_path):
    """On a page without the outbox (the commitments list), only the service worker can send it."""
    world, page = officer_page
    context = page.context
    context.set_offline(True)
    page.goto(f"/commitments/{world.commitment.pk}/progress/new/?next=/my-unit/")
    write_report(page, "Gửi bằng Background Sync", [photo(tmp_path)])
    page.get_by_role("status").filter(has_text="Đã lưu trên máy").wait_for()
    context.set_offline(False)
    page.goto("/commitments/")
    assert page.locator("[data-offline-key]").count() == 0
    wait_until(lambda: ProgressUpdate.objects.count() == 1, timeout=60, what="the worker's send")
    assert ProgressUpdate.objects.get().evidence.count() == 1


def test_another_officer_signing_in_on_the_same_phone_never_sees_the_first_ones_pages_or_reports(officer_page):
    world, page = officer_page
    context = page.context
    context.set_offline(True)
    page.goto(f"/commitments/{world.commitment.pk}/progress/new/?next=/my-unit/")
    write_report(page, "Báo cáo của cán bộ thứ nhất")
    page.get_by_role("status").filter(has_text="Đã lưu trên máy").wait_for()
    first_key = page.locator("[data-offline-key]").get_attribute("data-offline-key")
    # The first officer's session ends without signing out (expired, cookies cleared).
    context.clear_cookies()
    context.set_offline(False)
    # Meanwhile the outbox sends the first officer's report, refused for its CSRF token: that answer
    # must not replace the CSRF cookie under the login form (core.views.csrf_failure).
    log_in(page, world.outsider_officer.username, factories.PASSWORD)
    page.goto("/my-unit/")
    assert urlsplit(page.url).path == "/my-unit/", f"the second officer is not signed in: {page.url}"
    outboxes = """async () => (await indexedDB.databases()).map(db => db.name)"""
    wait_until(lambda: f"outbox-{first_key}" not in page.evaluate(outboxes), what="the first officer's outbox deleted")
    assert page.locator("[data-outbox]").is_hidden()
    assert all(name != f"pages-{first_key}" for name in page.evaluate("async () => await caches.keys()"))
    assert f"/commitments/{world.commitment.pk}/progress/new/" not in kept_pages(page)
    assert ProgressUpdate.objects.count() == 0


def test_opening_a_one_time_sign_in_link_forgets_the_pages_kept_for_the_officer_before(officer_page):
    world, page = officer_page
    assert kept_pages(page)
    page.context.clear_cookies()  # the first officer's session ended without signing out
    link = SignInLink.objects.create(username=world.outsider_officer.username, user=world.outsider_officer)

    page.goto(reverse("accounts:sign_in_link", args=[sign_in_link_token(link)]))

    wait_until(lambda: kept_pages(page) == [], what="the first officer's kept pages forgotten")


def test_a_refused_send_is_read_as_signed_out_or_as_a_server_fault(new_page):
    """What the outbox tells the officer about a report the server did not take (PortalOutbox.outcome)."""
    page = new_page(**PHONE_OPTIONS)
    page.goto("/accounts/login/")  # every page loads static/js/outbox-core.js
    outcomes = page.evaluate(
        """() => [401, 403, 404, 500, 0].map(status => PortalOutbox.outcome({status, url: "/commitments/1/progress/new/", html: ""}))"""
    )
    assert outcomes == ["login", "login", "gone", "server", "offline"]


def test_forgetting_an_outbox_ends_when_it_is_gone_even_while_a_report_is_being_saved(new_page):
    """What the worker awaits before it takes the next officer as current (PortalOutbox.forget)."""
    page = new_page(**PHONE_OPTIONS)
    page.goto("/accounts/login/")  # every page loads static/js/outbox-core.js
    listed = page.evaluate(
        """async () => {
             const listed = [];
             for (let round = 0; round < 5; round++) {
               const key = "forget-" + round;
               const item = {id: "first", state: "waiting", fields: [], files: [], savedAt: Date.now()};
               await PortalOutbox.put(key, item);
               const saving = PortalOutbox.put(key, {...item, id: "second"});  // a connection open meanwhile
               await PortalOutbox.forget(key);
               listed.push((await indexedDB.databases()).some(db => db.name === "outbox-" + key));
               await saving;
             }
             return listed;
           }"""
    )
    assert listed == [False] * 5
