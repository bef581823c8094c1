"""The access table of the commitments app (see tests/routes.py for the roles and the conventions).

Officers: ``officer`` owns world.commitment; ``supported_officer`` is a member of its partnership but
owns nothing; ``outsider`` belongs to another partnership. The review routes exist only for city
staff and administrators (404 for officers; 403 for leadership, which may not write). "Đơn vị của
tôi" exists only for unit officers: every other role gets 404, like any route out of its reach.
"""

from tests.commitments.fixtures import (
    pending_adjustment,
    returned_update,
    submitted_update,
    update_with_photo,
    verified_update,
)
from tests.routes import Route, everyone

READ_WORLD_COMMITMENT = everyone(200, outsider=404)
WRITE_OWN_COMMITMENT = everyone(200, leader=403, supported_officer=404, outsider=404)
REVIEW_READ = everyone(404, city=200, admin=200)
REVIEW_WRITE = everyone(404, leader=403, city=200, admin=200)

ROUTES = [
    Route("commitments:commitment_list", get=everyone(200)),
    # Units owning commitments the user may read; an empty list for whoever reads none.
    Route("commitments:owner_suggestions", get=everyone(200), query="?q=a"),
    Route(
        "commitments:commitment_detail",
        kwargs=lambda world: {"pk": world.commitment.pk},
        get=READ_WORLD_COMMITMENT,
    ),
    Route(
        "commitments:commitment_create",
        get=everyone(404, leader=403, city=200, admin=200),
        post=everyone(404, leader=403, city=200, admin=200),
        notes="Without ?partnership= the page asks for one (200); the POST re-renders that chooser.",
    ),
    Route(
        "commitments:commitment_update",
        kwargs=lambda world: {"pk": world.commitment.pk},
        get=WRITE_OWN_COMMITMENT,
        post=WRITE_OWN_COMMITMENT,
        notes="Empty POST: invalid form re-rendered with 200.",
    ),
    Route(
        "commitments:partnership_commitments",
        kwargs=lambda world: {"pk": world.partnership.pk},
        get=READ_WORLD_COMMITMENT,
    ),
    Route(
        "commitments:partnership_history",
        kwargs=lambda world: {"pk": world.partnership.pk},
        get=READ_WORLD_COMMITMENT,
    ),
    Route(
        "commitments:progress_create",
        kwargs=lambda world: {"pk": world.commitment.pk},
        get=WRITE_OWN_COMMITMENT,
        post=WRITE_OWN_COMMITMENT,
        notes="Empty POST: invalid form re-rendered with 200; nothing is stored.",
    ),
    Route(
        "commitments:progress_resubmit",
        kwargs=lambda world: {"pk": returned_update(world).pk},
        get=WRITE_OWN_COMMITMENT,
        post=WRITE_OWN_COMMITMENT,
        notes="A returned report on world.commitment; empty POST re-renders the form with 200.",
    ),
    Route("commitments:review_queue", get=REVIEW_READ),
    Route(
        "commitments:progress_verify",
        kwargs=lambda world: {"pk": submitted_update(world).pk},
        post=everyone(404, leader=403, city=302, admin=302),
        notes="POST only; verifies and redirects to the queue (an already reviewed report redirects too).",
    ),
    Route(
        "commitments:progress_return",
        kwargs=lambda world: {"pk": submitted_update(world).pk},
        get=REVIEW_WRITE,
        post=REVIEW_WRITE,
        notes="GET is the no-JavaScript form page; an empty POST lacks the reason and re-renders with 200.",
    ),
    Route(
        "commitments:progress_reopen",
        kwargs=lambda world: {"pk": verified_update(world).pk},
        get=REVIEW_WRITE,
        post=REVIEW_WRITE,
        notes="GET is the form asking for a reason; an empty POST lacks it and re-renders with 200.",
    ),
    Route(
        "commitments:review_bulk",
        post=REVIEW_WRITE,
        post_data=lambda world: {"updates": [submitted_update(world).pk], "action": "verify"},
        notes="POST only; verifying ticked reports first answers the confirmation page (200).",
    ),
    Route(
        "commitments:adjustment_approve",
        kwargs=lambda world: {"pk": pending_adjustment(world).pk},
        post=everyone(404, leader=403, city=302, admin=302),
        notes="POST only; approves and redirects to the queue (a request already decided redirects too).",
    ),
    Route(
        "commitments:adjustment_refuse",
        kwargs=lambda world: {"pk": pending_adjustment(world).pk},
        get=REVIEW_WRITE,
        post=REVIEW_WRITE,
        notes="GET is the no-JavaScript form page; an empty POST lacks the reason and re-renders with 200.",
    ),
    Route(
        "commitments:record_void",
        kwargs=lambda world: {"kind": "progress", "pk": submitted_update(world).pk},
        get=everyone(404, leader=403, city=200, admin=200),
        post=everyone(404, leader=403, city=200, admin=200),
        notes="City staff void a commitment or unverified report with a reason; an empty POST re-renders (200).",
    ),
    Route(
        "commitments:record_restore",
        kwargs=lambda world: {"kind": "progress", "pk": submitted_update(world).pk},
        post=everyone(404, leader=403, city=302, admin=302),
        notes="POST only; restores and redirects to the commitment (a record not voided redirects too).",
    ),
    Route(
        "commitments:evidence_file",
        kwargs=lambda world: {"pk": update_with_photo(world).evidence.get().pk},
        get=READ_WORLD_COMMITMENT,
    ),
    Route(
        "commitments:my_unit",
        get=everyone(404, officer=200, supported_officer=200, outsider=200),
    ),
    # The service worker and the web app manifest (issue 20): static content for whoever is signed in.
    Route("commitments:service_worker", get=everyone(200)),
    Route("commitments:web_manifest", get=everyone(200)),
]
