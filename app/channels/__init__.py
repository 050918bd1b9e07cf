"""Channels domain package."""
