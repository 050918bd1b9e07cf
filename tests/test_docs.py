"""The docs name only what exists: `openpost` commands and options, environment variables, endpoints."""

import re

import pytest

from tests.conftest import ROOT
from tests.docs_check import DOCS, SOURCES, problems


@pytest.fixture
def adapters(app):
    from app.sandbox import create_sandbox

    return {"app": app.url_map.bind("localhost"),
            "sandbox": create_sandbox().url_map.bind("localhost")}


def test_docs_name_only_commands_variables_and_endpoints_that_exist(adapters):
    found, checked = problems(DOCS, adapters)
    assert not found, "the docs name what does not exist:\n" + "\n".join(found)
    # the docs do name many of each: a check that saw none would prove nothing
    assert min(checked.values()) >= 10, checked


CITATION = re.compile(r"docs/architecture\.md(?:, | \()([^).:\n]+)")


def test_the_code_cites_sections_of_the_architecture_page_that_exist():
    """The design lives in docs/architecture.md: code cites its sections by heading."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    headings = [h.split(" (")[0] for h in re.findall(r"^## (.+)$", page, re.M)]
    wrong = []
    sources = [*SOURCES, *(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    for source in (s for s in sources if s.name != "test_docs.py"):
        text, where = source.read_text(), source.relative_to(ROOT)
        if "DESIGN.md" in text:
            wrong.append(f"{where} cites DESIGN.md, which is not in the repository")
        wrong += [f"{where} cites docs/architecture.md, {cited!r}: no such section"
                  for cited in CITATION.findall(text)
                  if not any(cited.startswith(h) for h in headings)]
    assert not wrong, "\n".join(wrong)


BAD_DOC = """# A doc with mistakes

Run `openpost frobnicate --now`, or `openpost worker --turbo`, or `openpost user delete X`.
Set `OPENPOST_NO_SUCH_SETTING=1` and `OPENPOST_<PLATFORM>_NO_SUCH`.
`GET /api/v1/nothing-here`, `DELETE /healthz` and `POST /api/v1/posts/{id}/publish|cancel`.

```sh
openpost db downgrade
python -m bench.nothing --fast
make everything
curl http://127.0.0.1:8000/api/v1/unknown
```

Fine: `openpost user create me@example.com --workspace Acme`, `OPENPOST_X_API_URL`,
`OPENPOST_<PLATFORM>_CLIENT_ID`, `OPENPOST_LEASE_SECONDS`, `GET /api/v1/posts/{id}`, `/readyz`,
`POST /_control/accounts`, `/sandbox`, `/etc/openpost/env`, `openpost COMMAND --help`,
`python -m bench.webhooks`, `make test`.
"""


def test_the_check_finds_each_kind_of_mistake(adapters, tmp_path):
    doc = tmp_path / "bad.md"
    doc.write_text(BAD_DOC)
    found, _ = problems([doc], adapters)
    named = "\n".join(found)
    for wrong in ("'frobnicate'", "--turbo", "'delete'", "'downgrade'", "OPENPOST_NO_SUCH_SETTING",
                  "OPENPOST_<PLATFORM>_NO_SUCH", "/api/v1/nothing-here", "DELETE /healthz",
                  "/api/v1/posts/{id}/publish", "/api/v1/unknown", "no module bench.nothing",
                  "no target everything"):
        assert wrong in named, f"{wrong} not reported in:\n{named}"
    assert len(found) == 12, named
