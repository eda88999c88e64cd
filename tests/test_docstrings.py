"""The docstrings of the public functions: the examples run, and each meets the contract.

The contract, for every callable in ``mlcloss.__all__`` defined in
``mlcloss.losses.*`` or ``mlcloss.sampling`` (numpydoc style):

1. a one-line summary, ending with a full stop, then a blank line;
2. a ``Parameters`` section with one entry ``name : type`` for every parameter
   of the signature (positional and keyword-only), each followed by an
   indented description of at least one sentence; no entry for a parameter
   the signature does not have;
3. a non-empty ``Returns`` section; for a function with a ``reduction``
   parameter it states the result for ``"none"`` and for ``"mean"``;
4. an ``Examples`` section with at least one doctest, and the doctests of the
   function's own docstring pass;
5. no citation of the project's internal files: no ``.py`` file names, no
   ``seeds/`` paths, no "seed 00x" documents (cite papers and blog posts).
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import re

import pytest

import mlcloss
import mlcloss.losses
import mlcloss.sampling

MODULES = [m.name for m in pkgutil.iter_modules(mlcloss.losses.__path__, "mlcloss.losses.")]
MODULES.append("mlcloss.sampling")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(
        importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0, f"{name} has no docstring example"
    assert result.failed == 0


def _public_functions():
    """The names in ``mlcloss.__all__`` of callables defined in the losses or the sampler.

    A function counts if its (unwrapped) ``__module__`` is one of ``MODULES``,
    or if one of those modules lists it in its own ``__all__`` (so that a
    decorator which loses ``__module__`` cannot hide a function from the test).
    """
    exported = set()
    for module_name in MODULES:
        exported.update(getattr(importlib.import_module(module_name), "__all__", ()))
    names = []
    for name in mlcloss.__all__:
        obj = getattr(mlcloss, name)
        if not callable(obj):
            continue
        module = getattr(inspect.unwrap(obj), "__module__", None)
        if module in MODULES or name in exported:
            names.append(name)
    return sorted(names)


PUBLIC = _public_functions()

_HEADER = re.compile(r"^(\S[^\n]*)\n(-+)$", re.MULTILINE)
_ENTRY = re.compile(r"^(\S[^:]*?)\s+:\s+(\S.*)$")
_INTERNAL = [
    (re.compile(r"\w\.py\b"), "a .py file name"),
    (re.compile(r"seeds/"), "a seeds/ path"),
    (re.compile(r"\bseeds?\s+0*\d+", re.IGNORECASE), 'a "seed 00x" document'),
]


def _sections(doc):
    """``{title: body}`` for the numpydoc sections of a cleaned docstring (title underlined)."""
    headers = [m for m in _HEADER.finditer(doc) if len(m.group(2)) == len(m.group(1).strip())]
    sections = {}
    for i, m in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(doc)
        sections[m.group(1).strip()] = doc[m.end() : end].strip("\n")
    return sections


def _parameter_entries(body):
    """``[(names, type, description)]`` of a Parameters section: entries start at column 0."""
    entries = []
    for line in body.splitlines():
        if line and not line[0].isspace():
            m = _ENTRY.match(line)
            names = m.group(1) if m else line.strip()
            entries.append([names, m.group(2) if m else "", []])
        elif entries:
            entries[-1][2].append(line.strip())
    return [(names, type_, " ".join(d for d in desc if d)) for names, type_, desc in entries]


def contract_violations(doc, signature, name="function"):
    """What the docstring ``doc`` lacks under the contract, one message per problem."""
    if not doc or not doc.strip():
        return [f"{name}: no docstring"]
    doc = inspect.cleandoc(doc)
    problems = []
    lines = doc.splitlines()
    summary = lines[0].strip()
    if not summary or (len(lines) > 1 and lines[1].strip()):
        problems.append(f"{name}: the summary is not a single line followed by a blank line")
    elif not summary.endswith("."):
        problems.append(f"{name}: the one-line summary does not end with a full stop")

    sections = _sections(doc)
    params = [
        ("*" * (p.kind is p.VAR_POSITIONAL) + "**" * (p.kind is p.VAR_KEYWORD)) + p.name
        for p in signature.parameters.values()
    ]
    if "Parameters" not in sections:
        problems.append(f"{name}: no Parameters section (parameters: {', '.join(params)})")
    else:
        entries = _parameter_entries(sections["Parameters"])
        described = {}
        for names, type_, desc in entries:
            if "," in names:
                problems.append(
                    f"{name}: the Parameters entry {names!r} combines several parameters; "
                    "give each its own entry `name : type`"
                )
                continue
            if not type_:
                problems.append(
                    f"{name}: the Parameters entry {names!r} is not of the form `name : type`"
                )
            described[names] = desc
        for param in params:
            if param not in described:
                problems.append(f"{name}: parameter {param!r} has no entry `{param} : type`")
            elif not described[param]:
                problems.append(f"{name}: parameter {param!r} has no description")
            elif not re.search(r"\w.*[.!?](\s|$)", described[param]):
                problems.append(f"{name}: parameter {param!r}'s description is not a sentence")
        for extra in sorted(set(described) - set(params)):
            problems.append(f"{name}: the Parameters section describes {extra!r}, not a parameter")

    returns = sections.get("Returns", "").strip()
    if not returns:
        problems.append(f"{name}: no (or an empty) Returns section")
    elif "reduction" in params:
        for value in ("none", "mean"):
            if f'"{value}"' not in returns:
                problems.append(
                    f'{name}: the Returns section does not say what reduction="{value}" returns'
                )

    if ">>>" not in sections.get("Examples", ""):
        problems.append(f"{name}: no Examples section with a doctest (>>>)")

    for pattern, what in _INTERNAL:
        found = pattern.search(doc)
        if found:
            problems.append(
                f"{name}: cites {what} ({found.group(0)!r}); cite a paper or blog post instead"
            )
    return problems


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring_contract(name):
    func = getattr(mlcloss, name)
    problems = contract_violations(func.__doc__, inspect.signature(func), name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", PUBLIC)
def test_function_examples_run(name):
    """The function's own examples, run on their own (a decorator may hide them from testmod)."""
    func = getattr(mlcloss, name)
    module = importlib.import_module(inspect.unwrap(func).__module__)
    test = doctest.DocTestParser().get_doctest(
        inspect.getdoc(func) or "", dict(vars(module)), f"mlcloss.{name}", module.__file__, 0
    )
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0, f"{name}: its docstring has no doctest"
    assert result.failed == 0, f"{name}: {result.failed} of its doctests failed (output above)"


