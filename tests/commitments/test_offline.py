"""The server side of the officer's offline use (issue 20) and of the progress form's input (issue 19.4):
the pages marked for the phone's cache, the service worker and manifest, logout clearing the phone,
a report that reaches the server after its commitment changed, and Vietnamese notation for numbers."""

import json
import re
import uuid
from decimal import Decimal

from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from commitments import services
from commitments.forms import ProgressForm, plain_number
from commitments.models import ProgressUpdate
from tests import factories
from tests.commitments import fixtures
from tests.commitments.cases import HX, WorldTestCase


class OfflinePagesTests(WorldTestCase):
    def progress_url(self):
        return reverse("commitments:progress_create", args=[self.world.commitment.pk])

    def test_only_my_unit_and_the_progress_form_are_marked_for_the_phone(self):
        self.login(self.world.officer)
        key = self.client.get(reverse("commitments:my_unit"))["X-Offline-Key"]
        self.assertEqual(self.client.get(self.progress_url())["X-Offline-Key"], key)
        for url in (
            reverse("commitments:commitment_list"),
            self.world.commitment.get_absolute_url(),
            reverse("partnerships:partnership_list"),
        ):
            with self.subTest(url=url):
                self.assertNotIn("X-Offline-Key", self.client.get(url))
        # The dialog's fragment and a refused POST are not whole pages: nothing to keep.
        self.assertNotIn("X-Offline-Key", self.client.get(self.progress_url(), **HX))
        self.assertNotIn("X-Offline-Key", self.client.post(self.progress_url(), {}))

    def test_the_key_names_the_user_without_revealing_them(self):
        self.login(self.world.officer)
        officer_key = self.client.get(reverse("commitments:my_unit"))["X-Offline-Key"]
        self.login(self.world.outsider_officer)
        outsider_key = self.client.get(reverse("commitments:my_unit"))["X-Offline-Key"]
        self.assertNotEqual(officer_key, outsider_key)
        self.assertNotIn(str(self.world.officer.pk), officer_key[:2])
        self.assertRegex(officer_key, r"^[0-9a-f]{20}$")

    def test_city_staff_pages_are_never_kept(self):
        self.login(self.world.city)
        response = self.client.get(self.progress_url())
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("X-Offline-Key", response)
        self.assertNotContains(response, "data-offline-key")

    def test_the_pages_carry_the_outbox_and_the_hidden_offline_notice(self):
        self.login(self.world.officer)
        response = self.client.get(reverse("commitments:my_unit"))
        # The service worker un-hides the notice by replacing exactly this text (service_worker.js).
        self.assertContains(response, "data-offline-banner hidden")
        self.assertContains(response, "Chưa gửi – chờ có mạng")
        self.assertContains(self.client.get(self.progress_url()), "data-offline-banner hidden")


class WorkerAndManifestTests(WorldTestCase):
    def test_the_worker_is_served_from_the_root_as_javascript(self):
        self.login(self.world.officer)
        response = self.client.get(reverse("commitments:service_worker"))
        self.assertEqual(reverse("commitments:service_worker"), "/sw.js")
        self.assertEqual(response["Content-Type"], "text/javascript; charset=utf-8")
        self.assertIn("no-store", response["Cache-Control"])
        body = response.content.decode()
        self.assertIn('importScripts("/static/js/outbox-core.js")', body)
        self.assertIn("X-Offline-Key", body)
        self.assertIn("Không có mạng", body)

    def test_the_manifest_names_the_portal_in_vietnamese_and_opens_standalone(self):
        self.login(self.world.officer)
        response = self.client.get(reverse("commitments:web_manifest"))
        self.assertEqual(response["Content-Type"], "application/manifest+json")
        manifest = json.loads(response.content)
        self.assertEqual(manifest["name"], "Cổng thông tin kết nghĩa – Thành ủy Đà Nẵng")
        self.assertEqual(manifest["display"], "standalone")
        self.assertEqual(manifest["start_url"], reverse("commitments:my_unit"))
        sizes = {icon["sizes"] for icon in manifest["icons"]}
        self.assertLessEqual({"192x192", "512x512"}, sizes)
        for icon in manifest["icons"]:
            self.assertIsNotNone(finders.find(icon["src"].removeprefix("/static/")), icon["src"])

    def test_officers_pages_link_the_manifest_with_credentials(self):
        link = '<link rel="manifest" href="/manifest.webmanifest" crossorigin="use-credentials">'
        self.login(self.world.officer)
        self.assertContains(self.client.get(reverse("commitments:commitment_list")), link)
        # The app is the officers': others, and the login page (whose fetch would only find the login
        # form again), do not offer it.
        self.login(self.world.city)
        self.assertNotContains(self.client.get(reverse("commitments:commitment_list")), 'rel="manifest"')
        self.client.logout()
        self.assertNotContains(self.client.get(reverse("accounts:login")), 'rel="manifest"')


