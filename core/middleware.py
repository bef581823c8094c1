"""Request-wide plumbing that belongs to no domain app."""

import unicodedata

from django.conf import settings
from django.http import QueryDict
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers


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
        if request.method == "POST" and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
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
