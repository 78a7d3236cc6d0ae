"""Celery tasks of the consent app: they take ids, re-fetch, and are idempotent."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from consent.models import Notification


@shared_task(time_limit=60, soft_time_limit=45, acks_late=True)
def notification_email_send(notification_id: int) -> bool:
    """Email one notification once. The message holds ids and a link, never names or text."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    if not notification.recipient.email:
        return False
    try:
        send_mail(
            subject=f"Safeguarding hub: {notification.get_kind_display()}",
            message=f"{notification.message}\n\nOpen the hub to review: {notification.link}",
            from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
            recipient_list=[notification.recipient.email],
        )
    except Exception:
        # Let a retry send it: release the claim.
        Notification.objects.filter(pk=notification_id).update(emailed_at=None)
        raise
    return True
