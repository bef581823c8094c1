"""core.models: ChoiceLabelsMixin's get_FOO_display() answers what Django's own does."""

import pytest
from django.db import models
from django.utils import translation

from commitments.models import ProgressUpdate
from communes.models import Commune
from partnerships.models import Partnership
from reports.models import Report


def django_display(instance, name):
    return models.Model._get_FIELD_display(instance, instance._meta.get_field(name))


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize(
    ("model", "name"),
    [(Partnership, "status"), (Report, "kind"), (Report, "status"), (Commune, "kind"), (ProgressUpdate, "state")],
)
def test_every_choice_is_labelled_as_django_labels_it(model, name, language):
    field = model._meta.get_field(name)
    with translation.override(language):
        for value, _label in field.flatchoices:
            instance = model(**{field.attname: value})
            assert getattr(instance, f"get_{name}_display")() == django_display(instance, name)


def test_a_value_outside_the_choices_is_shown_as_it_is():
    assert Partnership(status="nonsense").get_status_display() == "nonsense"
    assert Partnership(status=None).get_status_display() is None  # force_str(strings_only=True), as Django


def test_the_label_follows_the_active_language():
    """The table keeps lazy labels: a page in English after one in Vietnamese is not stuck in Vietnamese."""
    partnership = Partnership(status=Partnership.Status.SIGNED)
    with translation.override("vi"):
        assert partnership.get_status_display() == "Đã ký kết"
    with translation.override("en"):
        english = partnership.get_status_display()
    assert english != "Đã ký kết"
    with translation.override("en"):
        assert english == str(Partnership.Status.SIGNED.label)
