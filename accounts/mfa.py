"""Two-step sign-in with TOTP (django-otp): who must use it, and what marks a session as verified.

City staff and administrators (and anyone with access to the admin site) must confirm a code from an
authenticator app after their password; everyone else may enrol and is then asked too. A session is
verified when it holds the persistent id of the device that accepted a code (django-otp's own
session key), which is decided without a query: pages stay as light as before.
"""

import base64
import time
from binascii import unhexlify

import django_otp
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django_otp import DEVICE_ID_SESSION_KEY, verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Role

MFA_ROLES = frozenset({Role.CITY_STAFF, Role.ADMINISTRATOR})
# Set at password login when a user outside MFA_ROLES has enrolled: they are asked for a code too.
ENROLLED_SESSION_KEY = "mfa_enrolled"
# The secret shown on the enrolment page, kept in the session until a code confirms it (no row before).
PENDING_KEY_SESSION_KEY = "mfa_pending_key"
DEVICE_NAME = "Ứng dụng xác thực"

# Demo data only (seed_demo): the demo city-staff and administrator accounts share this published
# secret so that `make run` can be tried with any authenticator app. Never used outside demo data.
DEMO_TOTP_SECRET = "KETNGHIADEMOKETNGHIADEMOKETNGHIA"


def must_use_mfa(user) -> bool:
    return user.role in MFA_ROLES or user.is_staff or user.is_superuser


def confirmed_devices(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk")


def is_verified(request) -> bool:
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


def needs_verification(request) -> bool:
    """Signed in with a password, but a code is still owed before any page is served."""
    user = request.user
    if not user.is_authenticated or is_verified(request):
        return False
    return must_use_mfa(user) or bool(request.session.get(ENROLLED_SESSION_KEY))


def matching_device(devices, code: str):
    """The device whose current (unused) code this is, found without touching the others' throttles."""
    for device in devices:
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        if totp.verify(int(code), device.tolerance, device.last_t + 1):
            return device
    return None


def spend_code_of(username: str, code: str):
    """The device of the active user ``username`` that shows ``code`` now, the code spent (a replay is
    refused); None otherwise. Used while the username is slowed down by failures: a code is checked
    before the password, and a wrong one never touches the device's throttle, so someone without the
    phone can neither have a password checked nor make the real person wait for their own codes."""
    devices = list(
        TOTPDevice.objects.filter(user__username=username, user__is_active=True, confirmed=True)
        .select_related("user")
        .order_by("pk")
    )
    candidate = matching_device(devices, code)
    if candidate is None:
        return None
    # verify_token checks again under a row lock and records the step, so a code racing its own
    # replay is accepted once.
    return verify_token(candidate.user, candidate.persistent_id, code)


def mark_verified(request, device) -> None:
    # A new session id once the second factor is in, as after the password (session fixation).
    request.session.cycle_key()
    django_otp.login(request, device)


def hex_key_from_base32(secret: str) -> str:
    return base64.b32decode(secret).hex()


def base32_secret(hex_key: str) -> str:
    """The secret as people type it into an app: base32 in groups of four."""
    text = base64.b32encode(unhexlify(hex_key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def give_demo_device(user) -> bool:
    """Demo data: a confirmed device with DEMO_TOTP_SECRET, unless the user already has one."""
    if TOTPDevice.objects.filter(user=user).exists():
        return False
    TOTPDevice.objects.create(user=user, name=DEVICE_NAME, key=hex_key_from_base32(DEMO_TOTP_SECRET), confirmed=True)
    return True


@receiver(user_logged_in)
def owe_a_code_after_password(sender, request, user, **kwargs):
    """A password login never inherits a verification, and records whether a code is owed."""
    if request is None or not hasattr(request, "session"):
        return
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session.pop(PENDING_KEY_SESSION_KEY, None)
    request.session[ENROLLED_SESSION_KEY] = not must_use_mfa(user) and confirmed_devices(user).exists()
