import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_settings(module: str, **env) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": module,
            "DJANGO_ENV_FILE": "/dev/null",
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            **env,
        }
    )
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_start_without_a_secret():
    result = run_settings("config.settings.base")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_are_not_in_debug_by_default():
    result = run_settings("config.settings.base", DJANGO_SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_database_url_must_be_postgresql():
    result = run_settings("config.settings.base", DJANGO_SECRET_KEY="x" * 50, DATABASE_URL="sqlite:///db.sqlite3")
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgresql://u:p@db.example:5433/portal",
            {"NAME": "portal", "USER": "u", "PASSWORD": "p", "HOST": "db.example", "PORT": "5433"},
        ),
        (
            "postgresql://postgres:@/postgres?host=/work/var/pgdata",
            {"NAME": "postgres", "HOST": "/work/var/pgdata", "PORT": ""},
        ),
    ],
)
def test_database_settings_from_url(url, expected):
    from config.database import database_settings

    settings = database_settings(url)
    assert {key: settings[key] for key in expected} == expected


def test_deploy_checks_pass_with_production_environment():
    environment = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_ENV_FILE": "/dev/null",
            "DJANGO_SECRET_KEY": "k3Y-" + "q7Zx9Lm2Vb8Nc4Tr" * 4,
            "DJANGO_SECURE_SSL_REDIRECT": "true",
            "DJANGO_HSTS_SECONDS": "31536000",
            "DJANGO_ALLOWED_HOSTS": "ketnghia.danang.gov.vn",
            "UPLOAD_SCANNER": "clamd:/run/clamav/clamd.ctl",
            "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgresql://nobody@127.0.0.1:1/none",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def example_environment() -> dict[str, str]:
    """The process environment of a deployment configured by .env.example alone: every variable the file
    names comes from the file (none from this shell), plus the secret key it deliberately leaves empty."""
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^([A-Z0-9_]+)=", example, re.M))
    inherited = {key for key in os.environ if key in documented or key.startswith("DJANGO_")}
    environment = {key: value for key, value in os.environ.items() if key not in inherited}
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_ENV_FILE": str(ROOT / ".env.example"),
            "DJANGO_SECRET_KEY": "k3Y-" + "q7Zx9Lm2Vb8Nc4Tr" * 4,
        }
    )
    return environment


def test_the_example_environment_file_passes_the_deploy_check_as_shipped():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=example_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_example_turns_on_https_redirect_and_a_year_of_hsts():
    values = dict(re.findall(r"^([A-Z0-9_]+)=(.*)$", (ROOT / ".env.example").read_text(), re.M))
    assert values["DJANGO_SECURE_SSL_REDIRECT"] == "true"
    assert int(values["DJANGO_HSTS_SECONDS"]) >= 31_536_000


def test_uploads_go_to_an_s3_compatible_store_when_the_environment_says_so():
    """Issue 21 item 10: web hosts that share no disk keep files in an object store, through STORAGES."""
    probe = (
        "import django; django.setup(); from django.core.files.storage import storages; s = storages['default']; "
        "print(type(s).__module__, type(s).__name__, s.bucket_name, s.endpoint_url, s.location, s.file_overwrite)"
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "S3_"))}
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DJANGO_ENV_FILE": "/dev/null",
            "DJANGO_SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "DJANGO_FILE_STORAGE": "s3",
            "S3_BUCKET": "ketnghia-files",
            "S3_ENDPOINT_URL": "https://s3.danang.example",
        }
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert result.stdout.split() == [
        "storages.backends.s3",
        "S3Storage",
        "ketnghia-files",
        "https://s3.danang.example",
        "media",
        "False",
    ], result.stderr[-2000:]
    environment["DJANGO_FILE_STORAGE"] = "ftp"
    refused = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert refused.returncode != 0 and "DJANGO_FILE_STORAGE" in refused.stderr
    del environment["DJANGO_FILE_STORAGE"]
    local = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert "has no attribute 'bucket_name'" in local.stderr and "FileSystemStorage" in local.stderr
