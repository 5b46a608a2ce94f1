"""The documentation site: ``mkdocs build --strict`` succeeds and the built site holds its
pages, the API reference of every public name, and the figures.

The site is built once per session into a temporary directory (a few seconds). The
quick-start example of the home page is run as written.
"""

from __future__ import annotations

import ast
import html
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
FIGURES = DOCS / "figures"
MAX_FIGURE_BYTES = 250_000

RULE_PAGES = {
    # page → names its title or body must show, and the figures it must display
    "pair-stdp": (
        ["PairSTDP", "stdp_nn_symm", "stdp_nn_pre_centered", "stdp_nn_restr"],
        ["pair_stdp_window.png", "song2000.png"],
    ),
    "triplet-stdp": (["TripletSTDP", "visual_all_to_all_full"], ["triplet_stdp.png"]),
    "exp-stdp": (["ExpSTDP", "x_target"], ["exp_stdp_window.png"]),
    "inhibitory-stdp": (
        ["InhibitorySTDP", "rho0"],
        ["inhibitory_stdp_drift.png", "vogels2011.png"],
    ),
    "reward-stdp": (["RewardSTDP", "tau_c"], ["izhikevich2007.png"]),
    "clopath": (["Clopath", "AdExClopath"], ["clopath_pairing.png"]),
    "graupner-brunel": (["GraupnerBrunel", "cortical_slices"], ["graupner_brunel.png"]),
    "bcm": (["BCM", "tau_theta"], ["rate_rules.png"]),
    "oja": (["Oja"], ["rate_rules.png"]),
    "homeostasis": (["SynapticScaling", "WeightNormalization"], ["homeostasis.png"]),
    "tsodyks-markram": (["TsodyksMarkram", "tau_rec"], ["tsodyks_markram.png"]),
    "polynomial": (["PolynomialRule", "theta"], ["metalearn_oja.png"]),
}

