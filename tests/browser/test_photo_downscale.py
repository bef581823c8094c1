"""Photos chosen on a phone are shrunk in the browser before they travel over a weak link."""

import io
import random

import pytest
from PIL import Image
from weasyprint import HTML

from commitments.models import Evidence, ProgressUpdate
from partnerships.uploads import MAX_IMAGE_SIDE
from tests import factories
from tests.browser.pages import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def camera_photo(width: int = 4000, height: int = 3000) -> bytes:
    """A photo the size a phone takes, with enough detail that JPEG cannot make it small by itself."""
    rng = random.Random(7)
    image = Image.frombytes("RGB", (width // 8, height // 8), rng.randbytes(width // 8 * height // 8 * 3))
    buffer = io.BytesIO()
    image.resize((width, height), Image.Resampling.NEAREST).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def chosen_files(page) -> list[dict]:
    return page.evaluate(
        """() => Array.from(document.querySelector("input[name=evidence]").files)
                 .map(f => ({name: f.name, size: f.size, type: f.type}))"""
    )


def test_a_large_photo_is_shrunk_before_it_is_sent_and_a_pdf_is_left_alone(new_page, tmp_path):
    world = factories.World.build()
    photo = tmp_path / "IMG_2041.PNG.jpeg"
    photo.write_bytes(camera_photo())
    memo = tmp_path / "bien-ban.pdf"
    memo.write_bytes(HTML(string="<h1>Biên bản bàn giao</h1>").write_pdf())
    page = new_page(viewport=PHONE)
    log_in(page, world.officer.username, factories.PASSWORD)
    page.goto(f"/commitments/{world.commitment.pk}/progress/new/")
    page.locator("input[name=evidence]").set_input_files([str(photo), str(memo)])
    submit = page.get_by_role("button", name="Gửi báo cáo")
    page.wait_for_function("() => !document.querySelector('input[name=evidence]').hasAttribute('aria-busy')")
    assert submit.is_enabled()

    photo_file, memo_file = chosen_files(page)
    assert photo_file["type"] == "image/jpeg" and photo_file["name"] == "IMG_2041.PNG.jpg"
    assert photo_file["size"] < photo.stat().st_size * 0.8, (photo_file["size"], photo.stat().st_size)
    drawn = page.evaluate(
        """async () => {
             const bitmap = await createImageBitmap(document.querySelector("input[name=evidence]").files[0]);
             return [bitmap.width, bitmap.height];
           }"""
    )
    assert drawn == [MAX_IMAGE_SIDE, MAX_IMAGE_SIDE * 3 // 4]
    assert memo_file == {"name": "bien-ban.pdf", "size": memo.stat().st_size, "type": "application/pdf"}

    page.locator("textarea[name=narrative]").fill("Đã bàn giao, ảnh toàn cảnh kèm theo.")
    if page.locator("input[name=achieved_quantity]").count():
        page.locator("input[name=achieved_quantity]").fill("1")
    submit.click()
    page.get_by_role("status").filter(has_text="Đã gửi báo cáo tiến độ").wait_for()
    # Outside a dialog, "Đóng" is a plain link back to the commitment.
    page.get_by_role("link", name="Đóng").click()
    page.wait_for_url(f"**/commitments/{world.commitment.pk}/")
    update = ProgressUpdate.objects.get(commitment=world.commitment, state=ProgressUpdate.State.SUBMITTED)
    stored = update.evidence.get(kind=Evidence.Kind.PHOTO)
    with stored.file.open("rb") as handle, Image.open(handle) as image:
        assert max(image.size) <= MAX_IMAGE_SIDE
    assert page.console_errors == []
