"""The pure renderer (HTML in, PDF bytes out), without Celery or a database: fonts, the URL fetcher and
the renderer processes (a failed or interrupted part ends them all)."""

import contextlib
import os
import signal
import ssl
import threading
import time
from pathlib import Path
from unittest import mock

import psutil
import pytest
from fontTools.ttLib import TTFont

from reports.pdf import (
    ASSETS_DIR,
    AssetsOnlyFetcher,
    RenderedPdf,
    RendererPool,
    close_shared_pools,
    html_to_pdf,
    render_parts,
    render_pdf,
    shared_pool,
)
from tests.reports.pdftools import fonts, has_embedded_files, loopback_listener, reader, text_of, top_margin_texts

FONT_FACES = """
<style>
@font-face { font-family: "Report Serif"; src: url("LiberationSerif-Regular.ttf"); }
@font-face { font-family: "Report Serif"; src: url("LiberationSerif-Bold.ttf"); font-weight: bold; }
@font-face { font-family: "Report Serif"; src: url("LiberationSerif-Italic.ttf"); font-style: italic; }
html { font-family: "Report Serif"; font-size: 14pt; }
</style>
"""
VIETNAMESE = "Đà Nẵng, ngày 15 tháng 01 năm 2026 – Hòa Cường, Trà Tân, Tây Giang, A Vương, Ngũ Hành Sơn, ỹ ữ ặ ẫ ự ở"


def test_renders_a4_pdf_bytes():
    rendered = render_pdf(f"<html><head>{FONT_FACES}</head><body><p>{VIETNAMESE}</p></body></html>")
    assert rendered.content.startswith(b"%PDF-")
    assert rendered.page_count == 1
    box = reader(rendered.content).pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)


def test_vietnamese_text_survives_with_every_diacritic():
    content = html_to_pdf(f"<html><head>{FONT_FACES}</head><body><p>{VIETNAMESE}</p><b>Bình</b></body></html>")
    assert VIETNAMESE in text_of(content)


def test_every_font_is_the_bundled_one_and_embedded():
    content = html_to_pdf(
        f"<html><head>{FONT_FACES}</head><body><p>{VIETNAMESE}</p><b>Đậm</b><i>Nghiêng</i></body></html>"
    )
    found = fonts(content)
    assert found, "no font in the PDF"
    assert all(embedded for embedded in found.values()), found
    assert all("Report-Serif" in name for name in found), found


def test_bundled_fonts_cover_vietnamese():
    """No missing glyph: every letter Vietnamese uses is in each bundled face."""
    letters = set("aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")
    letters |= {letter.upper() for letter in letters}
    letters |= set("0123456789.,;:–-()/*%đ“”")
    for face in ("Regular", "Bold", "Italic", "BoldItalic"):
        cmap = TTFont(ASSETS_DIR / f"LiberationSerif-{face}.ttf").getBestCmap()
        missing = sorted(letter for letter in letters if ord(letter) not in cmap)
        assert not missing, f"{face}: {missing}"
    assert (ASSETS_DIR / "LICENSE-LiberationSerif.txt").exists()


def test_rendering_is_deterministic():
    html = f"<html><head>{FONT_FACES}</head><body><p>{VIETNAMESE}</p></body></html>"
    assert html_to_pdf(html) == html_to_pdf(html)


def test_no_request_and_no_embedded_file_whatever_the_html_asks_for():
    with loopback_listener() as (port, hits):
        base = f"http://127.0.0.1:{port}"
        html = f"""<html><head>{FONT_FACES}
        <link rel="stylesheet" href="{base}/style.css">
        <link rel="attachment" href="file:///etc/hostname">
        <link rel="attachment" href="{base}/attachment">
        <style>
          @import url("{base}/import.css");
          body {{ background: url("{base}/background.png"); }}
          @font-face {{ font-family: Remote; src: url("{base}/font.ttf"); }}
          p {{ list-style-image: url("file:///etc/hostname"); }}
        </style></head><body>
        <p>Nội dung</p>
        <img src="{base}/image.png" alt="">
        <img src="file:///etc/hostname" alt="">
        <img src="../../../../../etc/hostname" alt="">
        <img src="{ASSETS_DIR}/../../manage.py" alt="">
        <a rel="attachment" href="file:///etc/passwd">tệp</a>
        <object data="{base}/object"></object>
        <iframe src="{base}/frame"></iframe>
        <svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="50" height="50">
          <image href="{base}/svg.png" width="10" height="10"/><image xlink:href="file:///etc/hostname" width="10" height="10"/>
        </svg>
        </body></html>"""
        content = html_to_pdf(html)
    assert hits == []
    assert not has_embedded_files(content)
    hostname = Path("/etc/hostname").read_text().strip()
    if hostname:
        assert hostname not in text_of(content)


