"""The web container's health check: ``python -m operations.healthcheck`` (docker-compose.yml).

It asks the local gunicorn for ``/healthz`` as the reverse proxy would: with a host name the portal
answers to (the first of DJANGO_ALLOWED_HOSTS; a bare ``127.0.0.1`` is refused with 400 in production)
and ``X-Forwarded-Proto: https`` (otherwise DJANGO_SECURE_SSL_REDIRECT answers a redirect to HTTPS).
Exit status 0 when the portal answers 200. Imports nothing of Django: it runs every few seconds.
"""

import os
import sys
import urllib.error
import urllib.request

URL = "http://127.0.0.1:8000/healthz"


def probe_headers(environ=os.environ) -> dict[str, str]:
    hosts = [host.strip() for host in environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if host.strip()]
    # ".example.org" allows every subdomain and the domain itself; "*" allows anything.
    named = [host.lstrip(".") for host in hosts if host != "*"]
    return {"Host": named[0] if named else "localhost", "X-Forwarded-Proto": "https"}


def main() -> int:
    request = urllib.request.Request(URL, headers=probe_headers())
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # nosec B310 # fixed loopback http URL
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as error:
        print(f"healthz: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
