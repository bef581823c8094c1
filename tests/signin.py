"""Signing a test client in the way a person signs in: the password, then the second step if they have one.

Django's ``Client.force_login`` is the password step only. ``sign_in`` also marks the session verified with
the person's authenticator app, as ``django_otp.login`` does after a right code, so pages that require the
second step (accounts.mfa) open. Tests of the second step itself call ``client.force_login`` and then go
through the forms (tests/accounts/test_mfa.py).
"""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.mfa import confirmed_devices, must_use_mfa


def sign_in(client, user, backend=None) -> None:
    client.force_login(user, backend)
    device = confirmed_devices(user).first()
    if device is None and must_use_mfa(user):
        # Staff built without tests.factories (User.objects.create…) get their app here.
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
