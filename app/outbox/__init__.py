"""Outbox domain package."""
