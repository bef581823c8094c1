"""Session rules on top of Django's: login required everywhere, idle and absolute timeouts, htmx-aware."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers

SESSION_STARTED_KEY = "session_started_at"
SESSION_SEEN_KEY = "session_seen_at"
# Renewing the idle clock costs a session write (3 queries); once a minute is precise enough.
SEEN_GRANULARITY_SECONDS = 60


class LoginRequiredMiddleware(DjangoLoginRequiredMiddleware):
    """Django's middleware, except that an htmx request gets ``HX-Redirect`` to the login page.

    A plain 302 would be followed by htmx and the login form swapped into the middle of a page.
    """

    def handle_no_permission(self, request, view_func):
        if getattr(request, "htmx", False):
            response = HttpResponse(status=401)
            response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
            return response
        return super().handle_no_permission(request, view_func)


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs):
    now = int(time.time())
    request.session[SESSION_STARTED_KEY] = now
    request.session[SESSION_SEEN_KEY] = now


class SessionLifetimeMiddleware:
    """End sessions after ``SESSION_IDLE_SECONDS`` without a request and ``SESSION_ABSOLUTE_SECONDS``
    in all, and keep authenticated pages out of every cache.

    The session is written (and its cookie renewed) at most once a minute instead of on every
    request, which keeps pages three queries lighter.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.get(SESSION_STARTED_KEY, now)
            seen = request.session.get(SESSION_SEEN_KEY, now)
            if now - started > settings.SESSION_ABSOLUTE_SECONDS or now - seen > settings.SESSION_IDLE_SECONDS:
                request.logout_reason = "session_expired"  # read by the logout security event
                logout(request)
            elif now - seen >= SEEN_GRANULARITY_SECONDS or SESSION_SEEN_KEY not in request.session:
                request.session[SESSION_STARTED_KEY] = started
                request.session[SESSION_SEEN_KEY] = now
        response = self.get_response(request)
        signed_in = getattr(request, "user", None) is not None and request.user.is_authenticated
        if signed_in and not response.has_header("Cache-Control"):
            # no-store for anything behind login, unless the view set its own (uploaded files do,
            # also no-store: core/files.py).
            add_never_cache_headers(response)
        return response


class MFARequiredMiddleware:
    """Serve nothing to a session that still owes a TOTP code: send it to the code page.

    Only the code and enrolment pages, logging out and the language switch answer before the code;
    htmx requests get ``HX-Redirect`` (as for the login page) so the form is never swapped into a page.
    """

    OPEN_BEFORE_CODE = frozenset({"accounts:mfa_verify", "accounts:mfa_enrol", "accounts:logout", "set_language"})

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from .mfa import needs_verification

        if not needs_verification(request):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in self.OPEN_BEFORE_CODE:
            return None
        target = resolve_url("accounts:mfa_verify")
        if getattr(request, "htmx", False):
            response = HttpResponse(status=401)
            response["HX-Redirect"] = target
            return response
        return redirect_to_login(request.get_full_path(), target)
