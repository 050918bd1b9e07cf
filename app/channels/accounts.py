"""Which platform account a channel holds, so that connecting it again repairs that channel."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.channels.models import Channel
from app.errors import ValidationFailed


def account_key(platform: str, settings: dict) -> tuple | None:
    """The account's identity on its platform: Mastodon's instance and account id, Bluesky's
    DID, LinkedIn's author (the member or an organization they post as), elsewhere the
    platform's account id. None when the connection did not say (a bare API token)."""
    if platform == "mastodon":
        instance, account = settings.get("instance_url"), settings.get("account_id")
        return (instance.rstrip("/").lower(), str(account)) if instance and account else None
    if platform == "bluesky":
        value = settings.get("did")
    elif platform == "linkedin":
        value = settings.get("author_urn") or settings.get("account_id")
    else:
        value = settings.get("account_id") or settings.get("page_id")
    return (str(value),) if value else None


def same_account(sess: Session, workspace_id, platform: str, key: tuple | None) -> Channel | None:
    """The workspace's channel of that account (locked), if it has one."""
    if key is None:
        return None
    # Two connects of the same new account at once must not both insert: one waits here.
    sess.execute(sa.select(sa.func.pg_advisory_xact_lock(
        sa.func.hashtext(f"channel-account:{workspace_id}:{platform}"))))
    candidates = sess.scalars(sa.select(Channel).where(
        Channel.workspace_id == workspace_id, Channel.platform == platform)
        .order_by(Channel.created_at, Channel.id).with_for_update())
    return next((c for c in candidates if account_key(platform, c.settings or {}) == key), None)


def check_reconnect(target: Channel, platform: str, key: tuple | None, handle: str) -> None:
    """A Reconnect of `target` must sign in as the same account: refuse another one."""
    if target.platform != platform:
        raise ValidationFailed(f"this Reconnect is for a {target.platform} channel, not "
                               f"{platform}", field="account")
    target_key = account_key(target.platform, target.settings or {})
    if target_key is None or key is None or target_key == key:
        return
    wanted, got = target.handle or target.display_name, handle or "another account"
    if wanted == got:  # two accounts of one name (on two instances, say): tell them apart
        wanted, got = f"{wanted} (account {'/'.join(target_key)})", f"{got} (account {'/'.join(key)})"
    raise ValidationFailed(
        f"this Reconnect is for {wanted}, but you signed in as {got}; sign in as {wanted} to "
        f"repair it, or use Connect to add {got} as a new channel. Nothing was changed.",
        field="account")
