"""Signing in (the password, slowed down by failures but never locked; a one-time link by e-mail), the
second step (confirm a TOTP code, or enrol an authenticator app first), changing one's password, and
the set-password link that opens an account."""

import base64
import math
import time

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlencode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView
from django_otp import verify_token
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from core.logging import DENIED, FAILURE, SUCCESS, security_event

from . import services, throttle
from .forms import CodeForm, LoginForm, PasswordChangeForm, SetPasswordForm, SignInLinkRequestForm
from .mfa import (
    DEVICE_NAME,
    ENROLLED_SESSION_KEY,
    PENDING_KEY_SESSION_KEY,
    base32_secret,
    confirmed_devices,
    is_verified,
    mark_verified,
    matching_device,
    must_use_mfa,
    spend_code_of,
)

# Where a one-time sign-in link's token waits between opening the link and pressing the button; the
# address bar then shows USED_LINK_TOKEN instead (as Django's set-password link does).
SIGN_IN_LINK_SESSION_KEY = "sign_in_link_token"
USED_LINK_TOKEN = "use"


def next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def describe_wait(wait) -> str:
    """A wait in Vietnamese words, rounded up to the second: "2 phút 5 giây"."""
    minutes, seconds = divmod(max(math.ceil(wait.total_seconds()), 1), 60)
    if minutes and seconds:
        return _("%(minutes)s phút %(seconds)s giây") % {"minutes": minutes, "seconds": seconds}
    if minutes:
        return _("%(minutes)s phút") % {"minutes": minutes}
    return _("%(seconds)s giây") % {"seconds": seconds}


class LoginView(auth_views.LoginView):
    """The login page, with progressive delays instead of a lockout (RELIABILITY B1, accounts.throttle).

    An attempt inside its username's or address's delay is answered 429 with the wait, before any
    password is checked. While only the username is slowed down, a code from the person's
    authenticator app, typed with the password, is checked first and lets them in at once; someone
    without the phone gets no password checked. Every failure is counted by axes' failure log (Django's
    ``user_login_failed``), and a burst of them is reported to the administrators."""

    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True
    http_method_names = ["get", "post"]  # FormView would treat PUT as POST (RELIABILITY D2)
    device = None

    def post(self, request, *args, **kwargs):
        form = self.get_form()
        username = form.typed_username()
        with transaction.atomic():
            throttle.hold(username)
            wait = throttle.wait_before_attempt(username=username, address=throttle.client_address(request))
            if wait.address:
                return self.refuse(form, username, wait, reason="address")
            if wait.username:
                code = form.typed_code()
                self.device = spend_code_of(username, code) if code else None
                if self.device is None:
                    if code:  # a wrong code counts as a failed sign-in, as a wrong password does
                        user_login_failed.send(sender=type(self), credentials={"username": username}, request=request)
                        self.alert_on_burst(username)
                    return self.refuse(form, username, wait, reason="username")
            return self.form_valid(form) if form.is_valid() else self.form_invalid(form)

    def form_valid(self, form):
        if self.device is not None and self.device.user_id != form.get_user().pk:
            return self.form_invalid(form)  # another account's code: never a second factor for this one
        response = super().form_valid(form)
        if self.device is not None:
            mark_verified(self.request, self.device)
            security_event("login_while_throttled", outcome=SUCCESS, request=self.request, method="totp")
        return response

    def form_invalid(self, form):
        self.alert_on_burst(form.typed_username())
        return super().form_invalid(form)

    def alert_on_burst(self, username: str) -> None:
        services.alert_on_burst(username=username, address=throttle.client_address(self.request))

    def refuse(self, form, username: str, wait, *, reason: str):
        if reason == "address":
            message = _("Từ mạng của bạn vừa có nhiều lần đăng nhập sai. Hãy đợi %(wait)s rồi thử lại.")
        else:
            message = _(
                "Tên đăng nhập này vừa bị nhập sai mật khẩu nhiều lần. Để bảo vệ tài khoản, hãy đợi %(wait)s "
                "rồi thử lại, hoặc nhập mã xác thực cùng mật khẩu, hoặc nhận liên kết đăng nhập qua e-mail."
            )
        seconds = max(math.ceil(wait.longest.total_seconds()), 1)
        security_event(
            "login_throttled",
            outcome=DENIED,
            request=self.request,
            actor=username,
            reason=reason,
            wait_seconds=seconds,
        )
        # A fresh form: rendering the posted one would validate it, checking the password after all.
        unchecked = self.form_class(request=self.request, initial={"username": username})
        context = self.get_context_data(
            form=unchecked, wait_message=message % {"wait": describe_wait(wait.longest)}, ask_code=reason == "username"
        )
        response = self.render_to_response(context, status=429)
        response["Retry-After"] = str(seconds)
        return response


