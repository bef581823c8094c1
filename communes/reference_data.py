"""Loading the official list of units and the 2025 merge table from the reference CSV files."""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from core.upsert import upsert

from .models import Commune, Constituent

FLAG_VALUES = {"yes": True, "no": False, "unknown": None}
KIND_VALUES = {"ward": Commune.Kind.WARD, "commune": Commune.Kind.COMMUNE, "special_zone": Commune.Kind.SPECIAL_ZONE}


@dataclass
class LoadResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)

    def count(self, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.changed += 1
        else:
            self.unchanged += 1


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@transaction.atomic
def load_communes(data_dir: Path) -> LoadResult:
    result = LoadResult()
    for row in read_csv(data_dir / "danang-units-2025.csv"):
        code = row["code"].strip()
        if len(code) != 5 or not code.isdigit():
            result.problems.append(f"mã không hợp lệ: {code!r}")
            continue
        _, created, changed = upsert(
            Commune,
            {"code": code},
            {
                "name": row["name"].strip(),
                "kind": KIND_VALUES[row["kind"]],
                "former_district": row["former_district"].strip(),
                # "unknown" stays NULL: the sources do not say, which is not the same as "no".
                "is_mountainous": FLAG_VALUES[row["mountainous"]],
                "is_border": FLAG_VALUES[row["border"]],
                "merged_from": row["merged_from"].strip(),
                "source": row["source"].strip(),
            },
        )
        result.count(created, changed)
    return result


@transaction.atomic
def load_constituents(data_dir: Path) -> LoadResult:
    result = LoadResult()
    for row in read_csv(data_dir / "danang-unit-constituents-2025.csv"):
        clause = row["nq1659_clause"].strip()
        _, created, changed = upsert(
            Constituent,
            {
                "commune_id": row["new_code"].strip(),
                "old_name": row["old_name"].strip(),
                "old_district": row["old_district"].strip(),
            },
            {
                "old_code": row["old_code"].strip(),
                "old_province": row["old_province"].strip(),
                "merge_note": row["nso_note"].strip(),
                "resolution_clause": int(clause) if clause.isdigit() else None,
            },
        )
        result.count(created, changed)
    return result
