from tests.dashboard.conftest import signed_in  # noqa: F401  (fixture)
