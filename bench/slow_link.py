"""P8: an officer submits a progress report from a phone on a "Slow 3G" link.

gunicorn serves the portal (production settings, static files through WhiteNoise as in production)
and Debian's Chromium, driven by Playwright, emulates a phone on DevTools' "Slow 3G" profile: 2 s of
latency per request and 50 KB/s each way (Chrome's preset: 400 ms × 5 and 500 kbit/s × 0.8). The
officer opens one of their commitments, opens the progress dialog, types a figure and a sentence and
presses "Gửi báo cáo"; the time measured runs from that press to the moment the confirmation is
visible on screen. The page and its assets are loaded before the clock starts, as they would be for
someone who has just filled in the form.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from django.conf import settings

from .load import gunicorn, wait_until_up
from .measure import signed_in_client

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
CONFIRMATION = ".toast--success, .alert--success"


def editable_commitments(officer, count: int) -> list:
    """Commitments the officer may report on, with no report already waiting for review."""
    from commitments.models import Commitment, ProgressUpdate

    waiting = ProgressUpdate.objects.filter(state=ProgressUpdate.State.SUBMITTED).values("commitment")
    return list(
        Commitment.objects.editable_by(officer).exclude(pk__in=waiting).order_by("pk").values_list("pk", flat=True)[:count]
    )


def measure_slow_link(officer, *, submissions: int = 5) -> dict:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"error": "playwright is not installed (pip install -r requirements-dev.lock)"}
    if not os.path.exists(CHROMIUM):
        return {"error": f"Chromium is not installed ({CHROMIUM}; bin/install-system-packages --with-browser)"}
    commitments = editable_commitments(officer, submissions)
    if not commitments:
        return {"error": f"{officer} has no commitment to report on"}
    client = signed_in_client(officer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Plain http on loopback: the browser would refuse a Secure "__Host-" cookie there, so this server
    # names its session cookie "sessionid"; the session itself is the one signed in above.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings_browser", "DJANGO_SECURE_COOKIES": "false"}
    timings, errors = [], []
    with tempfile.TemporaryDirectory(prefix="ketnghia-slow-") as folder, gunicorn(env, folder) as (base, log):
        try:
            wait_until_up(base + "/bench/hello/", f"sessionid={cookie}", time.monotonic() + 60)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
                context = browser.new_context(base_url=base, locale="vi-VN", **PHONE)
                context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                page = context.new_page()
                network = context.new_cdp_session(page)
                network.send("Network.enable")
                for pk in commitments:
                    try:
                        timings.append(submit_once(page, network, pk))
                    except Exception as error:  # a failed run is reported, not hidden
                        errors.append(f"commitment {pk}: {type(error).__name__}: {str(error)[:300]}")
                browser.close()
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}; gunicorn: {log.read_text()[-1500:]}")
    result = {
        "profile": "Slow 3G (DevTools): 2,000 ms latency, 50 KB/s down and up",
        "device": "390 × 844 phone viewport, touch",
        "submissions": len(timings),
        "errors": errors,
    }
    if timings:
        result |= {
            "median_s": round(statistics.median(timings), 2),
            "max_s": round(max(timings), 2),
            "timings_s": [round(t, 2) for t in timings],
        }
    return result


def submit_once(page, network, pk: int) -> float:
    network.send("Network.emulateNetworkConditions", {**SLOW_3G, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
    page.goto(f"/commitments/{pk}/", wait_until="load")
    page.get_by_role("link", name="Báo cáo tiến độ").first.click()
    form = page.locator("dialog form.progress-form")
    form.wait_for(state="visible", timeout=30_000)
    value = form.locator("input[name=achieved_value_vnd]")
    value.fill("1250000")
    quantity = form.locator("input[name=achieved_quantity]")
    if quantity.count():
        quantity.fill("1")
    form.locator("textarea[name=narrative]").fill("Đã bàn giao thiết bị cho trạm y tế xã; ảnh minh chứng gửi sau.")
    network.send("Network.emulateNetworkConditions", SLOW_3G)
    started = time.perf_counter()
    form.locator("button[type=submit]").click()
    page.locator(CONFIRMATION).first.wait_for(state="visible", timeout=60_000)
    return time.perf_counter() - started