class LogoutClearsThePhoneTests(WorldTestCase):
    def test_logout_asks_the_browser_to_clear_caches_and_storage(self):
        self.login(self.world.officer)
        response = self.client.post(reverse("accounts:logout"))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Clear-Site-Data"], '"cache", "storage"')


class SigningInWhileTheOutboxSendsTests(WorldTestCase):
    """The phone's session ended (cookies cleared) with reports waiting: when the link returns the
    outbox sends them, and the server refuses them for their CSRF token, while someone signs in."""

    def test_a_refused_report_leaves_the_login_forms_csrf_cookie_alone(self):
        phone = Client(enforce_csrf_checks=True)
        login_page = phone.get(reverse("accounts:login")).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
        # The worker's send left before the login page's cookie existed; its answer arrives after it.
        worker = Client(enforce_csrf_checks=True)
        url = reverse("commitments:progress_create", args=[self.world.commitment.pk])
        refused = worker.post(url, {"narrative": "Gửi lại khi có sóng"}, **HX)
        self.assertEqual(refused.status_code, 403)  # static/js/outbox-core.js: "login", kept on the phone
        self.assertEqual(dict(refused.cookies), {})
        phone.cookies.update(refused.cookies)  # one cookie jar on the phone
        credentials = {"username": self.world.outsider_officer.username, "password": factories.PASSWORD}
        signed_in = phone.post(reverse("accounts:login"), {"csrfmiddlewaretoken": token, **credentials})
        self.assertEqual(signed_in.status_code, 302)

    def test_a_refused_plain_form_still_gets_the_page_that_says_why(self):
        refused = Client(enforce_csrf_checks=True).post(reverse("accounts:logout"))
        self.assertContains(refused, "Chưa gửi được biểu mẫu", status_code=403)


class TermsChangedMeanwhileTests(WorldTestCase):
    def url(self):
        return reverse("commitments:progress_create", args=[self.world.commitment.pk])

    def data(self, **overrides):
        values = {
            "achieved_quantity": "1",
            "narrative": "Viết lúc không có mạng ở Trà Leng",
            "client_token": str(uuid.uuid4()),
            "commitment_version": str(self.world.commitment.version),
        }
        return values | overrides

    def change_terms(self):
        commitment = self.world.commitment
        commitment.target_quantity = Decimal(5)
        return services.save_commitment(
            commitment=commitment, editor=self.world.city, reason="Điều chỉnh theo khảo sát"
        )

    def test_a_report_written_before_the_terms_changed_comes_back_with_the_new_terms(self):
        self.login(self.world.officer)
        data = self.data()
        changed = self.change_terms()
        response = self.client.post(self.url(), data, **HX)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "vừa được sửa trong lúc bạn soạn báo cáo")
        self.assertContains(response, "Chỉ tiêu hiện nay: 5 ")
        self.assertContains(response, "Viết lúc không có mạng ở Trà Leng")
        self.assertContains(response, f'name="commitment_version" value="{changed.version}"')
        self.assertFalse(ProgressUpdate.objects.exists())
        # Sent again from the form as it came back: filed, once.
        again = self.client.post(self.url(), data | {"commitment_version": str(changed.version)}, **HX)
        self.assertContains(again, "data-progress-sent")
        self.assertEqual(ProgressUpdate.objects.count(), 1)

    def test_a_replay_of_a_report_already_filed_is_answered_as_sent(self):
        """The first send got through but its answer was lost; the terms changed before the retry."""
        self.login(self.world.officer)
        data = self.data()
        self.client.post(self.url(), data, **HX)
        self.change_terms()
        response = self.client.post(self.url(), data, **HX)
        self.assertContains(response, "data-progress-sent")
        self.assertEqual(ProgressUpdate.objects.count(), 1)

    def test_without_a_version_nothing_is_checked(self):
        self.login(self.world.officer)
        self.change_terms()
        data = self.data()
        del data["commitment_version"]
        self.assertRedirects(self.client.post(self.url(), data), self.world.commitment.get_absolute_url())


