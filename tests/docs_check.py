"""What the docs name, looked up in the code: commands, variables, endpoints (tests/test_docs.py).

README.md, SECURITY.md and docs/*.md are read line by line. Commands are walked down the click
tree of app/cli.py, variables are looked up among the names the code reads, and endpoints are
matched against the Flask app's url_map (or the sandbox's). Each problem names the document,
the line and what it names that does not exist.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import uuid
from pathlib import Path

import click
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

from tests.conftest import ROOT

DOCS = sorted([ROOT / "README.md", ROOT / "SECURITY.md", *(ROOT / "docs").glob("*.md")])
SOURCES = [*(ROOT / "app").rglob("*.py"), *(ROOT / "jobs").rglob("*.py"), ROOT / "wsgi.py",
           ROOT / "tests" / "conftest.py"]
METHODS = "GET|POST|PUT|PATCH|DELETE"
FILESYSTEM = ("/etc/", "/run/", "/usr/", "/var/", "/tmp/", "/opt/", "/home/", "/backups/")
SAMPLE = str(uuid.UUID(int=1))  # stands for {id}, <name> and … in a documented path

CODE_SPAN = re.compile(r"`([^`]+)`")
COMMAND = re.compile(r"(?:^|(?<=[\s/(=]))openpost(?=\s|$)((?:(?!\bopenpost\b).)*)")
VARIABLE = re.compile(r"(?<![\w$])(OPENPOST_[A-Z0-9_<>]*[A-Z0-9>]|"
                      r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*_(?:URL|DIR|PATH|KEYS?|TOKEN|SECRET|HOST|PORT))"
                      r"(?![A-Z0-9_])")
ENDPOINT = re.compile(rf"\b((?:{METHODS})(?:/(?:{METHODS}))*)\s+(/[^\s`\"',;)]*)")
MODULE = re.compile(r"\bpython3?\s+-m\s+([A-Za-z_][\w.]*)")
SCRIPT = re.compile(r"\bpython3?\s+([\w./-]+\.py)\b")
MAKE = re.compile(r"(?:^|(?<=[\s(]))make\s+([a-z][\w.-]*)")
# Read by the libraries OpenPost uses, not by its own code (boto3 for the S3 media backend).
LIBRARY_VARIABLES = {"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"}
LOCAL_URL = re.compile(r"https?://(?:127\.0\.0\.1|localhost)(?::\d+)?(/[^\s`\"')]*)")


@dataclasses.dataclass
class Mention:
    doc: str
    line: int
    text: str   # the command, variable or "METHOD /path" as the doc writes it

    def __str__(self) -> str:
        return f"{self.doc}:{self.line} names `{self.text}`"


def doc_segments(path: Path):
    """(line number, text, kind): each line outside code blocks ("line"), each inline code span
    in it ("span"), and each line of a fenced code block without its comment ("fenced")."""
    fenced = False
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            yield number, line.split(" #", 1)[0], "fenced"
            continue
        yield number, line, "line"
        for span in CODE_SPAN.findall(line):
            yield number, span, "span"


def doc_name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


# -- commands -----------------------------------------------------------------------------------

def command_problem(tokens: list[str]) -> str | None:
    """Why `openpost <tokens>` is not a command line of app/cli.py (None: it is)."""
    from app.cli import main

    command, path, positional, wants_value, was_value = main, ["openpost"], 0, False, False
    for raw in tokens:
        token = raw.strip("[]").rstrip(",.")
        if token in ("|", "\\|"):  # `--role admin|member`: the alternative is a value too
            wants_value = was_value
            continue
        was_value = False
        if not token or token in ("…", "..."):
            continue
        if token.startswith(("#", "(", "&", ";", ">", "2>", "$(")):
            break
        if token.startswith("-"):
            name = token.split("=", 1)[0]
            option = next((p for p in command.params if name in (*p.opts, *p.secondary_opts)),
                          None)
            if option is None and name != "--help":
                return f"`{' '.join(path)}` has no option {name}"
            wants_value = (option is not None and not option.is_flag and not option.count
                           and "=" not in token)
            continue
        if wants_value:
            wants_value, was_value = False, True
            continue
        if isinstance(command, click.Group) and token in command.commands:
            command = command.commands[token]
            path.append(token)
            positional = 0
            continue
        if isinstance(command, click.Group):
            if token.isupper():  # a placeholder such as COMMAND
                return None
            return f"`{' '.join(path)}` has no command {token!r} " \
                   f"(it has: {', '.join(sorted(command.commands))})"
        positional += 1
        arguments = sum(max(p.nargs, 1) for p in command.params
                        if isinstance(p, click.Argument))
        if positional > arguments:
            return f"`{' '.join(path)}` takes no argument {token!r}"
    return None


def command_mentions(path: Path):
    for number, text, kind in doc_segments(path):
        if kind == "line":
            continue
        for match in COMMAND.finditer(text):
            rest = match.group(1).replace("\\|", " \\| ")
            shell_pipe = re.search(r"\s\|\s+(?!-|\\)", rest)  # `openpost … | tail -n 1`
            rest = rest[:shell_pipe.start()] if shell_pipe else rest
            yield Mention(doc_name(path), number, ("openpost" + rest).strip()), rest.split()


def other_command_problems(path: Path):
    """`python -m MODULE`, `python FILE.py` and `make TARGET` the docs name, when missing."""
    import importlib.util

    targets = set(re.findall(r"^([\w.-]+):", (ROOT / "Makefile").read_text(), re.M))
    for number, text, kind in doc_segments(path):
        if kind == "line":
            continue
        for module in MODULE.findall(text):
            yield Mention(doc_name(path), number, f"python -m {module}"), \
                None if importlib.util.find_spec(module) else f"no module {module}"
        for script in SCRIPT.findall(text):
            yield Mention(doc_name(path), number, f"python {script}"), \
                None if (ROOT / script).is_file() else f"no file {script}"
        for target in MAKE.findall(text):
            yield Mention(doc_name(path), number, f"make {target}"), \
                None if target in targets else f"the Makefile has no target {target}"


# -- environment variables ----------------------------------------------------------------------

def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def variables_read() -> tuple[set[str], list[re.Pattern]]:
    """Names the code reads: exact string constants that look like variable names (docstrings
    and comments do not count), OPENPOST_<FIELD> for each engine setting, and the templates
    built per platform (f"OPENPOST_{platform.upper()}_API_URL")."""
    from app.config import PLATFORMS
    from jobs.config import EngineConfig

    names = {f"OPENPOST_{f.name.upper()}" for f in dataclasses.fields(EngineConfig)}
    names |= LIBRARY_VARIABLES
    templates = []
    platform = "(" + "|".join(p.upper() for p in PLATFORMS) + "|<PLATFORM>)"
    for source in SOURCES:
        tree = ast.parse(source.read_text())
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and id(node) not in skip and re.fullmatch(r"[A-Z][A-Z0-9]*(_[A-Z0-9]+)+",
                                                              node.value):
                names.add(node.value)
            elif isinstance(node, ast.JoinedStr) and _platform_template(node):
                literal = [re.escape(v.value) if isinstance(v, ast.Constant) else platform
                           for v in node.values]
                templates.append(re.compile("".join(literal)))
    return names, templates


def _platform_template(node: ast.JoinedStr) -> bool:
    """f"OPENPOST_{platform…}_SUFFIX": starts and ends with text, each placeholder a platform."""
    values = node.values
    return (len(values) >= 3 and isinstance(values[0], ast.Constant)
            and str(values[0].value).startswith("OPENPOST_") and isinstance(values[-1], ast.Constant)
            and all("platform" in ast.unparse(v.value) for v in values
                    if isinstance(v, ast.FormattedValue)))


def variable_known(name: str, names: set[str], templates: list[re.Pattern]) -> bool:
    if name in names or any(t.fullmatch(name) for t in templates):
        return True
    if "<" in name:  # a documented template (<PLATFORM>, <FIELD>): some variable of that shape
        shape = re.compile(re.sub(r"<[A-Z]+>", "[A-Z0-9_]+", name))
        return any(shape.fullmatch(n) for n in names)
    return False


def variable_mentions(path: Path):
    for number, text, kind in doc_segments(path):
        if kind != "span":  # a line already holds its code spans
            for name in VARIABLE.findall(text):
                yield Mention(doc_name(path), number, name)


# -- endpoints ----------------------------------------------------------------------------------

def endpoint_mentions(path: Path):
    """("METHOD" or None, path): "GET /readyz", "GET/POST /channels", a code span that is a
    path, and the path of a curl URL."""
    for number, text, kind in doc_segments(path):
        found = ENDPOINT.findall(text) if kind != "span" else []
        if kind == "span" and text.startswith("/") and not text.startswith(FILESYSTEM):
            found.append(("", text.split()[0]))
        if kind == "fenced" and "curl" in text:
            found += [("", p) for p in LOCAL_URL.findall(text)]
        for methods, route in found:
            yield Mention(doc_name(path), number, f"{methods} {route}".strip()), methods, route


def expand(route: str) -> list[str]:
    """Concrete paths for a documented one: placeholders filled, `a|b` alternatives expanded."""
    route = route.split("?", 1)[0].rstrip(".:")
    route = re.sub(r"\{[^}]*\}|<[^>]*>|…|\.\.\.", SAMPLE, route)
    head, _, last = route.rpartition("/")
    return [f"{head}/{alt}" for alt in last.split("|")]


def endpoint_problem(methods: str, route: str, adapters: dict) -> str | None:
    """Why a documented "METHOD /path" (any method when none is given) is not served."""
    if re.search(r"/(\*|…|\.\.\.)$", route):  # `/sandbox/_control/*`: whatever lives under it
        head = route.rsplit("/", 1)[0]
        return None if _under(head, adapters) else f"nothing is served under {head}"
    for concrete in expand(route):
        if methods:
            missing = [m for m in methods.split("/") if not _served(concrete, m, adapters)]
        else:
            missing = [] if any(_served(concrete, m, adapters) for m in ("GET", "POST")) \
                or _prefix(concrete, adapters) else ["GET"]
        if missing:
            return f"{'/'.join(missing)} {concrete.replace(SAMPLE, '{id}')} is not served " \
                   "(by the app, under /api/v1, or by the sandbox)"
    return None


def _prefix(path: str, adapters: dict) -> bool:
    """A path that routes live under (`/api/v1`, the sandbox's `/_control`)."""
    return any(rule.rule.startswith(path.rstrip("/") + "/")
               for adapter in adapters.values() for rule in adapter.map.iter_rules())


def _under(path: str, adapters: dict) -> bool:
    path = path.rstrip("/")
    if path == "/sandbox":
        return True
    return _prefix(path.removeprefix("/sandbox"), adapters)


def _served(path: str, method: str, adapters: dict) -> bool:
    candidates = [("app", path), ("app", "/api/v1" + path), ("sandbox", path)]
    if path == "/sandbox" or path.startswith("/sandbox/"):
        if path.rstrip("/") == "/sandbox":
            return True
        candidates.append(("sandbox", path[len("/sandbox"):]))
    for name, candidate in candidates:
        try:
            adapters[name].match(candidate, method=method)
            return True
        except RequestRedirect:
            return True
        except (NotFound, MethodNotAllowed):
            continue
    return False


# -- the checks ---------------------------------------------------------------------------------

def problems(paths, adapters) -> tuple[list[str], dict[str, int]]:
    names, templates = variables_read()
    found, checked = [], {"commands": 0, "variables": 0, "endpoints": 0}
    for path in paths:
        for mention, tokens in command_mentions(path):
            checked["commands"] += 1
            if (why := command_problem(tokens)):
                found.append(f"{mention}: {why}")
        for mention, why in other_command_problems(path):
            checked["commands"] += 1
            if why:
                found.append(f"{mention}: {why}")
        for mention in variable_mentions(path):
            checked["variables"] += 1
            if not variable_known(mention.text, names, templates):
                found.append(f"{mention}: no code reads the variable {mention.text}")
        for mention, methods, route in endpoint_mentions(path):
            checked["endpoints"] += 1
            if (why := endpoint_problem(methods, route, adapters)):
                found.append(f"{mention}: {why}")
    return found, checked
