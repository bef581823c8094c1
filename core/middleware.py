"""Request-wide plumbing that belongs to no domain app."""

import unicodedata

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, QueryDict
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.shortcuts import render
from django.urls import Resolver404
from django.utils import translation
from django.utils.cache import patch_vary_headers

from core.logging import DENIED, current_request, security_event


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Vietnamese unless the user chose another language in the user menu (set_language's cookie).

    Django's own middleware also follows the browser's Accept-Language header. Many officials'
    browsers ask for English by default, and the portal must stay Vietnamese for them until they
    choose otherwise. URLs carry no language prefix, so the cookie is the only other source.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        # The answer depends on the cookie, never on Accept-Language.
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


class SecurityEventMiddleware:
    """Give security events the request they happen in, and log every refused object lookup once.

    Views fetch through ``visible_to(user)``/``editable_by(user)`` and answer an object out of reach
    with 404, the same as a missing one, or refuse a role with 403 (``PermissionDenied``). Both leave
    the view as an exception, so this is the one place that writes the ``authorization_failure``
    event, with the route and the object id from the URL. A URL that matches no route (``Resolver404``)
    never reaches a view and is not a security event.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)

    def process_exception(self, request, exception):
        if isinstance(exception, Resolver404) or not isinstance(exception, Http404 | PermissionDenied):
            return None
        match = request.resolver_match
        ids = list(match.kwargs.values()) if match is not None else []
        security_event(
            "authorization_failure",
            outcome=DENIED,
            request=request,
            object_id=ids[-1] if ids else None,  # the innermost object the URL names
            view=match.view_name if match is not None else None,
            status=403 if isinstance(exception, PermissionDenied) else 404,
        )
        return None


class UnicodeNormalizationMiddleware:
    """Every text a person sends reaches the views in one Unicode form, NFC (RELIABILITY E6).

    Vietnamese can arrive precomposed ("ế", what most keyboards send) or as a letter followed by
    combining marks (what macOS and some phone keyboards send, or text pasted from a PDF). Both look
    the same and compare different: a search typed one way would miss names stored the other way, and
    the same name could be stored twice. Normalising at the door, query string and form fields alike,
    covers every form and filter at once; uploaded files are left as they are.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = nfc_query(request.GET)
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            request.POST = nfc_query(request.POST)
        return self.get_response(request)


def nfc_query(query: QueryDict) -> QueryDict:
    if all(unicodedata.is_normalized("NFC", key + "".join(values)) for key, values in query.lists()):
        return query  # the usual case: no copy
    normalized = QueryDict(mutable=True, encoding=query.encoding)
    for key, values in query.lists():
        normalized.setlist(unicodedata.normalize("NFC", key), [unicodedata.normalize("NFC", v) for v in values])
    normalized._mutable = False
    return normalized


class RequestSizeLimitMiddleware:
    """Refuse a body larger than REQUEST_MAX_BYTES from its Content-Length, before anything reads it
    (issue 21 item 9): a 200 MB post used to be received in full before the 15 MB file limit refused it.

    Before every middleware that reads the body (request.POST) or the session. The proxy in front
    (deploy/nginx.conf, client_max_body_size) refuses the same size before it even reaches gunicorn;
    this covers a deployment without it. A body sent without a Content-Length (chunked) is still bounded
    by Django's own limits once read.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.REQUEST_MAX_BYTES:
            security_event(
                "request_too_large", outcome=DENIED, request=request, size=declared, limit=settings.REQUEST_MAX_BYTES
            )
            response = render(
                request, "413.html", {"limit_mb": settings.REQUEST_MAX_BYTES // (1024 * 1024)}, status=413
            )
            response["Connection"] = "close"  # the unread body must not be taken for the next request
            # The CSP and frame middlewares come later in the chain: the page states its own.
            response["Content-Security-Policy"] = "default-src 'none'; style-src 'self'; frame-ancestors 'none'"
            response["X-Frame-Options"] = "DENY"
            return response
        return self.get_response(request)
