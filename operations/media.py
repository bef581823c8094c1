"""Bit-level integrity of stored files (RELIABILITY F9): every upload and generated file keeps the
SHA-256 taken when it was stored; `manage.py verify_media` recomputes them all and names any file that
is missing or changed (a failing disk, a bad restore, someone editing files by hand).

Found by convention, so a new model is covered the day it gets a file: a FileField ``x`` is checked
against the model's ``x_sha256`` field, or its ``sha256`` field when there is no ``x_sha256``.
"""

import hashlib
from dataclasses import dataclass

import pghistory.models
from django.apps import apps
from django.db import models


@dataclass(frozen=True)
class Mismatch:
    label: str  # "commitments.evidence #12 file"
    path: str
    problem: str  # "missing" or "changed"


@dataclass
class MediaCheck:
    checked: int = 0
    without_checksum: int = 0
    mismatches: list[Mismatch] = None

    def __post_init__(self):
        self.mismatches = self.mismatches or []


def checksummed_file_fields() -> list[tuple[type[models.Model], str, str]]:
    found = []
    for model in apps.get_models():
        if issubclass(model, pghistory.models.Event):
            continue  # audit copies name the same files as the rows they record
        names = {field.name for field in model._meta.get_fields()}
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                checksum = f"{field.name}_sha256" if f"{field.name}_sha256" in names else "sha256"
                if checksum in names:
                    found.append((model, field.name, checksum))
    return found


def verify_media() -> MediaCheck:
    result = MediaCheck()
    for model, file_field, checksum_field in checksummed_file_fields():
        rows = model._default_manager.exclude(**{file_field: ""}).values_list("pk", file_field, checksum_field)
        for pk, name, expected in rows.iterator():
            if not expected:
                result.without_checksum += 1
                continue
            result.checked += 1
            stored = model._meta.get_field(file_field).storage
            label = f"{model._meta.label_lower} #{pk} {file_field}"
            if not stored.exists(name):
                result.mismatches.append(Mismatch(label, name, "missing"))
                continue
            with stored.open(name, "rb") as handle:
                digest = hashlib.sha256()
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            if digest.hexdigest() != expected:
                result.mismatches.append(Mismatch(label, name, "changed"))
    return result
