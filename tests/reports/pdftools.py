"""Reading generated PDFs in tests: text, fonts, embedded files (pypdf); a listener for requests a render makes."""

import contextlib
import io
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

from pypdf import PdfReader


def reader(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content))


def text_of(content: bytes) -> str:
    """All pages' text with whitespace collapsed, so wrapped table cells read as one line."""
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader(content).pages))


def page_texts(content: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader(content).pages]


def fonts(content: bytes) -> dict[str, bool]:
    """Base font name → whether its TrueType program is embedded (/FontFile2), over every page and form."""
    found: dict[str, bool] = {}

    def walk(resources):
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            described = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = described.get("/FontDescriptor")
            found[str(font["/BaseFont"])] = descriptor is not None and "/FontFile2" in descriptor.get_object()
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if "/Resources" in xobject:
                walk(xobject["/Resources"])

    for page in reader(content).pages:
        walk(page["/Resources"])
    return found


def has_embedded_files(content: bytes) -> bool:
    """True when the PDF carries attachments (an /EmbeddedFiles tree or /EmbeddedFile streams)."""
    return b"/EmbeddedFile" in content or bool(reader(content).attachments)


def top_margin_texts(content: bytes, margin_mm: float = 20) -> list[str]:
    """Per page, the numbers drawn in the top margin (where the page number goes)."""
    result = []
    for page in reader(content).pages:
        height = float(page.mediabox.height)
        limit = height - margin_mm * 72 / 25.4
        found: list[str] = []

        def visit(text, cm, tm, font_dict, font_size, found=found, limit=limit):
            y = tm[5] * cm[3] + cm[5] if cm else tm[5]
            if text.strip().isdigit() and y > limit:
                found.append(text.strip())

        page.extract_text(visitor_text=visit)
        result.append(" ".join(found))
    return result


WATERMARK_GREY = (0.549, 0.549, 0.549)  # the draft watermark's fill (#8c8c8c), reports.documents.watermark_svg


def watermark_shapes(content: bytes) -> list[int]:
    """Per page, the filled outlines in the watermark's grey: the "DỰ THẢO" mark is drawn, not text."""
    import pdfplumber

    counts = []
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        for page in pdf.pages:
            count = 0
            for curve in page.curves:
                colour = curve.get("non_stroking_color")
                if curve.get("fill") and isinstance(colour, tuple) and len(colour) == 3:
                    count += all(abs(a - b) < 0.01 for a, b in zip(colour, WATERMARK_GREY, strict=True))
            counts.append(count)
    return counts


@contextlib.contextmanager
def loopback_listener():
    """An HTTP server on 127.0.0.1 that records every request it receives (and redirects to itself)."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/redirected")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port, hits
    finally:
        server.shutdown()
        server.server_close()
