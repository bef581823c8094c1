"""A unit's source note reads as words on its page, never as the reference data's codes."""

import pytest
from django.urls import reverse
from django.utils import translation

from communes.sources import source_notes
from tests import factories
from tests.signin import sign_in

HAI_CHAU = "S1 NQ1659 k.1; S2 CV1027 stt 1852; S3 NSO; M:rule-no; B:rule-no"


def test_codes_become_sentences():
    assert source_notes(HAI_CHAU) == [
        "Nghị quyết 1659/NQ-UBTVQH15, khoản 1",
        "Công văn 1027/CTK-CSCL của Cục Thống kê, số thứ tự 1852",
        "bảng chuyển đổi đơn vị hành chính mới – cũ của Cục Thống kê",
        "Miền núi: không, suy ra theo vị trí (không có văn bản nêu)",
        "Biên giới: không, suy ra theo vị trí địa lý (không có văn bản nêu)",
    ]
    assert source_notes("M:S5+S8; B:-") == [
        "Miền núi: theo bảng khu vực ưu tiên tuyển sinh (KV1), trang thông tin tỉnh Quảng Nam",
        "Biên giới: chưa có nguồn nêu",
    ]


def test_every_note_of_the_reference_data_is_read_out():
    import csv
    from pathlib import Path

    from django.conf import settings

    with (Path(settings.BASE_DIR) / "data" / "danang-units-2025.csv").open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            text = "; ".join(source_notes(row["source"]))
            for code in ("rule-no", "M:", "B:", "S1 ", "S2 ", "S3 ", "S5", "B1", "B6"):
                assert code not in text, f"{row['name']}: {text}"


def test_english_notes():
    with translation.override("en"):
        assert source_notes("M:rule-no")[0].startswith("Mountainous: no")


@pytest.mark.django_db
def test_the_unit_page_shows_words_not_codes(client):
    unit = factories.commune(name="Hải Châu", source=HAI_CHAU)
    sign_in(client, factories.user())
    html = client.get(reverse("communes:commune_detail", args=[unit.code])).content.decode()
    assert "rule-no" not in html and "M:" not in html
    assert "Miền núi: không, suy ra theo vị trí" in html
