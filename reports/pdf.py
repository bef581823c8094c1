"""HTML in, PDF bytes out, with WeasyPrint and a URL fetcher that refuses everything but our own fonts.

Pure: no database, no settings, no Celery. A long document comes in parts (the per-partnership
appendix in chunks) that a small pool of fresh processes renders at once; the part PDFs are then
joined and numbered here. Only worker processes import this module (the web process
never loads WeasyPrint; in eager mode, without Redis, it runs in-process as the dev fallback).

The fetcher is deny-by-default (RELIABILITY.md I5): no network, no ``data:``, no ``file://`` outside
the assets directory, and no redirects. Whatever a report's data contains, rendering makes no
request and embeds no file it was not meant to.
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import mimetypes
import queue
import ssl
import struct
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pikepdf
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent
ASSETS_DIR = PROJECT_DIR / "static" / "fonts"

# URLFetcher builds a urllib opener whose HTTPS handler, given no context, loads the system's CA
# store for every document. Our fetcher never uses
# that opener (``fetch`` below answers every URL itself), so it gets a context with no certificates:
# were it ever used, no server could be verified.
_UNUSED_TLS_CONTEXT = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class AssetsOnlyFetcher(URLFetcher):
    """Serves ``file://`` URLs inside one directory and refuses every other URL."""

    def __init__(self, assets_dir: Path = ASSETS_DIR):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, timeout=1, ssl_context=_UNUSED_TLS_CONTEXT)
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


# The printed report's style, the same for every report (the page box, which varies, stays in the document).
# Not a static file: only WeasyPrint reads it, resolving its fonts in ASSETS_DIR, and the web never serves it.
STYLESHEET = Path(__file__).resolve().parent / "pdf.css"


@functools.cache
def _report_style(assets_dir: Path) -> tuple[CSS, FontConfiguration]:
    """The report style sheet parsed once per process, with the fonts its @font-face rules load.

    Parsing and validating it and loading its four fonts took a quarter of a partnership report's
    rendering, the same for every part and every report.
    """
    fonts = FontConfiguration()
    base_url = assets_dir.as_uri() + "/"
    css = CSS(
        string=STYLESHEET.read_text(encoding="utf-8"),
        base_url=base_url,
        url_fetcher=AssetsOnlyFetcher(assets_dir),
        font_config=fonts,
    )
    return css, fonts


def render_pdf(html: str, *, assets_dir: Path = ASSETS_DIR) -> RenderedPdf:
    """Render an HTML document with the report style sheet to PDF; relative URLs resolve inside
    ``assets_dir`` and nowhere else.

    The style sheet is a user style sheet to WeasyPrint: the document's own ``<style>`` (its page box)
    and ``style`` attributes rank above it, the browser defaults below.
    """
    assets_dir = Path(assets_dir).resolve()
    fetcher = AssetsOnlyFetcher(assets_dir)
    base_url = assets_dir.as_uri() + "/"
    sheet, fonts = _report_style(assets_dir)
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(stylesheets=[sheet], font_config=fonts)
    return RenderedPdf(content=document.write_pdf(), page_count=len(document.pages))


def html_to_pdf(html: str, *, assets_dir: Path = ASSETS_DIR) -> bytes:
    """The PDF bytes of an HTML document (see render_pdf)."""
    return render_pdf(html, assets_dir=assets_dir).content


def render_parts(
    parts: list[str],
    *,
    processes: int = 2,
    margins_mm: dict | None = None,
    numbered_from: int = 2,
    pool: RendererPool | None = None,
) -> RenderedPdf:
    """Render each HTML part in a pool of renderer processes and join them in order.

    The parts carry no page numbers (each would restart at 1): the joined document gets them here,
    top centre from page ``numbered_from``, where WeasyPrint draws them in a one-part document.
    One part is rendered in this process, as before.
    """
    if len(parts) == 1:
        return render_pdf(parts[0])
    if pool is None:
        with RendererPool(min(processes, len(parts))) as own:
            contents = own.render(parts)
    else:
        contents = pool.render(parts)
    return join_pdfs(contents, margins_mm=margins_mm, numbered_from=numbered_from)


