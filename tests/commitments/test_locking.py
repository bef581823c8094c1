"""Optimistic locking on commitments and progress updates (RELIABILITY H3): no silent overwrite.

Every edit carries the version the editor saw and is written with ``UPDATE … WHERE version = %s``.
A stale save changes nothing and comes back with the latest values next to what was typed; of two
concurrent saves of one version exactly one wins, with exactly one audit event.
"""

import threading
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test import TestCase
from django.urls import reverse

from commitments import services
from commitments.models import Commitment, ProgressUpdate
from tests import factories
from tests.commitments import fixtures
from tests.signin import sign_in

RACES = 25


def update_events(model, pk) -> int:
    Event = apps.get_model("commitments", f"{model.__name__}Event")
    return Event.objects.filter(pgh_obj_id=pk, pgh_label="update").count()


def commitment_form_data(commitment: Commitment, **overrides) -> dict:
    data = {
        "field": commitment.field_id,
        "title": commitment.title,
        "owner": commitment.owner_id,
        "horizon": commitment.horizon,
        "support_form": commitment.support_form,
        "description": commitment.description,
        "target_quantity": str(commitment.target_quantity or ""),
        "target_unit": commitment.target_unit,
        "target_value_vnd": str(commitment.target_value_vnd or ""),
        "start_on": commitment.start_on.isoformat(),
        "due_on": commitment.due_on.isoformat() if commitment.due_on else "",
        "version": commitment.version,
    }
    data.update(overrides)
    return data


class CommitmentVersionServiceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        fixtures.current_period()

    def test_each_save_adds_one_to_the_version(self):
        commitment = Commitment.objects.get(pk=self.world.commitment.pk)
        self.assertEqual(commitment.version, 1)
        commitment.title = "Xây 3 căn nhà"
        services.save_commitment(commitment=commitment, editor=self.world.officer)
        self.assertEqual(commitment.version, 2)
        self.assertEqual(Commitment.objects.get(pk=commitment.pk).version, 2)

    def test_a_stale_save_changes_nothing_and_carries_the_latest_row(self):
        mine = Commitment.objects.get(pk=self.world.commitment.pk)
        theirs = Commitment.objects.get(pk=self.world.commitment.pk)
        theirs.title = "Bản của đồng nghiệp"
        services.save_commitment(commitment=theirs, editor=self.world.city)
        events = update_events(Commitment, mine.pk)
        mine.title = "Bản của tôi"
        with self.assertRaises(services.EditConflict) as raised:
            services.save_commitment(commitment=mine, editor=self.world.officer)
        self.assertEqual(raised.exception.latest.title, "Bản của đồng nghiệp")
        self.assertEqual(raised.exception.latest.version, 2)
        saved = Commitment.objects.get(pk=mine.pk)
        self.assertEqual((saved.title, saved.version), ("Bản của đồng nghiệp", 2))
        self.assertEqual(update_events(Commitment, mine.pk), events, "a refused save writes no audit event")

    def test_an_edit_never_undoes_a_verification_made_meanwhile(self):
        stale = Commitment.objects.get(pk=self.world.commitment.pk)
        update = fixtures.submitted_update(self.world, achieved_quantity=Decimal(1), achieved_value_vnd=80_000_000)
        services.verify_progress(update=update, reviewer=self.world.city)
        stale.description = "Thêm mô tả"
        services.save_commitment(commitment=stale, editor=self.world.officer)
        saved = Commitment.objects.get(pk=stale.pk)
        self.assertEqual(saved.description, "Thêm mô tả")
        self.assertEqual((saved.achieved_quantity, saved.achieved_value_vnd), (Decimal(1), 80_000_000))

    def test_server_owned_fields_on_the_instance_are_not_written(self):
        commitment = Commitment.objects.get(pk=self.world.commitment.pk)
        commitment.achieved_quantity, commitment.achieved_value_vnd = Decimal(99), 999
        commitment.partnership = self.world.other_partnership
        commitment.is_demo = True
        services.save_commitment(commitment=commitment, editor=self.world.officer)
        saved = Commitment.objects.get(pk=commitment.pk)
        self.assertEqual((saved.achieved_quantity, saved.achieved_value_vnd), (Decimal(0), 0))
        self.assertEqual(saved.partnership_id, self.world.partnership.pk)
        self.assertIs(saved.is_demo, False)


class ProgressVersionServiceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        fixtures.current_period()

    def resubmit(self, update, narrative):
        return services.resubmit_progress(
            update=update,
            author=self.world.officer,
            narrative=narrative,
            achieved_quantity=Decimal(1),
            achieved_value_vnd=None,
        )

    def test_review_and_resubmission_each_add_one(self):
        update = fixtures.submitted_update(self.world)
        self.assertEqual(update.version, 1)
        update = services.return_progress(update=update, reviewer=self.world.city, reason="Thiếu ảnh.")
        self.assertEqual(ProgressUpdate.objects.get(pk=update.pk).version, 2)
        self.resubmit(update, "Đã bổ sung.")
        self.assertEqual(ProgressUpdate.objects.get(pk=update.pk).version, 3)

    def test_a_stale_resubmission_changes_nothing(self):
        returned = fixtures.returned_update(self.world)
        first = ProgressUpdate.objects.get(pk=returned.pk)
        second = ProgressUpdate.objects.get(pk=returned.pk)
        self.resubmit(first, "Bản thứ nhất")
        with self.assertRaises(services.EditConflict) as raised:
            self.resubmit(second, "Bản thứ hai")
        self.assertEqual(raised.exception.latest.narrative, "Bản thứ nhất")
        saved = ProgressUpdate.objects.get(pk=returned.pk)
        self.assertEqual((saved.narrative, saved.resubmission_count), ("Bản thứ nhất", 1))


