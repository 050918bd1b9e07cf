"""Audit domain package."""