class VietnameseNotationTests(WorldTestCase):
    def test_typed_numbers_are_read_in_vietnamese_notation(self):
        for typed, read in [
            ("4", "4"),
            ("4,5", "4.5"),
            ("4.5", "4.5"),
            ("1.500", "1500"),
            ("1.250,75", "1250.75"),
            (" 2 ", "2"),
        ]:
            with self.subTest(typed=typed):
                self.assertEqual(plain_number(typed), read)

    def form(self, data):
        return ProgressForm(data, commitment=self.world.commitment)

    def test_quantity_and_money_are_accepted_grouped_or_plain(self):
        # Within the world commitment's target (2 units, 160.000.000 đ): no over-target confirmation asked.
        form = self.form({"achieved_quantity": "1,5", "achieved_value_vnd": "1.250.000", "narrative": "x"})
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.cleaned_data["achieved_quantity"], Decimal("1.5"))
        self.assertEqual(form.cleaned_data["achieved_value_vnd"], 1_250_000)
        form = self.form({"achieved_value_vnd": "1250000", "narrative": "x"})
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.cleaned_data["achieved_value_vnd"], 1_250_000)

    def test_nonsense_and_negative_values_get_vietnamese_messages(self):
        form = self.form({"achieved_quantity": "bốn", "achieved_value_vnd": "-5", "narrative": "x"})
        self.assertFalse(form.is_valid())
        self.assertEqual(form.errors["achieved_quantity"], ["Vui lòng nhập một số."])
        self.assertEqual(form.errors["achieved_value_vnd"], ["Kết quả không được âm."])

    def test_a_returned_report_shows_4_not_4_00_and_grouped_money(self):
        fixtures.current_period()
        update = fixtures.submitted_update(self.world, achieved_quantity=Decimal("4.00"), achieved_value_vnd=1_250_000)
        services.return_progress(update=update, reviewer=self.world.city, reason="Thiếu ảnh.")
        self.login(self.world.officer)
        response = self.client.get(reverse("commitments:progress_resubmit", args=[update.pk]))
        self.assertContains(response, 'name="achieved_quantity" value="4"')
        self.assertContains(response, 'name="achieved_value_vnd" value="1.250.000"')
        self.assertNotContains(response, "4.00")
        # The fields are text inputs: a number input would show "4.00" again and refuse "4,5".
        self.assertContains(response, 'type="text" name="achieved_quantity"')
        self.assertContains(response, 'inputmode="decimal"')
        quantity = Decimal("4.5")
        update.refresh_from_db()
        self.assertEqual(
            ProgressForm(commitment=self.world.commitment, instance=update)["achieved_quantity"].value(), "4"
        )
        self.assertEqual(
            ProgressForm(commitment=self.world.commitment, initial={"achieved_quantity": quantity})[
                "achieved_quantity"
            ].value(),
            "4,5",
        )
