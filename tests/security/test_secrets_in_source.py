"""No secret is written in the repository (RELIABILITY A8): production secrets come only from the
environment (config/settings/base.py reads them with ``env(...)`` and has no default).

The gate greps every tracked file for a secret-looking name given a literal value (Python, YAML, shell,
Dockerfile, .env files), credentials inside URLs and private keys. The few literals that are meant to be
there are listed below with the reason; the last test proves the gate fires on each kind of leak.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Credentials that are public on purpose: each is for demonstration, benchmarks, tests or a build step,
# never accepted by a production deployment (which sets DJANGO_SECRET_KEY and creates its own accounts).
INTENDED = {
    ("accounts/mfa.py", "DEMO_TOTP_SECRET"): "the demo accounts' authenticator key, printed by seed_demo",
    ("demo/demo_data.py", "DEMO_PASSWORD"): "the demo accounts' password, printed by seed_demo and in README",
    ("demo/scale_data.py", "SCALE_PASSWORD"): "the benchmark accounts (seed_scale) on bench databases",
    ("config/settings/dev.py", "DJANGO_SECRET_KEY"): "a developer's machine only (make run)",
    ("config/settings/test.py", "DJANGO_SECRET_KEY"): "the test suite",
    ("bench/settings.py", "DJANGO_SECRET_KEY"): "make bench",
    ("Dockerfile", "DJANGO_SECRET_KEY"): "collectstatic while the image is built; the container gets its own",
}
# Test code signs fixtures in with passwords of its own: none of them exists outside a test database.
SKIPPED_FOLDERS = ("tests/",)
SCANNED_SUFFIXES = {".py", ".yml", ".yaml", ".toml", ".cfg", ".ini", ".sh", ".env", ".json", ".js", ".html", ".txt"}
SCANNED_NAMES = {"Dockerfile", "Makefile", ".env.example", ".ci/run", "docker-compose.yml"}

# A name that holds a secret ends with one of these words (SECRET_KEY, REDIS_PASSWORD, api_token…);
# PASSWORD_CHANGED_EVENT or client_token=token do not hold one.
SECRET_WORD = r"(?:PASSWORD|PASSWD|SECRET|SECRET_KEY|TOKEN|API_KEY|PRIVATE_KEY)"
SECRET_NAME = rf"[A-Za-z_]*{SECRET_WORD}"
ENV_NAME = rf"(?-i:[A-Z_]*{SECRET_WORD})"  # environment variables are written in capitals
LITERAL = r"[^\s\"'$%{}()<>]{6,}"  # not a reference: ${VAR}, {placeholder}, %(name)s, env(...)
# What an example or a template writes where the deployer puts the real value.
PLACEHOLDERS = {"change-me"}
PATTERNS = [
    # NAME = "value", NAME: "value", "NAME": "value"
    re.compile(rf"\b(?P<name>{SECRET_NAME})[\"']?\s*[:=]\s*[\"'](?P<value>{LITERAL})[\"']", re.IGNORECASE),
    # os.environ.setdefault("NAME", "value"), env("NAME", default="value")
    re.compile(rf"[\"'](?P<name>{ENV_NAME})[\"']\s*,\s*(?:default\s*=\s*)?[\"'](?P<value>{LITERAL})[\"']"),
    # shell, Dockerfile and .env: NAME=value
    re.compile(rf"\b(?P<name>{ENV_NAME})=(?P<value>{LITERAL})(?:\s|$)"),
    # scheme://user:password@host
    re.compile(r"\b[a-z][a-z0-9+.-]*://(?P<name>[^:/\s\"'@]*):(?P<value>[^@/\s\"'$%{}()<>]{4,})@", re.IGNORECASE),
    re.compile(r"-----BEGIN (?P<name>[A-Z ]*PRIVATE KEY)-----(?P<value>)"),
]


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return listed.stdout.splitlines()


def scanned(path: str) -> bool:
    if path.startswith(SKIPPED_FOLDERS):
        return False
    name = Path(path).name
    return path in SCANNED_NAMES or name in SCANNED_NAMES or Path(path).suffix in SCANNED_SUFFIXES


def secret_literals(path: str, text: str) -> list[tuple[str, int, str]]:
    """(path, line, name) of every secret-looking literal in ``text`` that is not listed as intended."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        for pattern in PATTERNS:
            for match in pattern.finditer(line):
                if (path, match["name"]) not in INTENDED and match["value"] not in PLACEHOLDERS:
                    found.append((path, number, match["name"]))
    return found


def test_no_secret_is_written_in_the_repository():
    files = [path for path in tracked_files() if scanned(path) and (ROOT / path).is_file()]
    assert len(files) > 200, "the gate must see the repository"
    leaks = [leak for path in files for leak in secret_literals(path, (ROOT / path).read_text(errors="replace"))]
    assert leaks == []


def test_every_intended_literal_is_still_where_the_list_says():
    """A stale entry would let a new secret of the same name through unnoticed."""
    for path, name in INTENDED:
        assert name in (ROOT / path).read_text(), (path, name)


def test_the_example_environment_file_leaves_every_secret_empty():
    for line in (ROOT / ".env.example").read_text().splitlines():
        key, _, value = line.partition("=")
        if re.fullmatch(SECRET_NAME, key.strip(), re.IGNORECASE):
            assert value.strip() == "", f"{key} must be set by whoever deploys, not by the example"


def test_the_gate_fires_on_each_kind_of_leak():
    leaks = {
        'SECRET_KEY = "django-insecure-abc123"': "SECRET_KEY",
        "    'PASSWORD': 'hunter22',": "PASSWORD",
        'os.environ.setdefault("DJANGO_SECRET_KEY", "literal-key")': "DJANGO_SECRET_KEY",
        'api_token = env("API_TOKEN", default="t0ps3cret")': "API_TOKEN",
        "RUN REDIS_PASSWORD=letmein1 make": "REDIS_PASSWORD",
        "DATABASE_URL: postgresql://ketnghia:s3cretpw@postgres:5432/ketnghia": "ketnghia",
        "-----BEGIN RSA PRIVATE KEY-----": "RSA PRIVATE KEY",
    }
    for line, name in leaks.items():
        assert [leak[2] for leak in secret_literals("config/settings/base.py", line)] == [name], line
    references = [
        'SECRET_KEY = env("DJANGO_SECRET_KEY")',
        "REDIS_URL: redis://:${REDIS_PASSWORD}@redis:6379/0",
        'redis_url = f"redis://:{redis_password}@127.0.0.1:{port}/0"',
        "DJANGO_SECRET_KEY=",
        "password = forms.CharField(widget=forms.PasswordInput)",
        'PASSWORD_CHANGED_EVENT = "password_change"',
        "change_password(user=user, new_password=new_password)",
        'exclude=["password", "last_login"]',
    ]
    for line in references:
        assert secret_literals("config/settings/base.py", line) == [], line
    assert secret_literals(".env.example", "DATABASE_URL=postgresql://ketnghia:change-me@postgres/ketnghia") == []
    # An intended literal is intended only where the list says.
    assert secret_literals("demo/demo_data.py", 'DEMO_PASSWORD = "demo-password-2025"') == []
    assert secret_literals("config/settings/base.py", 'DEMO_PASSWORD = "demo-password-2025"') != []
