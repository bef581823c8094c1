"""A body larger than REQUEST_MAX_BYTES is refused from its Content-Length, unread (issue 21 item 9).

Before, a 200 MB post was received in full before the 15 MB file limit refused it. Here the request
declares 200 MB but carries one byte: reading the body would raise (the test client's payload refuses
to read past what it has), so a 413 proves nothing read it.
"""

import pytest
from django.conf import settings
from django.urls import reverse

from commitments.models import ProgressUpdate
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

DECLARED = 200 * 1024 * 1024


@pytest.mark.parametrize("signed_in", [True, False])
def test_a_declared_200_mb_body_is_refused_before_it_is_read(client, world, signed_in):
    if signed_in:
        sign_in(client, world.officer)
    url = reverse("commitments:progress_create", args=[world.commitment.pk])
    response = client.post(url, data=b"x", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=str(DECLARED))
    assert response.status_code == 413
    body = response.content.decode()
    assert "Dữ liệu gửi lên quá lớn" in body and f"{settings.REQUEST_MAX_BYTES // (1024 * 1024)} MB" in body
    assert response["Connection"] == "close" and "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert not ProgressUpdate.objects.exists()


def test_a_body_within_the_limit_goes_on_to_the_view(client, world):
    sign_in(client, world.officer)
    url = reverse("commitments:progress_create", args=[world.commitment.pk])
    response = client.post(url, {"narrative": ""})
    assert response.status_code == 200  # the form again, with its errors


def test_the_limit_covers_ten_files_of_the_largest_size_a_phone_sends():
    assert settings.REQUEST_MAX_BYTES >= 4 * settings.UPLOAD_MAX_BYTES
    assert settings.MIDDLEWARE.index("core.middleware.RequestSizeLimitMiddleware") < settings.MIDDLEWARE.index(
        "core.middleware.UnicodeNormalizationMiddleware"
    )  # that one reads request.POST