class RendererPool:
    """A few renderer processes: new Python interpreters running ``serve_parts``.

    Never a fork of a worker that holds database connections: they import only this module, use the
    same deny-by-default fetcher, and give their memory back to the system when the pool closes.
    They start loading WeasyPrint at once, so a caller may start the pool before it has the HTML.

    Why not ``concurrent.futures.ProcessPoolExecutor`` (tried for issue 18): in a Celery prefork child
    it starts no process without private API. billiard makes the child ``multiprocessing``'s current
    process, a daemonic one ("daemonic processes are not allowed to have children"), whose
    authentication key is a billiard type that refuses to be pickled for a forkserver or spawn child
    ("Pickling an AuthenticationString object is disallowed"). On Python 3.12 the executor's
    ``max_tasks_per_child`` also stops scheduling queued parts once a process has reached its limit
    (CPython gh-115634, fixed in 3.13), and nothing public ends a process in the middle of a part, as
    ``kill()`` does here (``terminate_workers()`` comes with 3.14). Worth another look on Python 3.14
    with a worker pool other than billiard's prefork.
    """

    # A renderer is replaced after this many parts, so that its memory does not creep up.
    MAX_PARTS = 40

    def __init__(self, processes: int = 2):
        self.lock = threading.Lock()  # one document at a time through the pipes
        self.renderers: list[_PartRenderer] = []
        try:
            for _ in range(max(1, processes)):
                self.renderers.append(_PartRenderer())
        except BaseException:
            self.close()
            raise

    def render(self, parts: list[str]) -> list[bytes]:
        """The parts' PDFs, in order; each free renderer takes the next part."""
        with self.lock:
            return self._render(parts)

    def _render(self, parts: list[str]) -> list[bytes]:
        # Worn-out renderers are replaced before the free ones are handed out: handing out the one just
        # closed failed the next report with "write to closed file" (1 in 40 during the K5 soak).
        for index, renderer in enumerate(self.renderers):
            if renderer.parts >= self.MAX_PARTS:
                renderer.close()
                self.renderers[index] = _PartRenderer()
        free: queue.SimpleQueue[_PartRenderer] = queue.SimpleQueue()
        for renderer in self.renderers:
            free.put(renderer)

        def render(html: str) -> bytes:
            renderer = free.get()
            try:
                return renderer.render(html)
            finally:
                free.put(renderer)

        threads = ThreadPoolExecutor(max_workers=len(self.renderers), thread_name_prefix="pdf-part")
        futures = [threads.submit(render, html) for html in parts]
        try:
            return [future.result() for future in futures]
        except BaseException:
            # A failed part or the task's time limit: stop everything now rather than render the rest.
            for future in futures:
                future.cancel()
            self.kill()
            raise
        finally:
            threads.shutdown(wait=True, cancel_futures=True)

    def kill(self) -> None:
        for renderer in self.renderers:
            renderer.process.kill()

    @property
    def alive(self) -> bool:
        return bool(self.renderers) and all(r.process.poll() is None for r in self.renderers)

    def close(self) -> None:
        for renderer in self.renderers:
            renderer.close()
        self.renderers = []

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


_LENGTH = struct.Struct(">Q")
_FAILED = 2**64 - 1


def serve_parts() -> None:
    """A renderer process: HTML documents in on stdin, PDFs out on stdout, until stdin closes."""
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while header := source.read(_LENGTH.size):
        html = source.read(_LENGTH.unpack(header)[0]).decode()
        try:
            content = render_pdf(html).content
        except Exception as error:  # reported to the parent, which fails the report
            message = f"{type(error).__name__}: {error}"[:2000].encode()
            answer = _LENGTH.pack(_FAILED) + _LENGTH.pack(len(message)) + message
        else:
            answer = _LENGTH.pack(len(content)) + content
        try:
            sink.write(answer)
            sink.flush()
        except BrokenPipeError:  # the worker is gone: nobody is waiting for this part
            return


_shared: dict[int, RendererPool] = {}


def shared_pool(processes: int = 2) -> RendererPool:
    """This process's renderer pool, started on first use and kept warm for the next documents.

    Renderers that were killed (a failed part, a time limit) are replaced. The renderers read from
    a pipe this process holds: when it exits, however it exits, they see the end of it and exit.
    """
    pool = _shared.get(processes)
    if pool is None or not pool.alive:
        if pool is not None:
            pool.close()
        pool = _shared[processes] = RendererPool(processes)
    return pool


def close_shared_pools() -> None:
    """Stop this process's renderers (they would stop anyway when this process exits)."""
    while _shared:
        _shared.popitem()[1].close()


class _PartRenderer:
    def __init__(self):
        self.parts = 0
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from reports.pdf import serve_parts; serve_parts()"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=PROJECT_DIR,
        )

    def render(self, html: str) -> bytes:
        self.parts += 1
        data = html.encode()
        self.process.stdin.write(_LENGTH.pack(len(data)) + data)
        self.process.stdin.flush()
        length = self._read_length()
        if length == _FAILED:
            raise RuntimeError("PDF part failed: " + self._read(self._read_length()).decode(errors="replace"))
        return self._read(length)

    def _read_length(self) -> int:
        return _LENGTH.unpack(self._read(_LENGTH.size))[0]

    def _read(self, size: int) -> bytes:
        data = self.process.stdout.read(size)
        if len(data) != size:
            raise RuntimeError(f"PDF renderer process ended (exit code {self.process.poll()})")
        return data

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()


