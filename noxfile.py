"""nox sessions: one per framework (installing only that framework), conformance across all, lint.

``nox`` runs them all (the README's test command, and CI's);
``nox -s torch -- -k sparse`` passes arguments to pytest.
"""

from __future__ import annotations

import nox

nox.options.sessions = [
    "lint",
    "numpy",
    "torch",
    "jax",
    "tensorflow",
    "conformance",
    "scale_out",
    "vendoring",
]  # the site is built by `conformance`, in its environment; `nox -s docs` builds it alone
nox.options.error_on_missing_interpreters = True

CONSTRAINTS = ("-c", "constraints.txt")
# The test suite compiles thousands of small XLA programs, each run once: compiling them
# without LLVM's expensive passes saves a fifth of the JAX tests' time. These passes change
# no floating-point result (XLA:CPU compiles without fast-math), and the benchmarks and the
# report keep XLA's defaults.
XLA_TEST_FLAGS = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"


def _pytest(session, extras: str, backends: str | None, marks="not scale_out", args=()):
    session.install(*CONSTRAINTS, f".[{extras}]")
    env = {"XLA_FLAGS": XLA_TEST_FLAGS}
    if backends:
        env["MLCLOSS_BACKENDS"] = backends
    session.run("pytest", "-m", marks, *args, *session.posargs, env=env)


@nox.session
def lint(session):
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def numpy(session):
    """NumPy and array-api-strict, no framework installed."""
    _pytest(session, "test", "numpy,array_api_strict")


# Alone, each framework proves it needs no other: the package imports, every declared case
# gives its oracle's numbers in every reduction, bad input raises. The conformance session
# runs the whole suite on every framework at once, so nothing is run twice.
ALONE = ["tests/test_registry.py", "tests/test_import_graph.py", "tests/test_package.py"]


def _alone(session, framework: str) -> None:
    session.install(*CONSTRAINTS, f".[test,{framework}]")
    env = {"MLCLOSS_BACKENDS": framework}
    session.run("pytest", "-m", "not scale_out and not slow", *ALONE, *session.posargs, env=env)


@nox.session
def torch(session):
    _alone(session, "torch")


@nox.session
def jax(session):
    _alone(session, "jax")


@nox.session
def tensorflow(session):
    _alone(session, "tensorflow")


@nox.session
def conformance(session):
    """Every framework and peer in one environment: the whole suite, on one pytest-xdist worker
    per core (`-n auto`), then the site in the same environment (its build runs the
    conformance report on every framework and fails on a disagreement)."""
    # the registry's checks ran in the numpy session and alone on each framework; the report
    # over every framework is the site build's below, which fails on any disagreement
    done = (
        "--ignore",
        "tests/test_registry.py",
        "--deselect",
        "tests/test_report.py::test_every_installed_framework_agrees_and_the_others_are_marked",
    )
    _pytest(session, "test,all,peers,docs", None, args=("-n", "auto", "--durations=25", *done))
    _site(session)


@nox.session
def scale_out(session):
    """A 4×2 JAX mesh of host devices, Dask arrays, two-process torch DDP."""
    _pytest(session, "test,torch,jax,dask", None, marks="scale_out", args=("-n", "auto"))


@nox.session
def vendoring(session):
    """mlcloss and array-api-compat vendored into a scratch project (tools/vendor.py), the
    installed array-api-compat removed, then the report and the NumPy and torch tests run
    through the copy (the native adapters must survive vendoring)."""
    session.install(*CONSTRAINTS, "numpy", "torch", "array-api-compat", "array-api-strict")
    session.install(*CONSTRAINTS, "pytest", "hypothesis")
    dest = session.create_tmp()
    name = session.run("python", "tools/vendor.py", dest, "--compat", silent=True).strip()
    session.run("python", "-m", "pip", "uninstall", "--yes", "array-api-compat")
    env = {
        "PYTHONPATH": dest,
        "MLCLOSS_VENDORED": name,
        "MLCLOSS_BACKENDS": "numpy,array_api_strict,torch",
    }
    session.run("python", "-m", name, "report", env=env)
    tests = ["tests/test_vendoring.py", "tests/test_catalogue.py", "tests/test_seed_values.py"]
    quiet = ("-W", "ignore::pytest.PytestAssertRewriteWarning")  # the alias imports mlcloss first
    session.run("pytest", "-m", "not scale_out", *quiet, *tests, *session.posargs, env=env)


@nox.session
def docs(session):
    """The site alone (`conformance` builds it too)."""
    session.install(*CONSTRAINTS, ".[all,docs,peers]")
    _site(session)


def _site(session):
    """docs/build.py generates the tables and plots, mkdocs builds the site, warnings as errors."""
    session.run("python", "docs/build.py")
    site = session.create_tmp() + "/site"
    session.run("mkdocs", "build", "--strict", "--site-dir", site, env={"NO_MKDOCS_2_WARNING": "1"})
