"""Webhooks domain package."""
