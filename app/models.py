"""Imports every model so the metadata (and Alembic) sees the whole schema."""

from app.analytics.models import MetricDue, PostMetric
from app.audit.models import AuditEntry
from app.auth.models import (
    ApiKey,
    Invite,
    Membership,
    PasswordReset,
    User,
    UserSession,
    Workspace,
)
from app.channels.models import Channel
from app.db import Base
from app.media.models import Media
from app.notifications.models import Notification
from app.ops.models import AlarmState, IdempotentRequest, RateLimitBucket, WorkerHeartbeat
from app.outbox.models import OutboxMessage
from app.posts.models import Post, PostEvent
from app.recurring.models import PostingSlot, RecurringRule, RuleOccurrence
from app.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = ["AlarmState", "ApiKey", "AuditEntry", "Base", "Channel", "IdempotentRequest", "Invite", "Media",
           "Membership", "MetricDue", "Notification", "OutboxMessage", "PasswordReset", "Post",
           "PostEvent", "PostMetric", "PostingSlot", "RateLimitBucket", "RecurringRule",
           "RuleOccurrence", "User", "UserSession", "WebhookDelivery", "WebhookEndpoint",
           "WorkerHeartbeat",
           "Workspace"]
