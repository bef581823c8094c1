"""Driving the portal in Chromium as its users do: screen sizes, signing in with the second step, axe-core."""

import time
from pathlib import Path

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

AXE_SCRIPT = Path(__file__).with_name("vendor") / "axe.min.js"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state("networkidle")
    if "/accounts/two-step/" in page.url and "/enrol/" not in page.url:
        enter_totp_code(page, username)


def current_totp_code(username: str) -> str:
    """The code the user's authenticator app shows now; waits for the next 30 s step if this one was used."""
    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).order_by("pk").first()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if totp.t() <= device.last_t:
        time.sleep(device.step - (time.time() - device.t0) % device.step + 0.2)
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():06d}"


def enter_totp_code(page, username: str) -> None:
    page.get_by_label("Mã xác thực (6 chữ số)").fill(current_totp_code(username))
    page.get_by_role("button", name="Xác nhận").click()
    page.wait_for_load_state("networkidle")


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core in the page; return the violations of the given impacts."""
    # Evaluated through the DevTools protocol, which the page's strict CSP does not govern, so the
    # policy stays exactly as users get it.
    page.evaluate(AXE_SCRIPT.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "targets": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in impacts
    ]
