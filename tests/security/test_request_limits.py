"""Request limits (RELIABILITY E7): an oversized non-file body, more than 1,000 fields and more than 20
files (twice the forms' limit of 10, which the forms refuse themselves) are each refused with 400 before any view or form runs, and nothing is stored."""

import uuid

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from commitments.models import ProgressUpdate
from tests.commitments import fixtures
from tests.signin import sign_in

pytestmark = pytest.mark.django_db

SECRETS = ("Traceback", "RequestDataTooBig", "TooManyFields", "TooManyFiles", "django.")


def test_the_limits_are_set():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2.5 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 20


def progress_post(world, **extra):
    client = Client(enforce_csrf_checks=False)
    sign_in(client, world.officer)
    data = {"achieved_quantity": "1", "narrative": "Đã bàn giao", "client_token": str(uuid.uuid4()), **extra}
    return client.post(reverse("commitments:progress_create", args=[world.commitment.pk]), data)


def assert_refused(response):
    assert response.status_code == 400
    body = response.content.decode()
    assert not any(secret in body for secret in SECRETS), body[:500]
    assert "Không gửi được yêu cầu" in body and "tối đa 10 tệp" in body  # templates/400.html, in Vietnamese
    assert not ProgressUpdate.objects.exists()


@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
def test_an_oversized_body_without_files_is_refused(world, multipart):
    narrative = "Đ" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2 + 1)  # 2 bytes each in UTF-8
    client = Client()
    sign_in(client, world.officer)
    url = reverse("commitments:progress_create", args=[world.commitment.pk])
    data = {"achieved_quantity": "1", "narrative": narrative, "client_token": str(uuid.uuid4())}
    if multipart:
        response = client.post(url, data)
    else:
        from urllib.parse import urlencode

        response = client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")
    assert_refused(response)


def test_more_than_1000_fields_are_refused(world):
    assert_refused(progress_post(world, **{f"f{index}": "x" for index in range(1001)}))


def test_more_than_20_files_are_refused(world):
    assert_refused(progress_post(world, evidence=[fixtures.photo(f"anh-{index}.png") for index in range(21)]))


def test_ten_files_and_a_large_narrative_within_the_limit_are_accepted(world):
    fixtures.current_period()
    response = progress_post(
        world, narrative="Đ" * 100_000, evidence=[fixtures.photo(f"anh-{index}.png") for index in range(10)]
    )
    assert response.status_code == 302
    assert ProgressUpdate.objects.get().evidence.count() == 10