# Where WeasyPrint puts "@top-center { content: counter(page); font-size: 14pt; vertical-align: middle }":
# centred over the page area, baseline this far below the middle of the top margin (measured).
NUMBER_FONT_SIZE = 14
NUMBER_BASELINE_BELOW_MIDDLE_PT = 4.724
MM = 72 / 25.4


def join_pdfs(contents: list[bytes], *, margins_mm: dict | None = None, numbered_from: int = 2) -> RenderedPdf:
    """One PDF from several, its pages numbered continuously (top centre, from ``numbered_from``)."""
    margins = {"top": 20, "bottom": 20, "left": 30, "right": 15} | (margins_mm or {})
    # The first part (the main text, with the headings' bookmarks and the title) receives the others.
    joined = pikepdf.Pdf.open(io.BytesIO(contents[0]))
    sources = [pikepdf.Pdf.open(io.BytesIO(content)) for content in contents[1:]]
    try:
        for source in sources:
            joined.pages.extend(source.pages)
        font = _number_font(joined)
        for number, page in enumerate(joined.pages, start=1):
            if number >= numbered_from:
                _stamp_number(joined, page, number, font, margins)
        output = io.BytesIO()
        joined.save(output, deterministic_id=True, compress_streams=True)
    finally:
        for source in sources:
            source.close()
        page_count = len(joined.pages)
        joined.close()
    return RenderedPdf(content=output.getvalue(), page_count=page_count)


@functools.cache
def _digits_font() -> tuple[bytes, list[int], dict]:
    """The bundled regular face cut down to the ten digits, their widths, and its metrics (1/1000 em)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(ASSETS_DIR / "LiberationSerif-Regular.ttf")
    scale = 1000 / font["head"].unitsPerEm
    cmap = font.getBestCmap()
    widths = [round(font["hmtx"][cmap[ord(digit)]][0] * scale) for digit in "0123456789"]
    head, os2 = font["head"], font["OS/2"]
    metrics = {
        "bbox": [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
        "ascent": round(font["hhea"].ascent * scale),
        "descent": round(font["hhea"].descent * scale),
        "cap_height": round(getattr(os2, "sCapHeight", 0) * scale) or 662,
    }
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.recalc_bounds = True
    options.drop_tables += ["FFTM"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="0123456789")
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue(), widths, metrics


def _number_font(pdf: pikepdf.Pdf) -> pikepdf.Object:
    """An embedded TrueType font (the bundled serif, digits only) for the page numbers."""
    data, widths, metrics = _digits_font()
    name = pikepdf.Name("/PGNUMB+Report-Serif")
    font_file = pdf.make_stream(data)
    font_file.Length1 = len(data)
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=name,
        Flags=34,  # serif, non-symbolic
        FontBBox=metrics["bbox"],
        ItalicAngle=0,
        Ascent=metrics["ascent"],
        Descent=metrics["descent"],
        CapHeight=metrics["cap_height"],
        StemV=80,
        FontFile2=font_file,
    )
    return pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.TrueType,
            BaseFont=name,
            FirstChar=48,
            LastChar=57,
            Widths=widths,
            Encoding=pikepdf.Name.WinAnsiEncoding,
            FontDescriptor=pdf.make_indirect(descriptor),
        )
    )


def _stamp_number(pdf: pikepdf.Pdf, page: pikepdf.Page, number: int, font, margins: dict) -> None:
    _data, widths, _metrics = _digits_font()
    text = str(number)
    width = sum(widths[int(digit)] for digit in text) * NUMBER_FONT_SIZE / 1000
    box = page.mediabox
    left, top = float(box[0]), float(box[3])
    right = float(box[2])
    centre = left + margins["left"] * MM + ((right - left) - (margins["left"] + margins["right"]) * MM) / 2
    baseline = top - margins["top"] * MM / 2 - NUMBER_BASELINE_BELOW_MIDDLE_PT
    if pikepdf.Name.Resources not in page.obj:
        page.obj.Resources = pikepdf.Dictionary()
    resources = page.obj.Resources
    if pikepdf.Name.Font not in resources:
        resources.Font = pikepdf.Dictionary()
    resources.Font[pikepdf.Name("/PageNumber")] = font
    # The page's own drawing leaves its coordinate transform in place: isolate it first.
    page.contents_add(pdf.make_stream(b"q\n"), prepend=True)
    stamp = f"Q\nq\n0 g\nBT\n/PageNumber {NUMBER_FONT_SIZE} Tf\n{centre - width / 2:.3f} {baseline:.3f} Td\n({text}) Tj\nET\nQ\n"
    page.contents_add(pdf.make_stream(stamp.encode("ascii")), prepend=False)
