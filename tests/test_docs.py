"""The docs name only what exists: commands, options, variables, endpoints, linked files and headings."""

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.docs_check import DOCS, SOURCES, doc_name, doc_segments, problems

# -- links --------------------------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s#]*)(?:#([^)\s]+))?\)")


def anchors(path: Path) -> set[str]:
    """GitHub's anchors of a Markdown file's headings: lower case, punctuation dropped,
    spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", path.read_text(), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def link_problems(path: Path):
    """Links to files of the repository that are missing, or to headings they lack."""
    for number, text, kind in doc_segments(path):
        if kind != "line":
            continue
        for target, anchor in LINK.findall(text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            linked = (path.parent / target).resolve() if target else path
            if not linked.is_file():
                yield f"{doc_name(path)}:{number} links to {target}, which does not exist"
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
                yield f"{doc_name(path)}:{number} links to {target}#{anchor}: no such heading"


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


def test_links_between_the_docs_reach_a_file_and_a_heading(tmp_path):
    found = [p for doc in DOCS for p in link_problems(doc)]
    assert not found, "\n".join(found)
    bad = tmp_path / "bad.md"
    bad.write_text("# Top\n\n[a](#top) [b](#nowhere) [c](no-such.md) [d](https://example.org/x)\n")
    assert [p.split(" ", 1)[1] for p in link_problems(bad)] == [
        "links to #nowhere: no such heading", "links to no-such.md, which does not exist"]


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


def test_the_map_of_the_tree_names_every_package_and_every_jobs_module():
    """A newcomer finds every room: each package under app/ and each module of jobs/ has its
    line in docs/architecture.md's map."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    tree_map = page.split("## Map of the tree", 1)[1].split("\n## ", 1)[0]
    rooms = [f"app/{d.name}/" for d in sorted((ROOT / "app").iterdir())
             if d.is_dir() and not d.name.startswith(("_", "."))]
    rooms += [f"jobs/{m.name}" for m in sorted((ROOT / "jobs").glob("*.py"))
              if m.name != "__init__.py"]
    missing = [room for room in rooms if room not in tree_map]
    assert not missing, f"docs/architecture.md, Map of the tree, lacks: {', '.join(missing)}"
