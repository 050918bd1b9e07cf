"""Media domain package."""
