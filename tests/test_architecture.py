"""The dependency direction communes ← partnerships ← commitments ← reports: imports (import-linter)
and the back doors import-linter cannot see."""

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_domain_layers_point_one_way():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Domain layering KEPT" in result.stdout


# --- No app reaches a higher layer's models by the back door ------------------------------------
#
# import-linter sees imports only. A model reached through ``_meta.get_field(...).related_model``,
# ``apps.get_model(...)`` or a string naming a higher app ("commitments", "commitments.Field") is the
# same dependency, hidden. Each entry below is a known exception, with why it is still there.

KNOWN_REACHES = {
    # Its own foreign keys (field, owner): the same app or a lower one.
    ("commitments/services.py", "related_model"): "describes changes of the commitment's own foreign keys",
}


def layer_ranks() -> dict[str, int]:
    """Each app's height in the import-linter layers: an app may depend only on lower ranks."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == "Domain layering")
    return {
        app.strip(): rank
        for rank, layer in enumerate(reversed(contract["layers"]))
        for app in layer.replace(":", "|").split("|")
    }


def back_door_reaches(source: str, app: str, ranks: dict[str, int]) -> set[str]:
    higher = [other for other, rank in ranks.items() if rank > ranks[app]]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "related_model":
            found.add("related_model")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "get_model":
            found.add("get_model")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if any(node.value == other or node.value.startswith(f"{other}.") for other in higher):
                found.add(repr(node.value))
    return found


def test_no_app_reaches_a_higher_layer_through_meta_model_labels_or_app_names():
    ranks = layer_ranks()
    found = {
        (str(path.relative_to(ROOT)), reach)
        for app in ranks
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
        for reach in back_door_reaches(path.read_text(), app, ranks)
    }
    assert found - set(KNOWN_REACHES) == set(), "a new back-door reach to a higher layer"
    assert set(KNOWN_REACHES) - found == set(), "a known reach is gone: remove it from KNOWN_REACHES"


def test_the_scan_sees_each_kind_of_back_door():
    ranks = {"communes": 1, "partnerships": 2}
    source = (
        'membership = Commune._meta.get_field("memberships").related_model\n'
        'model = apps.get_model("partnerships.Membership")\n'
        'APPS = {"partnerships"}\n'
    )
    assert back_door_reaches(source, "communes", ranks) == {
        "related_model",
        "get_model",
        "'partnerships.Membership'",
        "'partnerships'",
    }
    assert back_door_reaches('APPS = {"communes"}\n', "partnerships", ranks) == set()
