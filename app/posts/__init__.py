"""Posts domain package."""
