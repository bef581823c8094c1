"""P8 and P9: an officer submits a progress report from a phone on a "Slow 3G" link, or with no link.

gunicorn serves the portal (production settings, static files through WhiteNoise as in production)
and Debian's Chromium, driven by Playwright, emulates a phone on DevTools' "Slow 3G" profile: 2 s of
latency per request and 50 KB/s each way (Chrome's preset: 400 ms × 5 and 500 kbit/s × 0.8). The
officer opens one of their commitments, opens the progress dialog, types a figure and a sentence and
presses "Gửi báo cáo"; the time measured runs from that press to the moment the confirmation is
visible on screen. The page and its assets are loaded before the clock starts, as they would be for
someone who has just filled in the form. P8 is measured without a photo and with one phone photo
(shrunk in the browser as the form does), recording the "Đang gửi… N %" progress seen while sending.

P9 (``measure_offline``): the officer opens "my unit" online once (the service worker keeps it and the
progress forms), the connection drops, they write a report with two photos and press "Gửi báo cáo":
timed to "Đã lưu trên máy" on screen; then the connection returns (Slow 3G) and the time runs until
the report is on the server with both photos, polled in the database.
"""

from __future__ import annotations

import io
import os
import random
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
SAVED_ON_PHONE = "[data-progress-saved]"
# Collects every "Đang gửi… N %" the form shows while it sends (static/js/progress.js).
WATCH_PROGRESS = """() => {
  window.__progressSeen = [];
  new MutationObserver(() => {
    const text = document.querySelector("dialog [data-sending-text], form [data-sending-text]");
    if (text && text.textContent) window.__progressSeen.push(text.textContent);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


def phone_photo(folder: str, name: str, seed: int) -> str:
    """A 4000 × 3000 JPEG (about 1.7 MB) with the detail of a real scene: about 500 KB redrawn at 2,048 px
    (quality 0.85), about 130 KB at 1,024 px (quality 0.7), as the form shrinks it on a slow link."""
    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    small = Image.frombytes("RGB", (640, 480), rng.randbytes(640 * 480 * 3)).filter(ImageFilter.GaussianBlur(1))
    buffer = io.BytesIO()
    small.resize((4000, 3000), Image.Resampling.BICUBIC).save(buffer, format="JPEG", quality=92)
    path = Path(folder) / name
    path.write_bytes(buffer.getvalue())
    return str(path)


def editable_commitments(officer, count: int) -> list:
    """Commitments the officer may report on, with no report already waiting for review."""
    from commitments.models import Commitment, ProgressUpdate

    waiting = ProgressUpdate.objects.filter(state=ProgressUpdate.State.SUBMITTED).values("commitment")
    return list(
        Commitment.objects.editable_by(officer)
        .exclude(pk__in=waiting)
        .order_by("pk")
        .values_list("pk", flat=True)[:count]
    )


def measure_slow_link(officer, *, submissions: int = 5, with_photo: int = 3) -> dict:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"error": "playwright is not installed (pip install -r requirements-dev.lock)"}
    if not os.path.exists(CHROMIUM):
        return {"error": f"Chromium is not installed ({CHROMIUM}; bin/install-system-packages --with-browser)"}
    commitments = editable_commitments(officer, submissions + with_photo)
    if not commitments:
        return {"error": f"{officer} has no commitment to report on"}
    client = signed_in_client(officer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    # Plain http on loopback: the browser would refuse a Secure "__Host-" cookie there, so this server
    # names its session cookie "sessionid"; the session itself is the one signed in above.
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings_browser", "DJANGO_SECURE_COOKIES": "false"}
    timings, errors, photo_runs = [], [], []
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
                for index, pk in enumerate(commitments):
                    photo = phone_photo(folder, f"IMG_{index}.jpg", index) if index >= submissions else None
                    try:
                        run = submit_once(page, network, pk, photo)
                        (photo_runs if photo else timings).append(run)
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
        seconds = [run["seconds"] for run in timings]
        result |= {
            "median_s": round(statistics.median(seconds), 2),
            "max_s": round(max(seconds), 2),
            "timings_s": [round(t, 2) for t in seconds],
            "progress_shown": all(run["progress"] for run in timings),
        }
    if photo_runs:
        seconds = [run["seconds"] for run in photo_runs]
        result["photo"] = {
            "submissions": len(photo_runs),
            "median_s": round(statistics.median(seconds), 2),
            "max_s": round(max(seconds), 2),
            "timings_s": [round(t, 2) for t in seconds],
            "photo_kb": [round(run["photo_bytes"] / 1024) for run in photo_runs],
            "progress_shown": all(run["progress"] for run in photo_runs),
            "progress_seen": photo_runs[0]["progress"][:12],
        }
    return result


def submit_once(page, network, pk: int, photo: str | None = None) -> dict:
    network.send(
        "Network.emulateNetworkConditions", {**SLOW_3G, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    )
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
    photo_bytes = 0
    if photo:
        # Chosen on the slow link, as in the mountains: the form shrinks photos harder there (portal.js).
        network.send("Network.emulateNetworkConditions", SLOW_3G)
        form.locator("input[name=evidence]").set_input_files(photo)
        page.wait_for_function("() => !document.querySelector('dialog input[name=evidence]').hasAttribute('aria-busy')")
        photo_bytes = page.evaluate("() => document.querySelector('dialog input[name=evidence]').files[0].size")
    page.evaluate(WATCH_PROGRESS)
    network.send("Network.emulateNetworkConditions", SLOW_3G)
    started = time.perf_counter()
    form.locator("button[type=submit]").click()
    page.locator(CONFIRMATION).first.wait_for(state="visible", timeout=60_000)
    seconds = time.perf_counter() - started
    progress = [text for text in page.evaluate("() => window.__progressSeen") if "%" in text]
    return {"seconds": seconds, "progress": list(dict.fromkeys(progress)), "photo_bytes": photo_bytes}


def kept_paths(page) -> list[str]:
    """The paths of the pages the service worker keeps for the signed-in user."""
    return page.evaluate(
        """async () => {
             const paths = [];
             for (const name of (await caches.keys()).filter(name => name.startsWith("pages-"))) {
               for (const request of await (await caches.open(name)).keys()) paths.push(new URL(request.url).pathname);
             }
             return paths;
           }"""
    )


def measure_offline(officer, *, reports: int = 2, photos: int = 2) -> dict:
    """P9: saved on the phone with no connection, then on the server once the connection returns."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"error": "playwright is not installed (pip install -r requirements.lock)"}
    if not os.path.exists(CHROMIUM):
        return {"error": f"Chromium is not installed ({CHROMIUM}; bin/install-system-packages --with-browser)"}
    from commitments.models import ProgressUpdate

    # Playwright's sync API runs an event loop in this thread; the database is polled between browser
    # steps with ordinary blocking calls, as tests/browser does.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from commitments.models import Commitment

    # Any commitment of the unit will do, even one with a report already waiting (earlier bench runs).
    open_ones = set(Commitment.objects.editable_by(officer).values_list("pk", flat=True))
    client = signed_in_client(officer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings_browser", "DJANGO_SECURE_COOKIES": "false"}
    saved, on_server, errors, sizes = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="ketnghia-offline-") as folder, gunicorn(env, folder) as (base, log):
        try:
            wait_until_up(base + "/bench/hello/", f"sessionid={cookie}", time.monotonic() + 60)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
                context = browser.new_context(base_url=base, locale="vi-VN", **PHONE)
                # As on a browser without Background Sync the page sends, through the throttled link: the
                # worker's requests would escape DevTools' throttling and flatter the figure.
                context.add_init_script("delete ServiceWorkerRegistration.prototype.sync")
                context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
                page = context.new_page()
                page.goto("/my-unit/", wait_until="load")
                # The reports go to commitments "my unit" links to: the worker keeps those forms.
                linked = page.eval_on_selector_all(
                    'a[href*="/progress/new/"]', "links => links.map(link => link.pathname.split('/')[2])"
                )
                kept = [f"/commitments/{pk}/progress/new/" for pk in dict.fromkeys(map(int, linked)) if pk in open_ones]
                kept = kept[:reports]
                if len(kept) < reports:
                    raise RuntimeError(f"'my unit' links to {len(kept)} progress form(s), {reports} needed")
                deadline = time.monotonic() + 60
                while not set(kept) <= set(kept_paths(page)):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"the service worker did not keep {kept} within 60 s")
                    time.sleep(0.2)
                context.set_offline(True)
                narratives = []
                for index, path in enumerate(kept):
                    page.goto(path)
                    form = page.locator("form[data-progress-form]")
                    if form.locator("input[name=achieved_quantity]").count():
                        form.locator("input[name=achieved_quantity]").fill("1")
                    else:
                        form.locator("input[name=achieved_value_vnd]").fill("1250000")
                    narratives.append(f"P9 báo cáo {index + 1} viết khi mất sóng ({time.time():.0f})")
                    form.locator("textarea[name=narrative]").fill(narratives[-1])
                    files = [phone_photo(folder, f"P9_{index}_{n}.jpg", 100 + 10 * index + n) for n in range(photos)]
                    form.locator("input[name=evidence]").set_input_files(files)
                    page.wait_for_function(
                        "() => !document.querySelector('input[name=evidence]').hasAttribute('aria-busy')"
                    )
                    sizes += page.evaluate(
                        "() => Array.from(document.querySelector('input[name=evidence]').files, f => f.size)"
                    )
                    started = time.perf_counter()
                    form.locator("button[type=submit]").click()
                    page.locator(SAVED_ON_PHONE).wait_for(state="visible", timeout=10_000)
                    saved.append(time.perf_counter() - started)
                # The signal returns while the portal is in the background (the phone on another app):
                # the officer, or the phone, opens "my unit" again and the outbox goes out from there.
                # The DevTools session that throttles comes only now: with it, the browser bypasses the
                # service worker that the offline pages above need, and Playwright's set_offline(False)
                # would otherwise let the first sends go unthrottled.
                page.goto("about:blank")
                context.set_offline(False)
                network = context.new_cdp_session(page)
                network.send("Network.enable")
                network.send("Network.emulateNetworkConditions", SLOW_3G)
                started = time.perf_counter()
                page.goto("/my-unit/", wait_until="commit")
                deadline = started + 120
                pending = set(narratives)
                while pending and time.perf_counter() < deadline:
                    for narrative in list(pending):
                        update = ProgressUpdate.objects.filter(narrative=narrative).first()
                        if update is not None and update.evidence.count() == photos:
                            on_server.append(time.perf_counter() - started)
                            pending.discard(narrative)
                    time.sleep(0.1)
                if pending:
                    errors.append(f"{len(pending)} report(s) not on the server after 120 s")
                duplicates = (
                    ProgressUpdate.objects.filter(narrative__in=narratives).count() - len(narratives) + len(pending)
                )
                if duplicates:
                    errors.append(f"{duplicates} report(s) filed twice")
                browser.close()
        except Exception as error:
            errors.append(f"{type(error).__name__}: {str(error)[:300]}; gunicorn: {log.read_text()[-800:]}")
    result = {
        "profile": "offline, then Slow 3G (DevTools): 2,000 ms latency, 50 KB/s down and up",
        "reports": len(saved),
        "photos_per_report": photos,
        "photo_kb": [round(size / 1024) for size in sizes],
        "errors": errors,
    }
    if saved:
        result |= {"saved_max_s": round(max(saved), 2), "saved_s": [round(t, 2) for t in saved]}
    if on_server:
        result |= {"on_server_max_s": round(max(on_server), 2), "on_server_s": [round(t, 2) for t in on_server]}
    return result
