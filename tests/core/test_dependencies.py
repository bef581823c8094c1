"""Production ships production: the image installs the production lock only, and that lock holds no
test or benchmark tool."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def pinned(lock_file: str) -> set[str]:
    text = (ROOT / lock_file).read_text()
    return {match.lower() for match in re.findall(r"^([A-Za-z0-9_.-]+)==", text, flags=re.MULTILINE)}


def required_by(package: str) -> set[str]:
    """The packages that the production lock's "# via" notes name for ``package``."""
    text = (ROOT / "requirements.lock").read_text()
    block = re.search(rf"^{re.escape(package)}==\S+\n((?:    #.*\n)+)", text, flags=re.MULTILINE | re.IGNORECASE)
    notes = block.group(1) if block else ""
    return {
        re.split(r"[ (]", line.strip("# ").strip(), maxsplit=1)[0]
        for line in notes.splitlines()
        if line.strip("# ").strip() not in ("via", "")
    }


def declared(names: list[str]) -> set[str]:
    return {re.split(r"[~=<>\[ ]", name, maxsplit=1)[0].lower() for name in names}


def test_the_image_installs_the_production_lock_only():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    assert "requirements-dev.lock" not in dockerfile


def test_the_production_lock_has_every_dependency_and_no_development_tool():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    production = pinned("requirements.lock")
    development_only = declared(project["optional-dependencies"]["dev"]) - declared(project["dependencies"])

    assert declared(project["dependencies"]) <= production
    # A development tool may be in production's lock only because a production package needs it.
    needed_by_production = {name for name in development_only & production if required_by(name) - {"ketnghia-portal"}}
    assert development_only & production == needed_by_production
    assert {"pytest", "playwright", "locust", "hypothesis", "ruff"} <= development_only - production


def test_the_development_lock_pins_the_production_lock_at_the_same_versions():
    def versions(lock_file):
        text = (ROOT / lock_file).read_text()
        return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", text, flags=re.MULTILINE))

    production, development = versions("requirements.lock"), versions("requirements-dev.lock")
    assert {name: development.get(name) for name in production} == production


def test_production_settings_do_not_install_the_demo_and_benchmark_seeders():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_SECRET_KEY"] = "production-like-key-for-this-test-only-0123456789"
    code = "import config.settings.base as s; print('demo' in s.INSTALLED_APPS)"
    printed = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert printed.stdout.strip() == "False"