def test_the_listener_would_see_weasyprints_default_fetcher():
    """The SSRF test above can fail: WeasyPrint's own fetcher does reach the loopback listener."""
    from weasyprint import HTML

    with loopback_listener() as (port, hits):
        HTML(string=f'<img src="http://127.0.0.1:{port}/image.png">').write_pdf()
    assert hits


def test_fetcher_serves_only_files_inside_the_assets_directory():
    fetcher = AssetsOnlyFetcher()
    font = (ASSETS_DIR / "LiberationSerif-Regular.ttf").as_uri()
    assert fetcher.fetch(font).read(4) == b"\x00\x01\x00\x00"
    refused = [
        "file:///etc/hostname",
        (ASSETS_DIR / ".." / ".." / "manage.py").as_uri(),
        font + "?x=1",
        "http://127.0.0.1/",
        "https://example.org/font.ttf",
        "data:text/css,body{}",
        "ftp://127.0.0.1/x",
        "file://otherhost" + str(ASSETS_DIR / "LiberationSerif-Regular.ttf"),
    ]
    for url in refused:
        try:
            fetcher.fetch(url)
        except ValueError:
            continue
        raise AssertionError(f"fetched {url}")
    assert fetcher.refused == refused


def test_renderer_processes_refuse_every_fetch_too_and_exit_afterwards():
    """A long document is rendered by renderer processes: the same deny-by-default fetcher there."""
    with loopback_listener() as (port, hits):
        part = f"""<html><head>{FONT_FACES}<link rel="stylesheet" href="http://127.0.0.1:{port}/style.css"></head>
        <body><p>{VIETNAMESE}</p><img src="http://127.0.0.1:{port}/image.png" alt="">
        <img src="file:///etc/hostname" alt=""></body></html>"""
        with RendererPool(2) as pool:
            processes = [renderer.process for renderer in pool.renderers]
            joined = render_parts([part, part, part], pool=pool)
    assert hits == []
    assert joined.page_count == 3
    assert VIETNAMESE in text_of(joined.content)
    assert not has_embedded_files(joined.content)
    assert [process.returncode for process in processes] == [0, 0]


def test_a_worn_out_renderer_is_replaced_before_the_next_document():
    """After MAX_PARTS parts a renderer is replaced; the next document goes to its successor only."""
    part = f"<html><head>{FONT_FACES}</head><body><p>{VIETNAMESE}</p></body></html>"
    with RendererPool(2) as pool:
        worn = pool.renderers[0]
        worn.parts = RendererPool.MAX_PARTS
        joined = render_parts([part, part, part, part], pool=pool)
        assert worn not in pool.renderers
        assert worn.process.poll() is not None  # closed, and nothing was written to it afterwards
        assert sum(renderer.parts for renderer in pool.renderers) == 4
    assert joined.page_count == 4


def renderer_processes() -> set[int]:
    """The live renderer processes this test process has started."""
    found = set()
    for process in psutil.Process().children():
        with contextlib.suppress(psutil.NoSuchProcess):
            if "serve_parts" in " ".join(process.cmdline()) and process.status() != psutil.STATUS_ZOMBIE:
                found.add(process.pid)
    return found


