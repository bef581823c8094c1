"""Measure what validating one uploaded image costs, in a process of its own (tests/security/test_image_cost.py).

    python -m tests.security.image_cost PATH  →  {"code": "accepted" | refusal code, "cpu": s, "rss_growth_mb": MB}

A fresh process, so that its peak resident memory before the call is the baseline and the growth is
what the decoding alone allocated. The peak is read from /proc (VmHWM): getrusage's ru_maxrss keeps the
peak of the process that exec'd this one (pytest's, hundreds of MB), which would hide everything.
"""

import json
import os
import sys
import time


def peak_rss_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def main(path: str) -> None:
    import django

    django.setup()
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from partnerships.uploads import validate_upload

    with open(path, "rb") as handle:
        upload = SimpleUploadedFile(os.path.basename(path), handle.read())
    connection.ensure_connection()  # the decoding slot is a PostgreSQL lock: connect before measuring
    baseline = peak_rss_kb()
    started = time.process_time()
    try:
        validate_upload(upload)
        code = "accepted"
    except ValidationError as refusal:
        code = refusal.error_list[0].code
    cpu = time.process_time() - started
    growth = (peak_rss_kb() - baseline) / 1024
    print(json.dumps({"code": code, "cpu": round(cpu, 3), "rss_growth_mb": round(growth, 1)}))


if __name__ == "__main__":
    main(sys.argv[1])
