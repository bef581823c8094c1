"""Antivirus scanning of uploads behind a one-method interface: ``scan(bytes) -> ScanResult``.

Production talks to ClamAV's daemon (clamd) over its Unix socket; tests and development use a stub
that knows one "virus", the EICAR test string, because signatures cannot be downloaded offline.
The setting ``UPLOAD_SCANNER`` chooses: ``"stub"`` or ``"clamd:/run/clamav/clamd.ctl"``.

A scanner that cannot answer (clamd down, a timeout, an unexpected reply) raises ScanError, and the
upload is refused: uploads fail closed.
"""

import socket
import struct
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# The stub flags files carrying the EICAR test string (https://www.eicar.org), which every real
# scanner also reports; the marker is its unique middle part.
EICAR_MARKER = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!"
CLAMD_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""  # what the scanner found, for the security log; never shown as is


class ScanError(Exception):
    """The scanner gave no verdict: treat the file as unsafe."""


class Scanner(Protocol):
    def scan(self, data: bytes) -> ScanResult: ...


class StubScanner:
    """Development and tests only: flags the EICAR test string, passes everything else."""

    def scan(self, data: bytes) -> ScanResult:
        if EICAR_MARKER in data:
            return ScanResult(clean=False, signature="Eicar-Test-Signature")
        return ScanResult(clean=True)


class ClamdScanner:
    """ClamAV's daemon over a Unix socket, with the INSTREAM command (no file ever touches a shared disk)."""

    def __init__(self, socket_path: str, *, timeout: float = 30.0):
        self.socket_path = socket_path
        self.timeout = timeout

    def scan(self, data: bytes) -> ScanResult:
        try:
            reply = self._instream(data)
        except OSError as error:
            raise ScanError(f"clamd at {self.socket_path}: {error}") from error
        text = reply.rstrip(b"\0").decode("utf-8", errors="replace").strip()
        verdict = text.split(":", 1)[-1].strip()  # "stream: OK" / "stream: Eicar-Signature FOUND"
        if verdict == "OK":
            return ScanResult(clean=True)
        if verdict.endswith(" FOUND"):
            return ScanResult(clean=False, signature=verdict.removesuffix(" FOUND").strip())
        raise ScanError(f"clamd at {self.socket_path} answered {text!r}")

    def _instream(self, data: bytes) -> bytes:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(self.timeout)
            connection.connect(self.socket_path)
            connection.sendall(b"zINSTREAM\0")
            for start in range(0, len(data), CLAMD_CHUNK_BYTES):
                chunk = data[start : start + CLAMD_CHUNK_BYTES]
                connection.sendall(struct.pack("!L", len(chunk)) + chunk)
            connection.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                received = connection.recv(4096)
                if not received:
                    break
                reply += received
        return reply


def scanner_from_setting(value: str) -> Scanner:
    """``"stub"`` or ``"clamd:<path of clamd's socket>"`` (``clamd:///run/clamav/clamd.ctl`` works too)."""
    if value == "stub":
        return StubScanner()
    if value.startswith("clamd:"):
        path = "/" + value.removeprefix("clamd:").lstrip("/")
        return ClamdScanner(path)
    raise ImproperlyConfigured(f"UPLOAD_SCANNER must be 'stub' or 'clamd:<socket path>', not {value!r}")


def get_scanner() -> Scanner:
    return scanner_from_setting(getattr(settings, "UPLOAD_SCANNER", "stub"))