def wait_until_gone(pids: set[int], timeout: float) -> set[int]:
    """Those of ``pids`` still alive after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while (alive := pids & renderer_processes()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


# A part that keeps a renderer busy for several seconds on any machine (about 130 pages).
LONG_PART = f"<html><head>{FONT_FACES}</head><body>" + f"<p>{VIETNAMESE}</p>" * 2000 + "</body></html>"
PART = f"<html><head>{FONT_FACES}</head><body><p>{VIETNAMESE}</p></body></html>"


class TimeLimit(Exception):
    pass


@pytest.fixture
def fresh_shared_pool():
    close_shared_pools()
    yield shared_pool
    close_shared_pools()


def test_the_time_limit_ends_every_renderer_at_once_and_the_next_document_gets_new_ones(fresh_shared_pool):
    """Celery's soft time limit is an exception raised by a signal handler while the task waits for
    the parts: renderers in the middle of a long part end at once, not when their part is done."""

    def interrupt(signum, frame):
        raise TimeLimit

    pool = fresh_shared_pool(2)
    render_parts([PART, PART], pool=pool)  # warm: the long parts are being rendered at the interrupt
    renderers = renderer_processes()
    assert len(renderers) == 2
    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 2)
        with pytest.raises(TimeLimit):
            render_parts([LONG_PART] * 4, pool=pool)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert wait_until_gone(renderers, timeout=1) == set()
    assert render_parts([PART, PART], pool=fresh_shared_pool(2)).page_count == 2
    assert renderer_processes().isdisjoint(renderers)


def test_a_renderer_that_dies_fails_the_document_and_the_next_one_gets_new_renderers(fresh_shared_pool):
    pool = fresh_shared_pool(2)
    render_parts([PART, PART], pool=pool)  # warm: the long parts are being rendered at the kill
    renderers = renderer_processes()
    outcome: list[BaseException | RenderedPdf] = []

    def render():
        try:
            outcome.append(render_parts([LONG_PART] * 4, pool=pool))
        except BaseException as error:  # noqa: BLE001 - the outcome is the subject
            outcome.append(error)

    thread = threading.Thread(target=render)
    thread.start()
    time.sleep(1)
    os.kill(min(renderers), signal.SIGKILL)  # a renderer this test started, as the OOM killer would
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert isinstance(outcome[0], RuntimeError), outcome
    assert wait_until_gone(renderers, timeout=5) == set()
    assert render_parts([PART, PART], pool=fresh_shared_pool(2)).page_count == 2


def test_joined_parts_are_numbered_from_page_two_like_one_document():
    numbered = '@page { @top-center { content: counter(page); font-family: "Report Serif"; font-size: 14pt; vertical-align: middle; } } @page :first { @top-center { content: none; } }'
    pages = "".join(f'<p style="break-after: page">{n}</p>' for n in range(5))
    whole = render_pdf(
        f"<html><head>{FONT_FACES}<style>@page {{ margin: 20mm 15mm 20mm 30mm }} {numbered}</style></head><body>{pages}</body></html>"
    )
    part = f"<html><head>{FONT_FACES}<style>@page {{ margin: 20mm 15mm 20mm 30mm }}</style></head><body>{pages}</body></html>"
    joined = render_parts([part, part], processes=2)
    assert top_margin_texts(whole.content) == ["", "2", "3", "4", "5"]
    assert top_margin_texts(joined.content) == [""] + [str(n) for n in range(2, 11)]
    assert all("Report-Serif" in name and embedded for name, embedded in fonts(joined.content).items())


def test_the_fetcher_does_not_load_the_system_certificates():
    """Loading the CA store cost every rendered document 38 ms; the fetcher never opens HTTPS anyway."""
    with mock.patch.object(ssl.SSLContext, "set_default_verify_paths", side_effect=AssertionError("CA store loaded")):
        fetcher = AssetsOnlyFetcher()
        with pytest.raises(ValueError):
            fetcher.fetch("https://example.org/font.ttf")


def test_the_report_style_sheet_is_parsed_once_and_styles_as_if_inline():
    """reports/pdf.css is parsed once per process and applied from the cache: the same pages,
    text and fonts as with the sheet written into the document; the document's own page box wins."""
    from weasyprint import HTML

    from reports import pdf

    body = f"<body><h2>Kết quả thực hiện</h2><p>{VIETNAMESE}</p><p class='muted'>{VIETNAMESE}</p></body>"
    page_box = "<style>@page { margin: 10mm }</style>"
    pdf._report_style.cache_clear()
    first, second = render_pdf(f"<html><head>{page_box}</head>{body}</html>"), render_pdf(f"<html>{body}</html>")
    assert (pdf._report_style.cache_info().misses, pdf._report_style.cache_info().hits) == (1, 1)
    sheet = pdf.STYLESHEET.read_text(encoding="utf-8")
    inline = HTML(
        string=f"<html><head><style>{sheet}</style>{page_box}</head>{body}</html>",
        base_url=ASSETS_DIR.as_uri() + "/",
        url_fetcher=AssetsOnlyFetcher(),
    ).write_pdf()
    for rendered in (first, second):
        box = reader(rendered.content).pages[0].mediabox
        assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
        assert text_of(rendered.content) == text_of(inline)
        assert fonts(rendered.content) == fonts(inline)
        assert fonts(rendered.content) and all("Report-Serif" in name for name in fonts(rendered.content))
