"""The engine's committed database and workspaces, for crash mid-publish."""

from tests.engine.conftest import pg, space  # noqa: F401  (fixtures)
