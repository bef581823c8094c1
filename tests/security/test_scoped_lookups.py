"""Scoped lookups, statically (RELIABILITY D5): in every views.py, a row looked up by key goes through the
per-user queryset of its model (``visible_to(user)``, ``editable_by(user)`` and their kin).

A lookup is ``get_object_or_404(…)``/``get_list_or_404(…)``, ``<queryset>.get(…)``, or
``<queryset>.filter(pk=…)``/``filter(id=…)``; ``<queryset>`` is scoped when a scoping method is called
somewhere in it, directly or through a name assigned in the same function or a module-level function
returning it (``detail_queryset(user)``). A class view declaring ``model``/``queryset`` is checked
the same way, unless it overrides ``get_queryset``. Runtime scoping is proven per role elsewhere
(tests/security/test_cross_unit.py).
"""

import ast
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCOPES = {"visible_to", "editable_by", "contents_visible_to", "activities_loggable_by"}
LOOKUP_FUNCTIONS = {"get_object_or_404", "get_list_or_404"}
KEY_ARGUMENTS = {"pk", "id", "pk__in", "id__in"}
# (path, function, lookup source) → why it may read every row. Public lookups belong here.
ALLOWED: dict[tuple[str, str, str], str] = {}


def scoped(node: ast.AST, names: dict[str, ast.AST], helpers: dict[str, ast.AST], seen=frozenset()) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute) and child.func.attr in SCOPES:
            return True
        if isinstance(child, ast.Name) and child.id in names and child.id not in seen:
            if scoped(names[child.id], names, helpers, seen | {child.id}):
                return True
        if isinstance(child, ast.Call) and isinstance(child.func, ast.Name) and child.func.id in helpers:
            if child.func.id not in seen and scoped(helpers[child.func.id], names, helpers, seen | {child.func.id}):
                return True
    return False


def is_queryset_expression(node: ast.AST, names: dict[str, ast.AST], seen=frozenset()) -> bool:
    """Built on ``<Model>.objects`` directly or through a local name assigned from such an expression."""
    for child in ast.walk(node):
        if isinstance(child, ast.Attribute) and child.attr in {"objects", "_default_manager"}:
            return True
        if isinstance(child, ast.Name) and child.id in names and child.id not in seen:
            if is_queryset_expression(names[child.id], names, seen | {child.id}):
                return True
    return False


def assignments(function: ast.AST) -> dict[str, ast.AST]:
    found = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value
                elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
                    found[f"{target.value.id}.{target.attr}"] = node.value
    return found


def module_helpers(tree: ast.Module) -> dict[str, ast.AST]:
    """Module-level functions, by what they return."""
    helpers = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            returned = [child.value for child in ast.walk(node) if isinstance(child, ast.Return) and child.value]
            if returned:
                helpers[node.name] = ast.Tuple(elts=returned, ctx=ast.Load())
    return helpers


def unscoped_lookups(source: str, filename: str = "<string>") -> list[str]:
    tree = ast.parse(source, filename)
    helpers = module_helpers(tree)
    problems = []

    def report(function_name: str, node: ast.AST, target: ast.AST):
        key = (filename, function_name, ast.unparse(target))
        if key not in ALLOWED:
            problems.append(f"{filename}:{node.lineno} {function_name}: {ast.unparse(node)[:120]}")

    functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    for function in functions:
        names = assignments(function)
        for node in ast.walk(function):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Name) and func.id in LOOKUP_FUNCTIONS and node.args:
                if not scoped(node.args[0], names, helpers):
                    report(function.name, node, node.args[0])
            elif isinstance(func, ast.Attribute) and func.attr in {"get", "filter"}:
                if func.attr == "filter" and not KEY_ARGUMENTS & {keyword.arg for keyword in node.keywords}:
                    continue
                if is_queryset_expression(func.value, names) and not scoped(func.value, names, helpers):
                    report(function.name, node, func.value)

    for cls in (node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)):
        methods = {node.name for node in cls.body if isinstance(node, ast.FunctionDef)}
        for statement in cls.body:
            if (
                isinstance(statement, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id in {"model", "queryset"} for t in statement.targets)
                and "get_queryset" not in methods
                and not scoped(statement.value, {}, helpers)
            ):
                report(cls.name, statement, statement.value)
    return problems


def views_modules():
    for path in sorted(ROOT.glob("*/views.py")):
        if ".venv" not in path.parts:
            yield path.relative_to(ROOT).as_posix(), path.read_text()


def test_every_lookup_in_the_views_is_scoped_to_the_user():
    modules = dict(views_modules())
    assert {"communes/views.py", "partnerships/views.py", "commitments/views.py", "reports/views.py"} <= set(modules)
    problems = [problem for name, source in modules.items() for problem in unscoped_lookups(source, name)]
    assert problems == []


def test_the_gate_catches_unscoped_lookups():
    source = textwrap.dedent(
        """
        from django.shortcuts import get_object_or_404
        from django.views.generic import DetailView

        def detail_queryset(user):
            return Partnership.objects.visible_to(user).with_health()

        def fine(request, pk):
            get_object_or_404(Partnership.objects.visible_to(request.user), pk=pk)
            get_object_or_404(detail_queryset(request.user), pk=pk)
            editable = Commitment.objects.editable_by(request.user)
            editable.filter(pk=pk).exists()
            Membership.objects.filter(partnership__in=Partnership.objects.editable_by(request.user)).get(pk=pk)
            request.GET.get("q")
            Commitment.objects.filter(owner=request.user.commune)  # not a lookup by key

        def leaky(request, pk):
            get_object_or_404(Partnership, pk=pk)                          # line 18
            Commitment.objects.get(pk=pk)                                  # 19
            Commitment.objects.filter(pk=pk).first()                       # 20
            rows = Document.objects.select_related("partnership")
            get_object_or_404(rows, pk=pk)                                 # 22
            rows.filter(id__in=[pk])                                       # 23

        class LeakyDetail(DetailView):
            model = Partnership                                            # 26

        class ScopedDetail(DetailView):
            model = Partnership

            def get_queryset(self):
                return Partnership.objects.visible_to(self.request.user)
        """
    )
    lines = sorted(int(problem.split(":")[1].split()[0]) for problem in unscoped_lookups(source))
    assert lines == [18, 19, 20, 22, 23, 26]
