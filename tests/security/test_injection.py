"""Injection gates (RELIABILITY E4): bandit over the project's own code, SQL and templates built only
from constants, and Celery that accepts JSON only.

Every bandit finding of medium or high severity (any confidence) is either fixed or carries
``# nosec BXXX # reason`` where it was reviewed; a new one fails here.
"""

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("config", "core", "accounts", "communes", "partnerships", "commitments", "reports", "bench")


def bandit(*targets: Path | str, cwd: Path = ROOT) -> list[dict]:
    """Bandit's medium- and high-severity findings (every test, any confidence) in ``targets``."""
    command = [sys.executable, "-m", "bandit", "-r", *map(str, targets), "-x", "*/migrations/*"]
    command += ["--severity-level", "medium", "--confidence-level", "low", "-f", "json", "-q"]
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)
    report = json.loads(done.stdout)
    assert report["errors"] == [], report["errors"]
    return report["results"]


def test_bandit_finds_nothing_of_medium_or_high_severity():
    findings = bandit(*PACKAGES)
    assert [f"{f['filename']}:{f['line_number']} {f['test_id']} {f['issue_text']}" for f in findings] == []


def test_bandit_gate_reports_what_the_row_names(tmp_path):
    """The same command on hostile code: shell, pickle, SQL by string, mark_safe, Django's raw SQL."""
    (tmp_path / "hostile.py").write_text(
        textwrap.dedent(
            """
            import pickle
            import subprocess
            from django.db.models.expressions import RawSQL
            from django.utils.safestring import mark_safe

            def view(request, cursor, queryset):
                subprocess.run(request.GET["cmd"], shell=True)
                pickle.loads(request.body)
                cursor.execute("SELECT * FROM t WHERE name = '%s'" % request.GET["name"])
                queryset.extra(where=[request.GET["where"]])
                queryset.annotate(x=RawSQL(request.GET["sql"], ()))
                return mark_safe(request.GET["html"])
            """
        )
    )
    found = {finding["test_id"] for finding in bandit("hostile.py", cwd=tmp_path)}
    assert {"B602", "B301", "B608", "B610", "B611", "B308", "B703"} <= found


# --- SQL and templates from constants only -------------------------------------------------------

# Call sites that take SQL or template source. Their first argument must be a string literal or a
# module-level UPPER_CASE constant; anything else (a variable, an f-string, request data) fails.
SQL_OR_TEMPLATE = {"raw", "extra", "RawSQL", "Template", "from_string"}
# (path, callee) → why a non-constant first argument is safe there. Empty today.
ALLOWED: dict[tuple[str, str], str] = {}


def unsafe_sources(source: str, filename: str = "<string>") -> list[str]:
    problems = []
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
        if callee not in SQL_OR_TEMPLATE:
            continue
        if callee == "extra":  # select, where, tables, order_by are SQL; only params may vary
            sql = [*node.args[:1], *node.args[2:], *(k.value for k in node.keywords if k.arg != "params")]
            constant = all(_constant(argument, nested=True) for argument in sql)
        else:
            constant = bool(node.args) and _constant(node.args[0])
        if not constant and (filename, callee) not in ALLOWED:
            problems.append(f"{filename}:{node.lineno} {callee}(…) is not fed from a constant")
    return problems


def _constant(node: ast.AST, nested: bool = False) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | int | float | type(None))
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if nested and isinstance(node, ast.List | ast.Tuple | ast.Dict):
        return all(_constant(child, nested) for child in ast.iter_child_nodes(node) if not isinstance(child, ast.Load))
    return False


def project_sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), path.read_text()


def test_raw_sql_and_templates_are_built_from_constants():
    problems = [problem for name, source in project_sources() for problem in unsafe_sources(source, name)]
    assert problems == []
    assert ALLOWED.keys() <= {(name, callee) for name, _ in project_sources() for callee in SQL_OR_TEMPLATE}


def test_the_constant_gate_catches_request_data_and_built_strings():
    hostile = textwrap.dedent(
        """
        RATIO = "1"
        def view(request, qs, engine, name):
            qs.raw("SELECT 1")                                   # a literal: fine
            qs.annotate(r=RawSQL(RATIO, ()))                     # a module constant: fine
            RawSQL("SELECT %s", (request.GET["x"],))             # request data as a parameter: fine
            qs.extra(where=["a = %s"], params=[request.GET["a"]])  # the same
            qs.raw(f"SELECT * FROM t WHERE n = '{name}'")        # line 8
            qs.extra(where=[request.GET["w"]])
            Template(request.POST["body"]).render()
            engine.from_string("Xin chào " + name)
        """
    )
    lines = sorted(int(problem.split(":")[1].split()[0]) for problem in unsafe_sources(hostile))
    assert lines == [8, 9, 10, 11]


# --- Celery ------------------------------------------------------------------------------------------


def test_celery_accepts_json_only():
    from config.celery import app

    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json"
    assert app.conf.result_serializer == "json"
