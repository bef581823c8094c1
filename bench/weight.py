"""P7: what a first visit downloads (HTML plus the static files it references, gzip, fonts excluded)."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders

FONT_SUFFIXES = (".woff", ".woff2", ".ttf", ".otf", ".eot")
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


class References(HTMLParser):
    """Every URL a browser would fetch on its own: stylesheets, scripts, images, icons."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if (
            tag == "link"
            and attrs.get("href")
            and {"stylesheet", "icon", "preload"} & set(attrs.get("rel", "").split())
        ):
            self.urls.append(attrs["href"])
        elif tag in {"script", "img", "source", "iframe"} and attrs.get("src"):
            self.urls.append(attrs["src"])


def gzip_size(content: bytes) -> int:
    return len(gzip.compress(content, compresslevel=6))


def static_file(url: str) -> bytes | None:
    path = urlsplit(url).path
    if not path.startswith(settings.STATIC_URL):
        return None
    found = finders.find(path.removeprefix(settings.STATIC_URL))
    if not found:
        return None
    with open(found, "rb") as handle:
        return handle.read()


def first_load(html: bytes) -> dict:
    """Weigh one page's HTML and every same-site file it pulls in (CSS url()s too), fonts excluded."""
    parser = References()
    parser.feed(html.decode("utf-8", errors="replace"))
    queue, seen, assets, external, fonts = list(parser.urls), set(), {}, [], []
    while queue:
        url = queue.pop(0)
        if url in seen or url.startswith("data:"):
            continue
        seen.add(url)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            external.append(url)
            continue
        if parts.path.lower().endswith(FONT_SUFFIXES):
            fonts.append(url)
            continue
        content = static_file(url)
        if content is None:
            continue
        assets[parts.path] = gzip_size(content)
        if parts.path.endswith(".css"):
            base = parts.path.rsplit("/", 1)[0] + "/"
            for found in CSS_URL.findall(content.decode("utf-8", errors="replace")):
                if not found.startswith(("data:", "#")):
                    queue.append(found if found.startswith("/") or urlsplit(found).scheme else base + found)
    html_gzip = gzip_size(html)
    return {
        "html_gzip_bytes": html_gzip,
        "assets_gzip_bytes": assets,
        "total_gzip_bytes": html_gzip + sum(assets.values()),
        "external_requests": external,
        "fonts_excluded": fonts,
    }
