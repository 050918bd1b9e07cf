"""Auth domain package."""
