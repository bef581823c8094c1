"""The suite's own structure: test modules share helpers through helper modules, never through each other.

A test module that imports another one runs (or silently re-collects) code it did not mean to, and a
change to one test file breaks an unrelated one. Shared pieces live in helper modules: tests/routes.py,
tests/assertions.py, tests/signin.py, tests/live_services.py, tests/<app>/fixtures.py and the like.
"""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
    return names


def is_test_module(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return name.startswith("tests.") and (last.startswith("test_") or last == "conftest")


def test_no_test_module_imports_another_test_module_or_a_conftest():
    offenders = [
        f"{path.relative_to(TESTS.parent)} imports {name}"
        for path in sorted(TESTS.rglob("*.py"))
        for name in imported_modules(path)
        if is_test_module(name)
    ]
    assert offenders == []


def test_the_rule_recognises_test_modules_and_conftests():
    assert is_test_module("tests.reports.test_integration")
    assert is_test_module("tests.browser.conftest")
    assert not is_test_module("tests.routes")
    assert not is_test_module("tests.commitments.fixtures")
    assert not is_test_module("reports.tests_helpers")


def patches_a_client_method(path: Path) -> bool:
    """Whether the module assigns to ``<something>.login`` or ``<something>.force_login``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return any(
        isinstance(target, ast.Attribute) and target.attr in {"login", "force_login"}
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
    )


def test_signing_in_is_explicit():
    """No test patches Django's Client: the full sign-in is ``tests.signin.sign_in``."""
    patched = [
        str(path.relative_to(TESTS.parent)) for path in sorted(TESTS.rglob("*.py")) if patches_a_client_method(path)
    ]
    assert patched == []


def test_the_patch_rule_sees_an_assignment(tmp_path):
    module = tmp_path / "patching.py"
    module.write_text("from django.test import Client\nClient.force_login = print\n")
    assert patches_a_client_method(module)
