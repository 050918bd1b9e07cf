"""Ops domain package."""
