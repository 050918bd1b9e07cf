"""Bluesky: publisher, uploads, sign-in specifics and the sandbox fake (docs/platforms.md)."""
