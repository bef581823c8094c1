"""What each role may do: the portal's one authorization vocabulary.

Views, forms, services and templates ask ``can(user, "verify_progress")`` instead of testing roles.
Which rows a user may read or change stays with each model's ``visible_to(user)`` /
``editable_by(user)``: an action here says what a role may do at all, the queryset says to which rows.
"""

from accounts.models import Role

# Every action, with what it allows.
ACTIONS = {
    "read_all_partnerships": "Read every partnership, commitment and report, and the city's figures.",
    "write_records": "Change anything at all (leadership reads everything and writes nothing).",
    "edit_partnerships": "Create and change partnerships, their members and documents.",
    "log_activity_anywhere": "Log an activity in any partnership (an officer, in their unit's: a row rule).",
    "add_commitments": "Add commitments to a partnership.",
    "change_commitment_terms": "Change a commitment's terms at once, or its owner (an officer's change waits).",
    "verify_progress": "Verify, return and reopen progress reports; approve term adjustments.",
    "void_records": "Void and restore records.",
    "manage_reports": "Request, finalise and regenerate reports; close reporting periods.",
    "use_unit_desk": "Work from a unit's desk ('Đơn vị của tôi') and its offline copy.",
}

_CITY_STAFF_ACTIONS = frozenset(
    {
        "read_all_partnerships",
        "write_records",
        "edit_partnerships",
        "log_activity_anywhere",
        "add_commitments",
        "change_commitment_terms",
        "verify_progress",
        "void_records",
        "manage_reports",
    }
)

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.CITY_STAFF: _CITY_STAFF_ACTIONS,
    Role.ADMINISTRATOR: _CITY_STAFF_ACTIONS,
    Role.LEADERSHIP: frozenset({"read_all_partnerships"}),
    Role.UNIT_OFFICER: frozenset({"write_records", "use_unit_desk"}),
}


def can(user, action: str) -> bool:
    """Whether ``user``'s role allows ``action``; an anonymous user may do nothing."""
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}: add it to accounts.permissions.ACTIONS.")
    if not user.is_authenticated:
        return False
    return action in ROLE_ACTIONS.get(user.role, frozenset())
