# Flask-Login ships no types: these are the ones the type-checked modules rely on; every other
# name of the package reads as Any.
from collections.abc import Callable
from typing import Any, TypeVar

_View = TypeVar("_View", bound=Callable[..., Any])

def login_required(func: _View) -> _View: ...
def __getattr__(name: str) -> Any: ...
