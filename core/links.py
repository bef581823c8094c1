"""Links to one object's page (``get_absolute_url``), reversed once and then filled in.

A list page links every row to its detail page, and ``reverse()`` walks the URL resolver each time
(~25-50 µs; ~40 reversals a list page). The URL of a view taking one key is the same text around the
key, so ``ObjectURL`` reverses the view once per URLconf, script prefix and language, and afterwards
only puts the key in. Keys that ``reverse()`` would quote or could reject take the ordinary path.
"""

import re

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

# Text that reverse() leaves as it is and that any <int:…>, <str:…> or <slug:…> converter accepts.
PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")
# Two samples: the URL of the second, filled into the template made from the first, must match reverse().
SAMPLES = {int: (731_904_652_817, 42), str: ("k7zq0x4mwv9r", "B-12_c")}


class ObjectURL:
    """``reverse(viewname, args=[key])`` for a view whose URL has one key (an ``int`` or a plain ``str``)."""

    def __init__(self, viewname: str):
        self.viewname = viewname
        # (key type, URLconf, script prefix, language) -> (text before the key, text after), or None
        # when the URL cannot be made that way (then every call reverses).
        self._templates = {}

    def __call__(self, key) -> str:
        kind = type(key)
        if (kind is int and key >= 0) or (kind is str and PLAIN_KEY.fullmatch(key)):
            cache_key = (kind, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), get_language())
            try:
                template = self._templates[cache_key]
            except KeyError:
                template = self._templates[cache_key] = self._template(kind)
            if template is not None:
                return f"{template[0]}{key}{template[1]}"
        return reverse(self.viewname, args=[key])

    def _template(self, kind) -> tuple[str, str] | None:
        sample, check = SAMPLES[kind]
        try:
            url = reverse(self.viewname, args=[sample])
            checked = reverse(self.viewname, args=[check])
        except NoReverseMatch:
            return None  # e.g. a text key for an <int:…> URL: reverse() says why, call by call
        before, found, after = url.partition(str(sample))
        if not found or str(sample) in after or checked != f"{before}{check}{after}":
            return None  # the key is not simply put in (several patterns, a converter that rewrites it)
        return before, after


# (view name, URLconf, script prefix, language) -> URL. Bounded: the views without arguments that
# templates name (a few dozen) times the URLconfs, prefixes and languages a process serves.
_PLAIN_URLS = {}


def plain_url(viewname: str) -> str:
    """``reverse(viewname)`` for a view without arguments, reversed once per URLconf, script prefix and language.

    The page shell links a dozen such views on every page. The caller guarantees that ``viewname``
    names one URL whatever the current app: each namespace here has a single instance.
    """
    cache_key = (viewname, get_urlconf() or settings.ROOT_URLCONF, get_script_prefix(), get_language())
    try:
        return _PLAIN_URLS[cache_key]
    except KeyError:
        url = _PLAIN_URLS[cache_key] = reverse(viewname)
        return url
