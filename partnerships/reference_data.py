"""The legal basis of the programme and the partnerships reported in the press (known-partnerships-2025.csv)."""

import datetime
from pathlib import Path

from django.db import transaction

from communes.models import Commune
from communes.reference_data import LoadResult, read_csv
from core.upsert import upsert

from .models import LegalBasis, Membership, Partnership

RESOLUTION_NUMBER = "02-NQ/TU"
ASSIGNING_LETTER_NUMBER = "389-CV/TU"

LEGAL_BASES = [
    {
        "number": RESOLUTION_NUMBER,
        "kind": LegalBasis.Kind.RESOLUTION,
        "issuer": "Thành ủy Đà Nẵng",
        "issued_on": datetime.date(2025, 7, 29),
        "title": "Về việc các xã, phường khu vực đồng bằng kết nghĩa với các xã miền núi, biên giới, hải đảo "
        "nhằm hỗ trợ nhau cùng phát triển toàn diện",
        "source": "baodanang.vn/ket-nghia-voi-xa-mien-nui-la-chu-truong-nhan-van-3299336.html",
    },
    {
        "number": ASSIGNING_LETTER_NUMBER,
        "kind": LegalBasis.Kind.OFFICIAL_LETTER,
        "issuer": "Thành ủy Đà Nẵng",
        "issued_on": datetime.date(2025, 8, 25),
        "title": "Phân công 60 xã, phường khu vực đồng bằng kết nghĩa với 33 xã vùng sâu, vùng xa",
        "source": "baodanang.vn/phan-cong-60-xa-phuong-khu-vuc-dong-bang-ket-nghia-voi-33-xa-vung-sau-vung-xa-3300493.html "
        "(danh sách từng cặp của công văn chưa được công bố)",
    },
]

STATUS_VALUES = {
    "signed": Partnership.Status.SIGNED,
    "active": Partnership.Status.ACTIVE,
    "assigned": Partnership.Status.ASSIGNED,
}


@transaction.atomic
def load_legal_bases() -> LoadResult:
    result = LoadResult()
    for entry in LEGAL_BASES:
        values = {key: value for key, value in entry.items() if key != "number"}
        _, created, changed = upsert(LegalBasis, {"number": entry["number"]}, values)
        result.count(created, changed)
    return result


def split_names(cell: str) -> list[str]:
    return [name.strip() for name in cell.split(";") if name.strip()]


@transaction.atomic
def load_known_partnerships(data_dir: Path) -> LoadResult:
    """One partnership per CSV row; a single supporter leads, two supporters are co-supporters.

    The sources name no lead in the three-way agreements, so none is invented. An empty date stays
    empty. Communes named here get their programme role (supported / supporting) from this file.
    """
    result = LoadResult()
    resolution = LegalBasis.objects.get(number=RESOLUTION_NUMBER)
    letter = LegalBasis.objects.get(number=ASSIGNING_LETTER_NUMBER)
    communes = {commune.name: commune for commune in Commune.objects.all()}
    for row in read_csv(data_dir / "known-partnerships-2025.csv"):
        supporter_names = split_names(row["supporting_units"])
        supported_name = row["supported_unit"].strip()
        missing = [name for name in [*supporter_names, supported_name] if name not in communes]
        if missing:
            result.problems.append(f"không tìm thấy đơn vị: {', '.join(missing)}")
            continue
        signed_on = datetime.date.fromisoformat(row["signed_on"]) if row["signed_on"].strip() else None
        partnership, created, changed = upsert(
            Partnership,
            {"external_ref": "known:" + "+".join(supporter_names) + ">" + supported_name},
            {
                "title": f"Kết nghĩa {' + '.join(supporter_names)} – {supported_name}",
                "legal_basis": resolution,
                "assigning_document": letter,
                "status": STATUS_VALUES[row["status"].strip()],
                "signed_on": signed_on,
                "summary": row["fields_of_cooperation"].strip(),
                "source": row["source"].strip(),
                "is_demo": False,
            },
        )
        result.count(created, changed)
        supporter_role = Membership.Role.LEAD_SUPPORTER if len(supporter_names) == 1 else Membership.Role.CO_SUPPORTER
        members = [(supported_name, Membership.Role.SUPPORTED)] + [(name, supporter_role) for name in supporter_names]
        for name, role in members:
            upsert(
                Membership,
                {"partnership": partnership, "commune": communes[name], "left_on": None},
                {"role": role, "joined_on": signed_on},
            )
            programme_role = (
                Commune.ProgrammeRole.SUPPORTED
                if role == Membership.Role.SUPPORTED
                else Commune.ProgrammeRole.SUPPORTING
            )
            upsert(
                Commune,
                {"code": communes[name].code},
                {"programme_role": programme_role, "programme_role_source": "known-partnerships-2025.csv"},
            )
    return result