API_PAGES = [
    "network",
    "rules",
    "neurons",
    "inputs",
    "connectivity",
    "initializers",
    "core",
    "surrogate",
    "metalearn",
    "plot",
    "io",
    "dsl",
    "distributed",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the site with ``--strict`` (any warning fails) and return its directory."""
    for package in ("mkdocs", "material", "mkdocstrings_handlers.python"):  # the test extra
        pytest.importorskip(package)
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner, not a warning
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env, check=False
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{log}"
    assert "WARNING" not in log, log
    return out


def page_text(site: Path, page: str) -> str:
    """The visible text of a built page (tags stripped, entities decoded)."""
    path = site / page / "index.html" if page else site / "index.html"
    assert path.is_file(), f"the site has no page {page!r}"
    text = re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8"))
    return html.unescape(re.sub(r"\s+", " ", text))


def test_home_and_concept_pages_are_built(site: Path) -> None:
    home = page_text(site, "")
    assert "plastix run song2000" in home and "pip install" in home
    for page in (
        "step-order",
        "units",
        "event-buffers",
        "delays",
        "determinism",
        "ensembles",
        "gradients",
    ):
        assert len(page_text(site, f"concepts/{page}")) > 1000, page
    units = page_text(site, "concepts/units")
    assert "W[pre, post]" in units and "canonical order" in units and "Δt = 0" in units
    assert "One step, in this order" in page_text(site, "semantics")
    assert "Event path" in page_text(site, "performance")


@pytest.mark.parametrize("page", sorted(RULE_PAGES))
def test_rule_page_has_equations_parameters_validation_and_figures(site: Path, page: str):
    names, figures = RULE_PAGES[page]
    source = (site / "rules" / page / "index.html").read_text(encoding="utf-8")
    text = page_text(site, f"rules/{page}")
    for name in names:
        assert name in text, (page, name)
    for heading in ("Validation", "References"):
        assert heading in text, (page, heading)
    assert re.search(r"<th[^>]*>Argument</th>.*<th[^>]*>Unit</th>", source, re.S), (
        f"{page}: no parameter table with units"
    )
    assert 'class="arithmatex"' in source, f"{page}: no equation for MathJax"
    for figure in figures:
        assert f'src="../../figures/{figure}"' in source, (page, figure)


def test_experiments_page_lists_every_experiment(site: Path) -> None:
    from plastix import experiments

    text = page_text(site, "experiments")
    source = (site / "experiments" / "index.html").read_text(encoding="utf-8")
    for name in experiments.EXPERIMENTS:
        assert f'id="{name}"' in source, f"no section for {name}"
        assert f"{name}.png" in source, f"no figure for {name}"
    assert "plastix run --list" in text


def test_api_pages_render_the_docstrings(site: Path) -> None:
    import plastix

    network = page_text(site, "api/network")
    first_line = plastix.Network.__doc__.strip().splitlines()[0]

    def squash(text: str) -> str:  # the page splits text at code spans; compare letters
        return re.sub(r"[\s`]", "", text)

    assert squash(first_line) in squash(network)
    assert "set_weights" in network and "Raises" in network
    rules = page_text(site, "api/rules")
    assert "Song, Miller & Abbott (2000)" in rules  # PairSTDP's References section
    # the NEST factories' docstrings are assigned at import time (griffe extension)
    assert "stdp_nn_symm_synapse" in rules
    assert ":class:" not in rules  # Sphinx roles are rewritten as code


def _defined_by(value: object, module: types.ModuleType) -> bool:
    """Whether ``value`` comes from ``module``, one of its submodules, or its private twin
    (``plastix.core`` re-exports ``plastix._core``)."""
    origin = getattr(value, "__module__", None)
    if not isinstance(origin, str):
        return False
    own = module.__name__
    parent, _, leaf = own.rpartition(".")
    return origin == own or origin.startswith((own + ".", f"{parent}._{leaf}."))


def _public_names(module: types.ModuleType) -> list[str]:
    """Public names that ``module`` defines or re-exports from its own code, not helpers
    it imports from elsewhere (``jaxtyping.Array``, ``plastix._checks``). Of the
    constants, the tables count (preset dicts, ``FORMATS``), not flags such as
    ``TYPE_CHECKING`` or strings."""
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and (isinstance(value, dict | tuple) or _defined_by(value, module))
    ]


def test_every_public_name_has_an_api_entry(site: Path) -> None:
    """Each name exported by ``plastix`` and its public subpackages has an anchor on an
    API page (``id="plastix.<module>.<name>"``), so a new export cannot go undocumented."""
    import plastix
    import plastix.distributed
    import plastix.dsl
    import plastix.io
    import plastix.metalearn
    import plastix.plot

    ids = set()
    for page in API_PAGES:
        source = (site / "api" / page / "index.html").read_text(encoding="utf-8")
        ids.update(re.findall(r'id="(plastix\.[\w.]+)"', source))
    leaves = {i.rsplit(".", 1)[-1] for i in ids}
    modules = [
        plastix,
        plastix.rules,
        plastix.neurons,
        plastix.inputs,
        plastix.connectivity,
        plastix.core,
        plastix.surrogate,
        plastix.metalearn,
        plastix.initializers,
        plastix.plot,
        plastix.io,
        plastix.dsl,
        plastix.distributed,
    ]
    missing = [
        f"{module.__name__}.{name}"
        for module in modules
        for name in _public_names(module)
        if name not in leaves
    ]
    assert not missing, f"public names without an API entry: {missing}"


def test_figures_are_small_used_and_made_by_the_script() -> None:
    pngs = {p.name for p in FIGURES.glob("*.png")}
    assert len(pngs) >= 15
    for name in sorted(pngs):
        size = (FIGURES / name).stat().st_size
        assert 10_000 < size <= MAX_FIGURE_BYTES, (name, size)
    pages = "".join(p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md"))
    used = set(re.findall(r"figures/([\w-]+\.png)", pages))
    assert used == pngs, {"unused": pngs - used, "missing": used - pngs}
    # every figure has a maker in docs/make_figures.py (read statically: importing the
    # script would set up matplotlib and JAX for a figure run)
    tree = ast.parse((DOCS / "make_figures.py").read_text(encoding="utf-8"))
    makers = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "FIGURE_MAKERS"
    )
    names = {f"{key.value}.png" for key in makers.keys}
    assert names == pngs


def test_quick_start_example_runs() -> None:
    """The first Python block of the home page, as written (2 s of simulated time)."""
    source = (DOCS / "index.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", source, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "docs/index.md", "exec"), namespace)
    net, syn, spikes = namespace["net"], namespace["syn"], namespace["spikes"]
    assert net.t == pytest.approx(2000.0)
    assert spikes.t.size > 0  # the neuron fires
    w = net.weights(syn)
    assert w.shape == (1000, 1) and (w >= 0).all() and (w <= 0.01 + 1e-12).all()
