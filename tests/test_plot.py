"""plastix.plot: each function draws exactly the data it is given, and refuses bad input."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes

import plastix as px
import plastix.plot as pxplot

N_IN, N_OUT, DURATION = 20, 3, 30.0  # [ms]


@pytest.fixture(scope="module")
def run():
    """A tiny real run: 20 Poisson inputs -> 3 LIF neurons through plastic CSR synapses."""
    net = px.Network(dt=0.1, seed=3)
    inputs = net.add(px.Population(px.PoissonInput(200.0), N_IN, name="in"))
    out = net.add(px.Population(px.LIF(), N_OUT, name="out"))
    rule = px.PairSTDP(
        tau_plus=20.0, tau_minus=20.0, a_plus=20.0, a_minus=20.0, w_min=0.0, w_max=500.0
    )
    conn = px.connectivity.fixed_indegree(N_IN, N_OUT, 10, seed=1, format="csr")
    syn = net.add(
        px.Projection(inputs, out, conn, rule, weights=px.initializers.uniform(100.0, 400.0))
    )
    mons = {
        "in": net.add(px.Monitor(inputs)),
        "out": net.add(px.Monitor(out)),
        "v": net.add(px.Monitor(out, "v", indices=[0, 2])),
        "w": net.add(px.Monitor(syn, "w", every=1.0)),
    }
    net.run(DURATION, progress=False)
    assert mons["in"].t.size > 50 and mons["out"].t.size > 0  # the data are not trivial
    return net, syn, mons


@pytest.fixture(scope="module")
def ensemble():
    """Two instances of a 5 ms run: monitors with a batch axis."""
    net = px.Network(dt=0.1, seed=1)
    inputs = net.add(px.Population(px.PoissonInput(300.0), 8, name="in"))
    out = net.add(px.Population(px.LIF(i_e=400.0), 2, name="out"))
    syn = net.add(
        px.Projection(inputs, out, px.connectivity.all_to_all(8, 2, format="dense"),
                      px.PairSTDP(a_plus=1.0, a_minus=1.0, w_max=100.0), weights=50.0)
    )  # fmt: skip
    mons = {
        "in": net.add(px.Monitor(inputs)),
        "v": net.add(px.Monitor(out, "v")),
        "w": net.add(px.Monitor(syn, "w", every=1.0)),
    }
    px.Ensemble(net, seeds=[1, 2]).run(5.0, progress=False)
    assert set(np.unique(mons["in"].batch)) == {0, 1}
    return mons


@pytest.fixture
def ax():
    fig, ax = plt.subplots()
    yield ax
    plt.close(fig)


def _offsets(ax: Axes) -> np.ndarray:
    (points,) = ax.collections
    return np.asarray(points.get_offsets())


# -- raster ------------------------------------------------------------------------------------


def test_raster_draws_the_monitor_spikes(run, ax):
    _, _, mons = run
    assert pxplot.raster(mons["in"], ax=ax) is ax
    np.testing.assert_array_equal(_offsets(ax), np.column_stack([mons["in"].t, mons["in"].i]))
    assert ax.get_ylim() == (-0.5, N_IN - 0.5)
    assert ax.get_xlabel() == "time [ms]"


def test_raster_selects_time_units_and_seconds(ax):
    t = np.array([1.0, 2.0, 5.0, 7.0, 9.0, 12.0])
    i = np.array([0, 4, 1, 2, 1, 0])
    pxplot.raster(t, i, t_range=(2.0, 12.0), max_units=2, time_unit="s", ax=ax)
    # kept: 2 <= t < 12 and unit in {0, 1}: (5, 1), (9, 1)
    np.testing.assert_allclose(_offsets(ax), [[5e-3, 1], [9e-3, 1]])
    np.testing.assert_allclose(ax.get_xlim(), (2e-3, 12e-3))
    assert ax.get_xlabel() == "time [s]"
    ax.clear()
    pxplot.raster(t, i, units=[4, 2], ax=ax)
    np.testing.assert_array_equal(_offsets(ax), [[2.0, 4], [7.0, 2]])


def test_raster_without_ax_makes_a_figure():
    before = plt.get_fignums()
    ax = pxplot.raster([1.0], [0])
    assert isinstance(ax, Axes) and ax.figure.number not in before
    plt.close(ax.figure)


# -- population rate ---------------------------------------------------------------------------


def test_population_rate_equals_a_hand_count(ax):
    t = np.array([0.5, 1.0, 4.9, 5.0, 12.0, 15.0])  # 15.0 is outside [0, 15)
    assert pxplot.population_rate(t, 2, bin_width=5.0, t_range=(0.0, 15.0), ax=ax) is ax
    (line,) = ax.lines
    # bins [0, 5), [5, 10), [10, 15): 3, 1, 1 spikes of 2 neurons in 5 ms
    np.testing.assert_allclose(line.get_xdata(), [2.5, 7.5, 12.5])
    np.testing.assert_allclose(line.get_ydata(), [300.0, 100.0, 100.0])
    assert ax.get_ylabel() == "rate [Hz]"


def test_population_rate_of_a_monitor_covers_the_run(run, ax):
    _, _, mons = run
    pxplot.population_rate(mons["in"], bin_width=5.0, time_unit="s", ax=ax)
    (line,) = ax.lines
    t = mons["in"].t
    edges = np.arange(0.0, DURATION + 1.0, 5.0)
    counts = [np.sum((t >= a) & (t < b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    np.testing.assert_allclose(line.get_xdata(), (edges[:-1] + 2.5) * 1e-3)
    np.testing.assert_allclose(line.get_ydata(), np.array(counts) / N_IN / 5e-3)


# -- weights -----------------------------------------------------------------------------------


def _bar_heights(ax: Axes) -> np.ndarray:
    return np.array([p.get_height() for p in ax.patches])


def test_weight_histogram_bars_equal_numpy_histogram(run, ax):
    rng = np.random.default_rng(0)
    values = rng.normal(size=200)
    assert pxplot.weight_histogram(values, bins=7, unit="nS", ax=ax) is ax
    np.testing.assert_array_equal(_bar_heights(ax), np.histogram(values, bins=7)[0])
    assert ax.get_xlabel() == "weight [nS]"
    ax.clear()
    _, _, mons = run
    pxplot.weight_histogram(mons["w"], bins=10, w_max=500.0, ax=ax)
    expected, _ = np.histogram(mons["w"].values[-1] / 500.0, bins=10, range=(0.0, 1.0))
    np.testing.assert_array_equal(_bar_heights(ax), expected)
    assert ax.get_xlabel() == "w / w_max"


def test_weight_evolution_image_is_sorted_by_final_weight(run, ax):
    _, _, mons = run
    w = mons["w"]
    assert pxplot.weight_evolution(w, time_unit="s", ax=ax) is ax
    (image,) = ax.images
    order = np.argsort(w.values[-1], kind="stable")
    np.testing.assert_array_equal(image.get_array(), w.values[:, order].T)
    assert np.all(np.diff(image.get_array()[:, -1]) >= 0)
    # one column per record, centred on its time [s]: records every 1 ms from 0
    np.testing.assert_allclose(
        image.get_extent(), [-0.5e-3, 29.5e-3, -0.5, w.values.shape[1] - 0.5]
    )


def test_weight_evolution_lines_show_mean_and_quantiles(run, ax):
    t = np.array([0.0, 10.0, 20.0])
    w = np.array([[1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 5.0, 5.0], [0.0, 2.0, 2.0, 8.0]])
    pxplot.weight_evolution(t, w, style="lines", samples=2, quantiles=(0.0, 1.0), ax=ax)
    mean = next(line for line in ax.lines if line.get_label() == "mean")
    np.testing.assert_allclose(mean.get_ydata(), [2.5, 3.0, 3.0])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == 0.0 and band.max() == 8.0  # min and max over synapses
    samples = [line for line in ax.lines if line.get_label() != "mean"]
    # two samples at the lowest and highest final weight: synapses 0 and 3
    drawn = sorted(tuple(line.get_ydata()) for line in samples)
    assert drawn == [(1.0, 1.0, 0.0), (4.0, 5.0, 8.0)]


def test_weight_matrix_image_equals_the_matrix(run, ax):
    net, syn, mons = run
    matrix = net.weights(syn)
    assert pxplot.weight_matrix(matrix, ax=ax) is ax
    np.testing.assert_array_equal(ax.images[0].get_array(), matrix)
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("presynaptic neuron", "postsynaptic neuron")
    ax.clear()
    pxplot.weight_matrix(mons["w"], ax=ax)
    drawn = np.ma.filled(ax.images[-1].get_array(), np.nan)
    pre, post = syn.connectivity.canonical_indices()
    expected = np.full((N_IN, N_OUT), np.nan)
    for p, q, value in zip(pre, post, mons["w"].values[-1], strict=True):
        expected[p, q] = value
    np.testing.assert_array_equal(drawn, expected)  # no synapse: blank (NaN)


def test_receptive_fields_tile_each_column(ax):
    weights = np.arange(8.0).reshape(4, 2)  # two neurons, 2x2 inputs
    assert pxplot.receptive_fields(weights, (2, 2), labels=["a", "b"], ax=ax) is ax
    tiles = np.ma.filled(ax.images[0].get_array(), np.nan)
    expected = np.array([[0.0, 2.0, np.nan, 1.0, 3.0], [4.0, 6.0, np.nan, 5.0, 7.0]])
    np.testing.assert_array_equal(tiles, expected)
    assert [text.get_text() for text in ax.texts] == ["a", "b"]


# -- STDP window, membrane --------------------------------------------------------------------


def test_stdp_window_points_reference_and_zero_lines(ax):
    dt = np.array([10.0, -10.0, 30.0])
    dw = np.array([0.6, -0.5, 0.2])
    ref_dt = np.linspace(-40.0, 40.0, 9)
    ref_dw = np.sign(ref_dt) * np.exp(-np.abs(ref_dt) / 20.0)
    assert pxplot.stdp_window(dt, dw, reference=(ref_dt, ref_dw), baseline=1.0, ax=ax) is ax
    offsets = [np.asarray(line.get_xydata()) for line in ax.lines if line.get_marker() == "o"]
    np.testing.assert_array_equal(offsets[0], np.column_stack([dt, dw]))
    reference = next(line for line in ax.lines if line.get_label() == "reference")
    np.testing.assert_array_equal(reference.get_xydata(), np.column_stack([ref_dt, ref_dw]))
    flat = [tuple(line.get_ydata()) for line in ax.lines if line.get_linestyle() == "--"]
    assert (1.0, 1.0) in flat  # the baseline
    assert ax.get_xlabel() == "Δt = t_post − t_pre [ms]"
    ax.clear()
    pxplot.stdp_window(dt, dw, reference=lambda x: 2.0 * x, style="line", ax=ax)
    line = next(line for line in ax.lines if line.get_label() == "simulated")
    np.testing.assert_array_equal(line.get_xdata(), [-10.0, 10.0, 30.0])  # sorted by Δt
    reference = next(line for line in ax.lines if line.get_label() == "reference")
    np.testing.assert_allclose(reference.get_ydata(), 2.0 * reference.get_xdata())


def test_membrane_draws_the_recorded_traces(run, ax):
    _, _, mons = run
    v = mons["v"]
    assert pxplot.membrane(v, units=[2], threshold=-55.0, t_range=(10.0, 20.0), ax=ax) is ax
    trace, threshold = ax.lines
    keep = (v.t >= 10.0) & (v.t < 20.0)
    np.testing.assert_array_equal(trace.get_xdata(), v.t[keep])
    np.testing.assert_array_equal(trace.get_ydata(), v.values[keep, 1])  # unit 2 = column 1
    assert tuple(threshold.get_ydata()) == (-55.0, -55.0)
    assert ax.get_ylabel() == "v [mV]"
    with pytest.raises(ValueError, match=r"units \[1\] were not recorded.*\[0, 2\]"):
        pxplot.membrane(v, units=[1], ax=ax)


# -- ensembles -------------------------------------------------------------------------------


def test_ensemble_monitors_need_an_instance(ensemble, ax):
    spikes, v, w = ensemble["in"], ensemble["v"], ensemble["w"]
    with pytest.raises(ValueError, match=r"recorded an Ensemble.*pass instance="):
        pxplot.raster(spikes, ax=ax)
    with pytest.raises(ValueError, match=r"Ensemble of 2 instances.*\[0, 2\), got None"):
        pxplot.membrane(v, ax=ax)
    with pytest.raises(ValueError, match=r"instance must be in \[0, 2\), got 2"):
        pxplot.weight_histogram(w, instance=2, ax=ax)
    pxplot.raster(spikes, instance=1, ax=ax)
    mine = spikes.batch == 1
    np.testing.assert_array_equal(_offsets(ax), np.column_stack([spikes.t[mine], spikes.i[mine]]))
    ax.clear()
    pxplot.membrane(v, instance=0, units=[1], ax=ax)
    np.testing.assert_array_equal(ax.lines[0].get_ydata(), v.values[0, :, 1])


# -- errors -----------------------------------------------------------------------------------


def test_wrong_monitor_kinds_are_refused(run, ax):
    _, _, mons = run
    with pytest.raises(ValueError, match=r"weight_evolution: needs a weight Monitor.*'spikes'"):
        pxplot.weight_evolution(mons["out"], ax=ax)
    with pytest.raises(ValueError, match=r"raster: needs a spike Monitor.*what='w'"):
        pxplot.raster(mons["w"], ax=ax)
    with pytest.raises(ValueError, match=r"membrane: needs a state Monitor.*what='w'"):
        pxplot.membrane(mons["w"], ax=ax)
    with pytest.raises(ValueError, match=r"instance=1 selects one run of an Ensemble"):
        pxplot.weight_matrix(mons["w"], instance=1, ax=ax)
    fresh = px.Monitor(px.Population(px.LIF(), 2), "v")
    with pytest.raises(ValueError, match="has recorded nothing yet"):
        pxplot.membrane(fresh, ax=ax)
    with pytest.raises(ValueError, match="n comes from the Monitor"):
        pxplot.population_rate(mons["in"], 5, ax=ax)


def test_bad_arrays_and_options_are_refused(ax):
    t, i = np.array([1.0, 2.0]), np.array([0, 1, 2])
    with pytest.raises(ValueError, match=r"t and i must be 1-D.*shapes \(2,\) and \(3,\)"):
        pxplot.raster(t, i, ax=ax)
    with pytest.raises(ValueError, match="give the unit of each spike, i"):
        pxplot.raster(t, ax=ax)
    with pytest.raises(ValueError, match=r"time_unit must be 'ms' or 's', got 'min'"):
        pxplot.raster(t, i[:2], time_unit="min", ax=ax)
    with pytest.raises(ValueError, match=r"t_range must be \(start, stop\).*\(5.0, 1.0\)"):
        pxplot.raster(t, i[:2], t_range=(5.0, 1.0), ax=ax)
    with pytest.raises(ValueError, match="max_units must be an integer >= 1, got 0"):
        pxplot.raster(t, i[:2], max_units=0, ax=ax)
    with pytest.raises(ValueError, match="bin_width must be a finite number > 0, got 0.0"):
        pxplot.population_rate(t, 2, bin_width=0.0, ax=ax)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got None"):
        pxplot.population_rate(t, ax=ax)
    with pytest.raises(ValueError, match="shorter than one bin"):
        pxplot.population_rate(t, 2, bin_width=10.0, t_range=(0.0, 5.0), ax=ax)
    with pytest.raises(ValueError, match=r"1-D array of weights.*shape \(2, 2\).*canonical"):
        pxplot.weight_histogram(np.ones((2, 2)), ax=ax)
    with pytest.raises(ValueError, match="w_max must be a finite number > 0, got -1.0"):
        pxplot.weight_histogram(np.ones(3), w_max=-1.0, ax=ax)
    with pytest.raises(ValueError, match="bins must be an integer >= 1 or increasing"):
        pxplot.weight_histogram(np.ones(3), bins=[1.0, 0.0], ax=ax)
    with pytest.raises(ValueError, match=r"values \[len\(t\), columns\].*\(2,\) and \(3, 2\)"):
        pxplot.weight_evolution(t, np.ones((3, 2)), ax=ax)
    with pytest.raises(ValueError, match="style must be 'image' or 'lines', got 'bars'"):
        pxplot.weight_evolution(t, np.ones((2, 2)), style="bars", ax=ax)
    with pytest.raises(ValueError, match=r"quantiles must be.*\(0.9, 0.1\)"):
        pxplot.weight_evolution(t, np.ones((2, 2)), style="lines", quantiles=(0.9, 0.1), ax=ax)
    with pytest.raises(ValueError, match=r"\[pre, post\] matrix.*shape \(4,\)"):
        pxplot.weight_matrix(np.ones(4), ax=ax)
    with pytest.raises(ValueError, match=r"pre = 2·2 = 4 inputs, got shape \(5, 3\)"):
        pxplot.receptive_fields(np.ones((5, 3)), (2, 2), ax=ax)
    with pytest.raises(ValueError, match=r"dt and dw must be finite and of the same length"):
        pxplot.stdp_window([1.0, 2.0], [1.0], ax=ax)
    with pytest.raises(ValueError, match=r"yerr must be >= 0, one per point \(2\)"):
        pxplot.stdp_window([1.0, 2.0], [1.0, 0.5], yerr=[-1.0, 0.1], ax=ax)
    with pytest.raises(ValueError, match="style must be 'points', 'line' or 'both'"):
        pxplot.stdp_window([1.0], [1.0], style="bars", ax=ax)


def test_import_plastix_does_not_import_matplotlib():
    code = "import sys, plastix; print('matplotlib' in sys.modules, 'plastix.plot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
