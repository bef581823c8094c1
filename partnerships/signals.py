"""Signals partnerships sends to the apps built on it, which it does not import."""

from django.dispatch import Signal

# Sent with ``partnership`` when it is voided or restored: each receiver returns the querysets of its
# rows that belong to the partnership (all_objects, voided or not), to be voided and restored with it.
partnership_contents = Signal()
