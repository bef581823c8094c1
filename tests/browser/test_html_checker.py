"""The W3C HTML checker the browser tests run on every page state: it must be able to fail, and no
template may bring back a bare hx- attribute (bin/data-hx-attributes renames them)."""

import importlib.machinery
import importlib.util
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.browser

SCRIPT = Path(settings.BASE_DIR) / "bin" / "data-hx-attributes"


def rename_script():
    loader = importlib.machinery.SourceFileLoader("data_hx_attributes", str(SCRIPT))
    spec = importlib.util.spec_from_loader("data_hx_attributes", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_the_checker_reports_the_markup_bugs_it_exists_for(html_checker):
    page = (
        '<!doctype html><html lang="vi"><head><title>x</title></head><body>'
        '<div hx-get="/x">a</div><time datetime="2026-12-07T10:00:00.123456+07:00">b</time>'
        '<form method="post" action=""></form><svg role="group"></svg>'
        '<section aria-labelledby="nowhere"></section></body></html>'
    )
    errors = "\n".join(html_checker.errors(page))
    for expected in (
        "hx-get",
        "fraction of a second",
        "“action”",
        "“role”",
        "aria-labelledby",
        "bin/data-hx-attributes",
    ):
        assert expected in errors
    assert html_checker.errors(page.replace(" hx-get", " data-hx-get").split("<time")[0] + "</body></html>") == []


def test_no_template_or_widget_has_a_bare_hx_attribute():
    script = rename_script()
    left = {
        str(path.relative_to(settings.BASE_DIR)): len(script.BARE.findall(path.read_text(encoding="utf-8")))
        for path in script.files(script.DEFAULT_PATHS)
        if path.resolve() != SCRIPT.resolve()
    }
    assert {path: count for path, count in left.items() if count} == {}, "run: python3 bin/data-hx-attributes"
