"""Celery entry points: each takes ids only and calls a service; the work happens in accounts.services."""

from celery import shared_task


@shared_task(max_retries=3, default_retry_delay=30)
def send_sign_in_link_task(link_id: int, site: str) -> bool:
    """E-mail one requested sign-in link (nothing for a username that does not exist)."""
    from accounts.services import send_sign_in_link  # services import this module: break the cycle here

    return send_sign_in_link(link_id=link_id, site=site)
