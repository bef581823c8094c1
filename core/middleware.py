"""Request-wide plumbing that belongs to no domain app."""

from django.conf import settings
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

