"""docs/RELIABILITY-MATRIX.md names the tests behind every RELIABILITY row: each name must exist.

A reference is ``path.py`` optionally followed by ``::Class::name``; a reference that starts with
``::`` continues the last path named before it in the document.
"""

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MATRIX = ROOT / "docs" / "RELIABILITY-MATRIX.md"
CODE_SPAN = re.compile(r"`([^`]+)`")
PATH_REFERENCE = re.compile(r"((?:[\w.-]+/)+[\w.-]+\.py)((?:::\w+)*)")
CONTINUED_REFERENCE = re.compile(r"(?:::\w+)+")


@cache
def _defined_names(path: Path) -> frozenset[str]:
    """Classes, functions and module-level constants defined anywhere in the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return frozenset(names)


def unresolved_references(text: str) -> tuple[int, list[str]]:
    """How many names the text refers to, and those whose file or definition does not exist."""
    checked, unresolved = 0, []
    current_path = None
    for span in CODE_SPAN.findall(text):
        if match := PATH_REFERENCE.fullmatch(span):
            current_path, names = match.group(1), match.group(2)
            if not (ROOT / current_path).is_file():
                unresolved.append(current_path)
                current_path = None
                continue
        elif CONTINUED_REFERENCE.fullmatch(span) and current_path:
            names = span
        else:
            continue
        for name in filter(None, names.split("::")):
            checked += 1
            if name not in _defined_names(ROOT / current_path):
                unresolved.append(f"{current_path}::{name}")
    return checked, unresolved


def test_every_test_the_matrix_names_exists():
    checked, unresolved = unresolved_references(MATRIX.read_text(encoding="utf-8"))
    assert unresolved == []
    assert checked > 250  # the matrix names about 300 tests: a parser that finds none must not pass


def test_a_renamed_test_or_a_missing_file_is_reported():
    text = (
        "`tests/test_reliability_matrix.py::test_every_test_the_matrix_names_exists`, `::no_such_test`; "
        "`tests/no_such_file.py::test_x`"
    )
    checked, unresolved = unresolved_references(text)
    assert checked == 2
    assert unresolved == ["tests/test_reliability_matrix.py::no_such_test", "tests/no_such_file.py"]
