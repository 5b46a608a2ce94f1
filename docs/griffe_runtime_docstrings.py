"""A griffe extension for the documentation site (named in ``mkdocs.yml``).

Two fixes to what griffe reads from plastix's source, neither of which changes the source:

* Docstrings assigned at import time. Static analysis sees only literal docstrings;
  ``plastix.rules.nest_pairing`` gives its three NEST factories one shared docstring by
  assigning ``__doc__`` after the definitions. For a plastix function without a literal
  docstring, the extension imports it and takes its ``__doc__``.
* Sphinx roles. A few docstrings cross-reference with ``:class:`~plastix.X``` or
  ``:meth:`oja```, which Markdown would show verbatim; they become code spans
  (the last component of the name when it starts with ``~``, as Sphinx shows it).
* Displayed equations. A paragraph indented by four spaces that is one double-backtick
  span (``    ``w ← clip(...)``,``) is a Markdown code block, which would show the
  backticks; they are dropped there.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|meth|func|attr|mod|data|obj|exc):`(~?)([^`]+)`")
_DISPLAYED = re.compile(r"(?m)^([ \t]*\n[ ]{4,})``((?:(?!``).)+)``([,.;]?)[ \t]*$")


def _as_code(match: re.Match[str]) -> str:
    tilde, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if tilde else target}`"


class RuntimeDocstrings(griffe.Extension):
    """Runtime docstrings for functions that have no literal one; Sphinx roles as code."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Fix ``obj``'s docstring once griffe has created the object."""
        if obj.docstring is None and obj.is_function and obj.path.startswith("plastix."):
            try:
                module = importlib.import_module(obj.module.path)
            except ImportError:
                return
            doc = getattr(getattr(module, obj.name, None), "__doc__", None)
            if doc:
                obj.docstring = griffe.Docstring(inspect.cleandoc(doc), parent=obj)
        if obj.docstring is not None:
            value = _ROLE.sub(_as_code, obj.docstring.value)
            obj.docstring.value = _DISPLAYED.sub(r"\1\2\3", value)