class SignInLinkRequestView(FormView):
    """Ask for a one-time sign-in link by e-mail. The answer is the same whether the username exists,
    has an e-mail address or not; requests are limited per username and per address."""

    template_name = "accounts/sign_in_link_request.html"
    form_class = SignInLinkRequestForm
    http_method_names = ["get", "post"]  # FormView would treat PUT as POST (RELIABILITY D2)

    def get_context_data(self, **kwargs):
        return super().get_context_data(link_minutes=int(settings.SIGN_IN_LINK_MAX_AGE.total_seconds() // 60), **kwargs)

    def form_valid(self, form):
        try:
            services.request_sign_in_link(
                username=form.cleaned_data["username"],
                address=throttle.client_address(self.request),
                site=self.request.build_absolute_uri("/"),
            )
        except services.TooManyLinkRequests as refused:
            security_event("sign_in_link_requested", outcome=DENIED, request=self.request, actor=None)
            form.add_error(
                None,
                _("Đã có nhiều yêu cầu gửi liên kết. Hãy đợi %(wait)s rồi thử lại.")
                % {"wait": describe_wait(refused.wait)},
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        messages.success(
            self.request,
            _(
                "Nếu tên đăng nhập này có địa chỉ e-mail trong hệ thống, liên kết đăng nhập đã được gửi tới đó. "
                "Liên kết dùng được một lần trong %(minutes)s phút."
            )
            % {"minutes": self.get_context_data()["link_minutes"]},
        )
        return redirect("accounts:login")


class SignInLinkView(View):
    """The page behind a one-time sign-in link. Opening the link only shows a button (a mail filter
    that opens links must not spend it); pressing it signs in. The token moves from the URL into the
    session first, so it stays out of the address bar, a Referer and the log."""

    template_name = "accounts/sign_in_link.html"
    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, token, **kwargs):
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        if token != USED_LINK_TOKEN:
            request.session[SIGN_IN_LINK_SESSION_KEY] = token
            return redirect("accounts:sign_in_link", token=USED_LINK_TOKEN)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, self.template_name, {"refused": SIGN_IN_LINK_SESSION_KEY not in request.session})

    def post(self, request):
        link = services.use_sign_in_link(token=request.session.pop(SIGN_IN_LINK_SESSION_KEY, ""))
        if link is None:
            security_event("sign_in_link_used", outcome=DENIED, request=request, actor=None)
            return render(request, self.template_name, {"refused": True})
        auth_login(request, link.user, backend="accounts.backends.CachedModelBackend")
        security_event("sign_in_link_used", outcome=SUCCESS, request=request, actor=link.user, object_id=link.pk)
        return redirect(settings.LOGIN_REDIRECT_URL)


def with_next(name: str, request) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    url = resolve_url(name)
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        url += "?" + urlencode({"next": target})
    return url


class VerifyView(View):
    """Ask for the current code of an enrolled app; a code is accepted once (django-otp's last_t)."""

    template_name = "accounts/mfa_verify.html"

    def dispatch(self, request, *args, **kwargs):
        if is_verified(request):
            return redirect(next_url(request))
        self.devices = list(confirmed_devices(request.user))
        if not self.devices:
            return redirect(with_next("accounts:mfa_enrol", request))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return self.render(CodeForm())

    def post(self, request):
        form = CodeForm(request.POST)
        if form.is_valid():
            waits = [device.verify_is_allowed() for device in self.devices]
            if not any(allowed for allowed, _data in waits):
                now = timezone.now()
                seconds = min(int((data["locked_until"] - now).total_seconds()) + 1 for _allowed, data in waits)
                form.add_error(
                    "code",
                    _("Bạn đã nhập sai nhiều lần. Hãy đợi %(seconds)s giây rồi nhập mã mới.")
                    % {"seconds": max(seconds, 1)},
                )
                security_event("mfa_verify", outcome=DENIED, request=request, reason="throttled")
                return self.render(form)
            code = form.cleaned_data["code"]
            candidate = matching_device(self.devices, code)
            # verify_token checks again under a row lock and records the step, so a code racing its
            # own replay is accepted once.
            accepted = candidate and verify_token(request.user, candidate.persistent_id, code)
            if accepted:
                mark_verified(request, accepted)
                security_event("mfa_verify", outcome=SUCCESS, request=request)
                return redirect(next_url(request))
            if candidate is None:
                for device in self.devices:
                    device.throttle_increment()
            security_event("mfa_verify", outcome=FAILURE, request=request)
            form.add_error(
                "code", _("Mã không đúng, đã hết hạn hoặc đã được dùng. Hãy nhập mã đang hiện trong ứng dụng.")
            )
        return self.render(form)

    def render(self, form):
        return render(
            self.request,
            self.template_name,
            {"form": form, "next": self.request.GET.get("next") or self.request.POST.get("next", "")},
        )


class EnrolView(View):
    """Show a new secret (QR code and text) and create the device only once a code from it is confirmed."""

    template_name = "accounts/mfa_enrol.html"
    http_method_names = ["get", "post"]  # PUT, PATCH, DELETE: 405 (RELIABILITY D2)

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        if confirmed_devices(request.user).exists():
            if not is_verified(request):
                # Adding a second app needs the first one: a stolen password alone must not enrol a device.
                return redirect(with_next("accounts:mfa_verify", request))
            return render(request, "accounts/mfa_enrolled.html", {"required": must_use_mfa(request.user)})
        return super().dispatch(request, *args, **kwargs)

    def pending_key(self) -> str:
        key = self.request.session.get(PENDING_KEY_SESSION_KEY)
        if not key:
            key = random_hex(20)
            self.request.session[PENDING_KEY_SESSION_KEY] = key
        return key

    def get(self, request):
        return self.render(CodeForm())

    def post(self, request):
        form = CodeForm(request.POST)
        key = request.session.get(PENDING_KEY_SESSION_KEY)
        if form.is_valid() and key:
            device = TOTPDevice(user=request.user, name=DEVICE_NAME, key=key, confirmed=True)
            totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
            totp.time = time.time()
            if totp.verify(int(form.cleaned_data["code"]), device.tolerance):
                device.last_t = totp.t()  # the code that enrolled cannot be replayed to sign in
                with transaction.atomic():
                    device.save()
                request.session.pop(PENDING_KEY_SESSION_KEY, None)
                request.session[ENROLLED_SESSION_KEY] = not must_use_mfa(request.user)
                mark_verified(request, device)
                security_event("mfa_enrol", outcome=SUCCESS, request=request)
                messages.success(
                    request, _("Đã bật xác thực hai bước. Từ nay mỗi lần đăng nhập sẽ cần mã trong ứng dụng.")
                )
                return redirect(next_url(request))
            form.add_error(
                "code", _("Mã không khớp. Hãy kiểm tra giờ trên điện thoại và nhập mã đang hiện trong ứng dụng.")
            )
        elif form.is_valid():
            form.add_error("code", _("Phiên thiết lập đã hết hạn. Hãy quét lại mã QR mới bên dưới."))
        return self.render(form)

    def render(self, form):
        key = self.pending_key()
        uri = TOTPDevice(user=self.request.user, key=key).config_url
        svg = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2).to_string()
        context = {
            "form": form,
            "next": self.request.GET.get("next") or self.request.POST.get("next", ""),
            "qr_data_uri": "data:image/svg+xml;base64," + base64.b64encode(svg).decode(),
            "secret": base32_secret(key),
            "uri": uri,
            "required": must_use_mfa(self.request.user),
        }
        return render(self.request, self.template_name, context)


