"""VALIDATION §4: triplet STDP on Sjöström et al.'s (2001) frequency protocol.

60 pairings at 0.1–50 Hz with Δt = t_post − t_pre = ±10 ms, every protocol on its own
one-to-one synapse of one network. The summed Δw must equal an event-by-event
computation (written here from the paper's equations, in continuous time) and follow the
data of ``../shared/data/sjostrom2001_frequency.csv``.
"""

import csv
import math
from pathlib import Path

import numpy as np
import pytest

import plastix as px

DT = 1.0  # ms: every spike time and Δt of the protocol is a whole number of steps
PAIRS = 60
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "sjostrom2001_frequency.csv"


def load_data() -> list[tuple[float, float, float, float]]:
    with DATA.open() as f:
        return [
            tuple(float(row[k]) for k in ("frequency_hz", "delta_t_ms", "delta_w_fraction",
                                          "sem_fraction"))
            for row in csv.DictReader(f)
        ]  # fmt: skip


def protocol_spikes(freq: float, lag: float) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times of the pre spikes and times of the post spikes [ms]."""
    start = 20.0
    t_pre = start + np.arange(PAIRS) * 1000.0 / freq
    return t_pre, t_pre + lag


def event_by_event(params: dict, t_pre: np.ndarray, t_post: np.ndarray) -> float:
    """Σ Δw from Pfister & Gerstner's Eq. 3–4 over the merged, time-ordered spikes.

    Traces are carried as exact exponentials between events; at equal times the pre
    spike counts first (plastix's order); the slow trace of the spiking side is read
    before its own jump.
    """
    p = params
    nearest = p.get("nearest", False)
    events = sorted([(t, 0) for t in t_pre] + [(t, 1) for t in t_post])
    r1 = r2 = o1 = o2 = 0.0
    last = events[0][0]
    w = 0.0
    for t, kind in events:
        gap = t - last
        r1 *= math.exp(-gap / 16.8)
        r2 *= math.exp(-gap / p["tau_x"])
        o1 *= math.exp(-gap / 33.7)
        o2 *= math.exp(-gap / p["tau_y"])
        last = t
        if kind == 0:
            w -= o1 * (p["a2_minus"] + p["a3_minus"] * r2)
            r1, r2 = (1.0, 1.0) if nearest else (r1 + 1.0, r2 + 1.0)
        else:
            w += r1 * (p["a2_plus"] + p["a3_plus"] * o2)
            o1, o2 = (1.0, 1.0) if nearest else (o1 + 1.0, o2 + 1.0)
    return w


def simulate(rule: px.TripletSTDP, protocols) -> np.ndarray:
    n = len(protocols)
    pre_t, pre_i, post_t, post_i = [], [], [], []
    for i, (freq, lag) in enumerate(protocols):
        t_pre, t_post = protocol_spikes(freq, lag)
        pre_t.append(t_pre - DT)  # emitted one step early: arrives at t_pre
        post_t.append(t_post)
        pre_i.append(np.full(PAIRS, i))
        post_i.append(np.full(PAIRS, i))
    net = px.Network(dt=DT)
    pre = net.add(
        px.Population(px.SpikeTimesInput(np.concatenate(pre_t), np.concatenate(pre_i)), n)
    )
    post = net.add(
        px.Population(px.SpikeTimesInput(np.concatenate(post_t), np.concatenate(post_i)), n)
    )
    proj = net.add(px.Projection(pre, post, px.one_to_one(n), rule, weights=0.0))
    duration = max(np.max(t) for t in post_t) + 2 * DT
    net.run(duration, chunk_size=20_000, progress=False)
    return np.diag(net.weights(proj))


PRESETS = ["visual_all_to_all_full", "visual_all_to_all_minimal", "visual_nearest_full",
           "visual_nearest_minimal"]  # fmt: skip


@pytest.mark.parametrize("preset", PRESETS)
def test_sjostrom_frequency_protocol(preset):
    data = load_data()
    protocols = [(f, lag) for f, lag, _, _ in data]
    rule = px.TripletSTDP.preset(preset, w_min=-10.0, w_max=10.0)
    dw = simulate(rule, protocols)
    params = px.rules.TRIPLET_PRESETS[preset]
    expected = [event_by_event(params, *protocol_spikes(f, lag)) for f, lag in protocols]
    np.testing.assert_allclose(dw, expected, rtol=0, atol=1e-3)
    by = {(f, lag): w for (f, lag), w in zip(protocols, dw, strict=True)}
    # LTD at −10 ms for 0.1–20 Hz; LTP for both signs at 50 Hz
    assert all(by[(f, -10.0)] < 0 for f in (0.1, 10.0, 20.0))
    assert by[(50.0, 10.0)] > 0 and by[(50.0, -10.0)] > 0
    # +10 ms: LTP growing with frequency
    plus = [by[(f, 10.0)] for f in (0.1, 10.0, 20.0, 40.0, 50.0)]
    assert np.all(np.diff(plus) > 0)
    # within 2 SEM of the data at ≥ 8 of 10 points
    close = [abs(by[(f, lag)] - w) <= 2 * sem for f, lag, w, sem in data]
    assert sum(close) >= 8, list(zip(protocols, np.round(dw, 3), close, strict=True))
