"""Session rules on top of Django's: login required everywhere, idle and absolute timeouts, htmx-aware."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware as DjangoLoginRequiredMiddleware
from django.http import HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers

SESSION_STARTED_KEY = "session_started_at"


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


class SessionLifetimeMiddleware:
    """End sessions after ``SESSION_ABSOLUTE_SECONDS`` in all (idle expiry is Django's cookie age,
    renewed on every request) and keep authenticated pages out of shared caches."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            started = request.session.setdefault(SESSION_STARTED_KEY, int(time.time()))
            if time.time() - started > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        response = self.get_response(request)
        signed_in = getattr(request, "user", None) is not None and request.user.is_authenticated
        if signed_in and not response.has_header("Cache-Control"):
            # no-store for anything behind login, unless the view chose a private policy itself
            # (evidence thumbnails: "private, max-age" spares a weak connection the re-download).
            add_never_cache_headers(response)
        return response
