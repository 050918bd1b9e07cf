"""Notifications domain package."""