def test_public_functions_found():
    """The parametrisation is not empty and sees the losses and the helpers."""
    for name in (
        "softmax_cross_entropy",
        "multilabel_categorical_crossentropy",
        "smooth_labels",
        "log_uniform_candidate_sampler",
    ):
        assert name in PUBLIC
    assert "array_namespace" not in PUBLIC


_GOOD = """Squared error, elementwise.

Parameters
----------
predictions : array
    The predictions.
reduction : {"mean", "sum", "none"}
    How to reduce.

Returns
-------
array
    ``"none"``: elementwise; ``"mean"`` and ``"sum"``: 0-d.

Examples
--------
>>> 1 + 1
2
"""


def _signature(text):
    namespace = {}
    exec(f"def f({text}): pass", namespace)
    return inspect.signature(namespace["f"])


@pytest.mark.parametrize(
    ("doc", "missing"),
    [
        (_GOOD.replace("    The predictions.\n", ""), "parameter 'predictions' has no description"),
        (_GOOD.replace("predictions : array\n    The predictions.\n", ""), "'predictions' has no"),
        (_GOOD.replace('``"none"``: elementwise; ', ""), 'reduction="none"'),
        (_GOOD.replace(">>> 1 + 1\n2\n", "None.\n"), "no Examples section"),
        (_GOOD.replace("Returns\n-------\n", "Yields\n------\n"), "no (or an empty) Returns"),
        (_GOOD.replace("elementwise.", "elementwise (seeds/003.txt)."), "seeds/"),
        (_GOOD.replace("elementwise.", "elementwise (seed 002)."), '"seed 00x"'),
        (_GOOD.replace("elementwise.", "elementwise, see losses.py."), ".py file"),
    ],
)
def test_contract_can_fail(doc, missing):
    """A docstring missing one requirement fails, and the message says which."""
    sig = _signature("predictions, /, *, reduction='mean'")
    assert contract_violations(_GOOD, sig, "f") == []
    problems = contract_violations(doc, sig, "f")
    assert problems and any(missing in p and p.startswith("f:") for p in problems), problems


def test_contract_sees_every_parameter_kind():
    """Keyword-only and positional-only parameters both need an entry."""
    problems = contract_violations(_GOOD, _signature("predictions, /, extra, *, reduction='mean'"))
    assert problems == ["function: parameter 'extra' has no entry `extra : type`"]
