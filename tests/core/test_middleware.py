"""core.middleware.LocaleMiddleware: Vietnamese unless the user picked a language in the user menu."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.signin import sign_in

pytestmark = pytest.mark.django_db

# The portal's middleware with Django's LocaleMiddleware replaced by ours, whatever settings currently say.
OURS = [
    "core.middleware.LocaleMiddleware" if name == "django.middleware.locale.LocaleMiddleware" else name
    for name in settings.MIDDLEWARE
]
LIST = reverse("communes:commune_list")


class TestLocaleMiddleware:
    @pytest.fixture(autouse=True)
    def our_middleware(self, settings):
        settings.MIDDLEWARE = OURS

    def test_a_browser_asking_for_english_still_gets_vietnamese(self, client, world):
        sign_in(client, world.city)

        response = client.get(LIST, headers={"Accept-Language": "en-US,en;q=0.9"})

        assert '<html lang="vi">' in response.content.decode()
        assert response["Content-Language"] == "vi"

    def test_the_language_chosen_in_the_user_menu_wins(self, client, world):
        sign_in(client, world.city)
        client.post(reverse("set_language"), {"language": "en", "next": LIST})

        response = client.get(LIST, headers={"Accept-Language": "vi"})

        assert '<html lang="en">' in response.content.decode()
        assert response["Content-Language"] == "en"

    def test_an_unknown_language_in_the_cookie_falls_back_to_vietnamese(self, client, world):
        sign_in(client, world.city)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

        response = client.get(LIST)

        assert '<html lang="vi">' in response.content.decode()

    def test_responses_vary_on_the_cookie_not_on_accept_language(self, client, world):
        sign_in(client, world.city)

        response = client.get(LIST)

        assert "Cookie" in response["Vary"]
        assert "Accept-Language" not in response["Vary"]


class TestUnicodeNormalizationMiddleware:
    """RELIABILITY E6: text typed as letters plus combining marks is stored and searched as NFC."""

    NFC_NAME = "Hòa Cường"

    def test_both_forms_of_a_name_differ_byte_for_byte(self):
        import unicodedata

        decomposed = unicodedata.normalize("NFD", self.NFC_NAME)
        assert decomposed != self.NFC_NAME and len(decomposed) > len(self.NFC_NAME)

    def test_a_search_typed_decomposed_finds_the_name_stored_precomposed(self, client, world):
        import unicodedata

        from tests import factories

        factories.commune(name=self.NFC_NAME)
        sign_in(client, world.city)
        response = client.get(LIST, {"q": unicodedata.normalize("NFD", self.NFC_NAME)})
        assert self.NFC_NAME in response.content.decode()
        assert response.context["filter"].form.cleaned_data["q"] == self.NFC_NAME

    def test_text_posted_decomposed_is_stored_precomposed(self, client, world):
        import unicodedata
        import uuid

        from commitments.models import ProgressUpdate

        narrative = "Đã trao quà cho các hộ nghèo ở xã Trà Tân, phường Hòa Cường."
        sign_in(client, world.officer)
        response = client.post(
            reverse("commitments:progress_create", args=[world.commitment.pk]),
            {
                "achieved_quantity": "1",
                "narrative": unicodedata.normalize("NFD", narrative),
                "client_token": str(uuid.uuid4()),
            },
        )
        assert response.status_code == 302
        assert ProgressUpdate.objects.get(commitment=world.commitment).narrative == narrative
