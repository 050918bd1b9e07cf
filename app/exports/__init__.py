"""Workspace export: posts, channels, media and the audit log as one zip."""
