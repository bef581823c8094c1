"""What one accepted image may cost, and that heavy decoding cannot take every web worker (issue 21 item 1,
RELIABILITY F4 for files just under the limit).

Before: a 154 KB PNG of 6300 × 6300 RGBA (just under the 40-megapixel limit) was accepted, and ten of
them in one post kept a worker busy 13 s and took it from 109 to 657 MB. Each image here is validated in
a fresh process (tests/security/image_cost.py) so that its CPU time and peak memory are its own.
"""

import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from PIL import Image, ImageFile

from partnerships.uploads import DECODE_LOCK_NAMESPACE, MAX_DECODED_BYTES, decoded_bytes, validate_upload
from tests.live_services import database_url

ROOT = Path(__file__).resolve().parents[2]
MAX_CPU_SECONDS = 1.0
MAX_RSS_GROWTH_MB = 100
MiB = 1024 * 1024


def flat(mode: str, size: tuple[int, int]) -> Image.Image:
    """A gradient: compresses to a few KB like the attack files, decodes to its full size."""
    return Image.linear_gradient("L").resize(size).convert(mode)


def noise(mode: str, size: tuple[int, int]) -> Image.Image:
    """Incompressible: the largest decoding work a file under the 15 MB upload limit can ask for."""
    return Image.frombytes(mode, size, os.urandom(size[0] * size[1] * len(mode)))


def saved(image: Image.Image, folder: Path, name: str, **options) -> Path:
    path = folder / name
    image.save(path, **options)
    return path


def cost(path: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.test", "DJANGO_ENV_FILE": "/dev/null"})
    env["DATABASE_URL"] = database_url()
    result = subprocess.run(
        [sys.executable, "-m", "tests.security.image_cost", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def just_under(mode: str, bytes_per_pixel: int) -> tuple[int, int]:
    side = int((MAX_DECODED_BYTES / bytes_per_pixel) ** 0.5) - 2
    return side, side


@pytest.mark.django_db
def test_images_just_under_every_limit_cost_under_a_second_and_100_mb(tmp_path):
    cases = {
        "rgb.png": saved(flat("RGB", just_under("RGB", 4)), tmp_path, "rgb.png"),
        "rgba.png": saved(flat("RGBA", just_under("RGBA", 8)), tmp_path, "rgba.png"),
        "grey.png": saved(flat("L", (6300, 6300 * 9 // 10)), tmp_path, "grey.png"),  # under 36 MiB and 40 MP
        "grey16.png": saved(flat("I;16", just_under("I;16", 2)), tmp_path, "grey16.png"),
        "noise.png": saved(noise("RGB", (2200, 2200)), tmp_path, "noise.png"),  # 14.5 MB of file
        "photo-40mp.jpg": saved(flat("RGB", (7290, 5480)), tmp_path, "photo-40mp.jpg", quality=90),
        "noise.jpg": saved(noise("RGB", (4656, 3496)), tmp_path, "noise.jpg", quality=90),  # 16 MP, ≈ 14 MB
    }
    measured = {name: cost(path) for name, path in cases.items()}
    print(measured)  # the figures, for docs/RELIABILITY-MATRIX.md (pytest -s)
    for name, figures in measured.items():
        assert figures["code"] == "accepted", (name, figures)
        assert figures["cpu"] < MAX_CPU_SECONDS, (name, figures)
        assert figures["rss_growth_mb"] < MAX_RSS_GROWTH_MB, (name, figures)


@pytest.mark.django_db
def test_the_reported_rgba_bomb_is_refused_fast_and_small(tmp_path):
    path = saved(flat("RGBA", (6300, 6300)), tmp_path, "bomb.png")
    assert path.stat().st_size < 400_000  # a small file: the attack is in the decoding
    figures = cost(path)
    assert figures["code"] == "decompression_bomb"
    assert figures["cpu"] < 0.1 and figures["rss_growth_mb"] < 10, figures


@pytest.mark.parametrize(
    ("mode", "size", "expected"),
    [
        ("RGB", (100, 100), 40_000),
        ("RGBA", (100, 100), 80_000),
        ("L", (100, 100), 10_000),
        ("I;16", (100, 100), 20_000),
    ],
)
def test_the_decoded_size_counts_bytes_by_mode_and_bit_depth(mode, size, expected):
    assert decoded_bytes(Image.new(mode, size)) == expected


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


HEAVY_PNG = png(flat("RGB", (2100, 2100)))  # 17.6 MB decoded: over HEAVY_DECODED_BYTES


@pytest.mark.django_db(transaction=True)
def test_when_every_decoding_slot_is_taken_a_post_is_refused_quickly_and_kindly(settings):
    """Other workers hold every slot (here: another database connection): this one does not wait for
    them, it refuses in IMAGE_DECODE_WAIT_SECONDS with a message saying to send again."""
    settings.IMAGE_DECODE_SLOTS, settings.IMAGE_DECODE_WAIT_SECONDS = 2, 0.3
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            for slot in range(2):
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [DECODE_LOCK_NAMESPACE, slot])
        assert validate_upload(SimpleUploadedFile("nho.png", png(flat("RGB", (1200, 900))))).size > 0  # light
        with pytest.raises(ValidationError) as refused:
            validate_upload(SimpleUploadedFile("lon.png", HEAVY_PNG))
        assert refused.value.error_list[0].code == "server_busy"
        assert "gửi lại" in refused.value.messages[0]
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, 1)", [DECODE_LOCK_NAMESPACE])
        assert validate_upload(SimpleUploadedFile("lon.png", HEAVY_PNG)).size > 0
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_at_most_the_configured_number_of_images_decode_at_once(settings):
    settings.IMAGE_DECODE_SLOTS, settings.IMAGE_DECODE_WAIT_SECONDS = 1, 30
    import partnerships.uploads as uploads

    active, peak, lock = 0, 0, threading.Lock()
    real_load = ImageFile.ImageFile.load  # decoding a file; scaling and encoding follow in the same slot

    def counting_load(image):
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            threading.Event().wait(0.2)
            return real_load(image)
        finally:
            with lock:
                active -= 1

    errors = []

    def post():
        try:
            validate_upload(SimpleUploadedFile("anh.png", HEAVY_PNG))
        except Exception as error:  # collected: a thread's exception would otherwise vanish
            errors.append(error)
        finally:
            connections.close_all()

    ImageFile.ImageFile.load = counting_load
    try:
        threads = [threading.Thread(target=post) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        ImageFile.ImageFile.load = real_load
    assert errors == [] and peak == 1, (errors, peak)
    assert uploads.MAX_DECODED_BYTES == 36 * MiB