def race(save_a, save_b) -> list[str]:
    """Run two saves at the same moment on two database connections; return each one's outcome."""
    barrier = threading.Barrier(2)
    outcomes = []

    def run(save):
        try:
            barrier.wait()
            save()
            outcomes.append("won")
        except services.EditConflict:
            outcomes.append("conflict")
        except Exception as error:  # reported through the outcome list
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(save,)) for save in (save_a, save_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_officers_saving_one_commitment_version_exactly_one_wins():
    world = factories.World.build()
    colleague = factories.user("unit_officer", commune=world.supporter, username="officer-2")
    for number in range(RACES):
        version = Commitment.objects.get(pk=world.commitment.pk).version
        events = update_events(Commitment, world.commitment.pk)

        def save(editor, title, version=version):
            def go():
                commitment = Commitment.objects.get(pk=world.commitment.pk)
                commitment.version, commitment.title = version, title
                services.save_commitment(commitment=commitment, editor=editor)

            return go

        outcomes = race(save(world.officer, f"A{number}"), save(colleague, f"B{number}"))
        assert outcomes == ["conflict", "won"], f"race {number}: {outcomes}"
        saved = Commitment.objects.get(pk=world.commitment.pk)
        assert saved.version == version + 1
        assert saved.title in (f"A{number}", f"B{number}")
        assert update_events(Commitment, world.commitment.pk) == events + 1, "exactly one audit event per race"


@pytest.mark.django_db(transaction=True)
def test_two_officers_resubmitting_one_progress_version_exactly_one_wins():
    world = factories.World.build()
    colleague = factories.user("unit_officer", commune=world.supporter, username="officer-2")
    update = fixtures.submitted_update(world)
    for number in range(RACES):
        services.return_progress(update=update, reviewer=world.city, reason=f"Lần {number}")
        version = ProgressUpdate.objects.get(pk=update.pk).version
        events = update_events(ProgressUpdate, update.pk)

        def resubmit(author, narrative, version=version):
            def go():
                stale = ProgressUpdate.objects.get(pk=update.pk)
                stale.version = version
                services.resubmit_progress(
                    update=stale, author=author, narrative=narrative, achieved_quantity=1, achieved_value_vnd=None
                )

            return go

        outcomes = race(resubmit(world.officer, f"A{number}"), resubmit(colleague, f"B{number}"))
        assert outcomes == ["conflict", "won"], f"race {number}: {outcomes}"
        saved = ProgressUpdate.objects.get(pk=update.pk)
        assert (saved.version, saved.resubmission_count) == (version + 1, number + 1)
        assert update_events(ProgressUpdate, update.pk) == events + 1


class CommitmentConflictViewTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()

    def url(self):
        return reverse("commitments:commitment_update", args=[self.world.commitment.pk])

    def test_the_form_carries_the_version_it_was_loaded_at(self):
        sign_in(self.client, self.world.officer)
        response = self.client.get(self.url())
        self.assertContains(response, '<input type="hidden" name="version" value="1"', html=False)

    def test_a_stale_save_comes_back_with_both_versions_and_nothing_lost(self):
        loaded = Commitment.objects.get(pk=self.world.commitment.pk)
        colleague = Commitment.objects.get(pk=self.world.commitment.pk)
        colleague.title, colleague.target_unit = "Xây 2 căn nhà (bản của đồng nghiệp)", "nhà"
        services.save_commitment(commitment=colleague, editor=self.world.city, reason="Đổi đơn vị tính")

        sign_in(self.client, self.world.officer)
        typed = commitment_form_data(
            loaded, title="Xây 2 căn nhà (bản của tôi)", description="Ghi chú tôi vừa gõ", reason="Giữ đơn vị tính cũ"
        )
        response = self.client.post(self.url(), typed)

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Người khác đã lưu thay đổi trong lúc bạn sửa")
        self.assertContains(response, 'value="Xây 2 căn nhà (bản của tôi)"')  # what was typed stays in the form
        self.assertContains(response, "Ghi chú tôi vừa gõ")
        self.assertContains(response, '<td data-label="Bản vừa được lưu">Xây 2 căn nhà (bản của đồng nghiệp)</td>')
        self.assertContains(response, '<input type="hidden" name="version" value="2"', html=False)
        saved = Commitment.objects.get(pk=loaded.pk)
        self.assertEqual((saved.title, saved.description, saved.version), (colleague.title, "", 2))

        # Saving again from the conflict form is a deliberate overwrite of the version now shown.
        response = self.client.post(self.url(), {**typed, "version": 2})
        self.assertRedirects(response, loaded.get_absolute_url())
        saved.refresh_from_db()
        self.assertEqual((saved.title, saved.version), ("Xây 2 căn nhà (bản của tôi)", 3))

    def test_a_post_without_version_is_refused(self):
        sign_in(self.client, self.world.officer)
        data = commitment_form_data(self.world.commitment, title="Không có phiên bản")
        del data["version"]
        response = self.client.post(self.url(), data)
        self.assertContains(response, "Biểu mẫu thiếu thông tin phiên bản")
        self.assertEqual(Commitment.objects.get(pk=self.world.commitment.pk).title, self.world.commitment.title)


class ProgressConflictViewTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = factories.World.build()
        fixtures.current_period()
        cls.colleague = factories.user("unit_officer", commune=cls.world.supporter, username="officer-2")

    def url(self, update):
        return reverse("commitments:progress_resubmit", args=[update.pk])

    def test_second_resubmission_sees_the_first_and_keeps_its_text(self):
        update = fixtures.returned_update(self.world)
        loaded_version = update.version
        sign_in(self.client, self.colleague)
        first = {"achieved_quantity": "1", "narrative": "Bản gửi trước", "version": loaded_version}
        self.assertEqual(self.client.post(self.url(update), first).status_code, 302)

        sign_in(self.client, self.world.officer)
        mine = {"achieved_quantity": "2", "narrative": "Bản tôi đang gõ dở", "version": loaded_version}
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = self.client.post(self.url(update), mine, **headers)
            self.assertEqual(response.status_code, 200)
            self.assertContains(response, "Báo cáo này vừa được gửi lại hoặc xem xét trong lúc bạn sửa")
            self.assertContains(response, "Bản tôi đang gõ dở</textarea>")
            self.assertContains(response, "Bản gửi trước")
        saved = ProgressUpdate.objects.get(pk=update.pk)
        self.assertEqual((saved.narrative, saved.achieved_quantity, saved.resubmission_count), ("Bản gửi trước", 1, 1))

    def test_returned_again_meanwhile_the_conflict_form_can_be_sent(self):
        update = fixtures.returned_update(self.world)
        loaded_version = update.version
        other = ProgressUpdate.objects.get(pk=update.pk)
        services.resubmit_progress(
            update=other,
            author=self.colleague,
            narrative="Bản của đồng nghiệp",
            achieved_quantity=1,
            achieved_value_vnd=None,
        )
        services.return_progress(update=other, reviewer=self.world.city, reason="Vẫn thiếu ảnh.")
        sign_in(self.client, self.world.officer)
        mine = {"achieved_quantity": "2", "narrative": "Bản của tôi", "version": loaded_version}
        response = self.client.post(self.url(update), mine)
        self.assertContains(response, "Người khác đã lưu thay đổi trong lúc bạn sửa")
        self.assertContains(response, "Bản của đồng nghiệp")
        latest = ProgressUpdate.objects.get(pk=update.pk).version
        self.assertContains(response, f'<input type="hidden" name="version" value="{latest}"', html=False)
        self.assertEqual(self.client.post(self.url(update), {**mine, "version": latest}).status_code, 302)
        self.assertEqual(ProgressUpdate.objects.get(pk=update.pk).narrative, "Bản của tôi")
