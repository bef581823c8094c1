"""Idempotent writes for loaders: a second run with the same data writes nothing (and audits nothing)."""

from django.db import models


def upsert(model: type[models.Model], lookup: dict, values: dict) -> tuple[models.Model, bool, bool]:
    """Create the row matching ``lookup`` or bring it to ``values``; return (obj, created, changed).

    Unlike ``update_or_create`` it issues no UPDATE when nothing differs, so the audit trail records
    only real changes.
    """
    # A voided row (core.models.VoidableModel) is found too: a second run must not recreate what city
    # staff voided as entered in error.
    obj = getattr(model, "all_objects", model.objects).filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values), True, False
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, values[name])
    if changed:
        obj.save(update_fields=changed)
    return obj, False, bool(changed)
