"""HTML in, PDF bytes out, with WeasyPrint and a URL fetcher that refuses everything but our own fonts.

Pure: no database, no settings, no Celery. Only worker processes import this module (the web process
never loads WeasyPrint; in eager mode, without Redis, it runs in-process as the dev fallback).

The fetcher is deny-by-default (RELIABILITY.md I5): no network, no ``data:``, no ``file://`` outside
the assets directory, and no redirects. Whatever a report's data contains, rendering makes no
request and embeds no file it was not meant to.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

ASSETS_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"


class AssetsOnlyFetcher(URLFetcher):
    """Serves ``file://`` URLs inside one directory and refuses every other URL."""

    def __init__(self, assets_dir: Path = ASSETS_DIR):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, timeout=1)
        self.assets_dir = Path(assets_dir).resolve()
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        path = self._local_path(url)
        if path is None:
            self.refused.append(url)
            logger.warning("PDF renderer refused to fetch %s", url[:200])
            raise ValueError(f"refused: {url[:200]}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix.lower() == ".ttf":
            content_type = "font/ttf"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type})

    def _local_path(self, url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
            return None
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.assets_dir) or not path.is_file():
            return None
        return path


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    page_count: int


def render_pdf(html: str, *, assets_dir: Path = ASSETS_DIR) -> RenderedPdf:
    """Render an HTML document to PDF; relative URLs resolve inside ``assets_dir`` and nowhere else."""
    fetcher = AssetsOnlyFetcher(assets_dir)
    document = HTML(string=html, base_url=Path(assets_dir).resolve().as_uri() + "/", url_fetcher=fetcher).render()
    return RenderedPdf(content=document.write_pdf(), page_count=len(document.pages))


def html_to_pdf(html: str, *, assets_dir: Path = ASSETS_DIR) -> bytes:
    """The PDF bytes of an HTML document (see render_pdf)."""
    return render_pdf(html, assets_dir=assets_dir).content