class PasswordChangeView(auth_views.PasswordChangeView):
    """A signed-in person changes their password (RELIABILITY B3): this session stays signed in, every
    other session of theirs is sent to the login page at its next request."""

    template_name = "accounts/password_change.html"
    form_class = PasswordChangeForm
    http_method_names = ["get", "post"]  # FormView would treat PUT as POST (RELIABILITY D2)
    success_url = reverse_lazy("reports:dashboard")
    title = gettext_lazy("Đổi mật khẩu")

    def form_valid(self, form):
        services.change_password(user=form.user, new_password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, form.user)
        security_event("password_change", outcome=SUCCESS, request=self.request, object_id=form.user.pk)
        messages.success(self.request, _("Đã đổi mật khẩu. Các phiên đăng nhập khác của bạn đã kết thúc."))
        return redirect(self.get_success_url())

    def form_invalid(self, form):
        if form.has_error("old_password", "password_incorrect"):
            security_event("password_change", outcome=FAILURE, request=self.request, reason="wrong_current_password")
        return super().form_invalid(form)


def set_password_path(user) -> str:
    """The single-use link for ``user`` (RELIABILITY B6): valid PASSWORD_RESET_TIMEOUT seconds, and
    spent once a password is set (the token is derived from the password hash and the last login)."""
    return reverse(
        "accounts:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """The public page behind a set-password link: choose a password; a spent, expired or forged link
    is refused in Vietnamese. Django first moves the token from the URL into the session and redirects
    to ``…/set-password/``, so the token does not stay in the address bar or a Referer."""

    template_name = "accounts/set_password.html"
    form_class = SetPasswordForm
    http_method_names = ["get", "post"]  # FormView would treat PUT as POST (RELIABILITY D2)
    success_url = reverse_lazy("accounts:login")
    title = gettext_lazy("Đặt mật khẩu")

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names:
            # Before Django's link check, which would answer any method with the "invalid link" page.
            return self.http_method_not_allowed(request, *args, **kwargs)
        response = super().dispatch(request, *args, **kwargs)
        if not self.validlink and not isinstance(response, HttpResponseRedirect):
            security_event(
                "set_password_link_refused",
                outcome=DENIED,
                request=request,
                actor=None,
                object_id=self.user.pk if self.user is not None else None,
                route=self.link_route(),
            )
        return response

    def form_valid(self, form):
        services.set_password_by_link(user=self.user, new_password=form.cleaned_data["new_password1"])
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        security_event(
            "set_password_link_used",
            outcome=SUCCESS,
            request=self.request,
            actor=self.user,
            object_id=self.user.pk,
            route=self.link_route(),
        )
        messages.success(self.request, _("Đã đặt mật khẩu. Hãy đăng nhập bằng mật khẩu mới."))
        return redirect(self.success_url)

    def link_route(self) -> str:
        # The token is a credential until spent: the log names the route, never the token.
        return reverse("accounts:set_password", kwargs={"uidb64": self.kwargs["uidb64"], "token": "…"})


class LogoutView(auth_views.LogoutView):
    """Signing out also empties this browser's storage for the site: on a shared phone the next person
    must not open the officer's pages kept for offline use, nor their unsent reports (issue 20)."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # "storage" covers the service worker, its caches and the outbox in IndexedDB; "cache" the HTTP cache.
        response["Clear-Site-Data"] = '"cache", "storage"'
        return response
