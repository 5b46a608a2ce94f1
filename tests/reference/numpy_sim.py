"""Independent NumPy float64 reference simulator for plastix.

Written only from the contract in ``docs/semantics.md`` (never from the library's
kernels), so that the library can be checked against it. Clarity is preferred over
speed: everything is float64 and most work is done in explicit per-neuron and
per-synapse Python loops. Networks are meant to be tiny (tens of neurons, a few
thousand steps).

Units follow the contract: time in ms, potentials in mV, currents in pA, capacitance in
pF; ``lif_cond`` conductances are in units of the leak conductance (dimensionless).

One step ``k`` (time ``t_k = k*dt``) runs, in order:

1. **Deliver.** Every synapse ``s`` whose presynaptic neuron emitted a spike in step
   ``k - D_s`` adds its current weight (the weight from before this step's plasticity)
   to the input of its postsynaptic neuron on the projection's receptor.
2. **Neurons.** Every population steps and emits this step's spikes (sources emit the
   given spikes and ignore their input).
3. **Plasticity.** Traces decay by ``exp(-dt/tau)``; then ``on_pre`` on the synapses
   whose presynaptic spike arrived in step ``k``; the arrivals enter the pre traces; then
   ``on_post`` on the synapses whose postsynaptic neuron spiked in step ``k``; each
   update is clipped to ``[w_min, w_max]``.
4. **Trace increments.** This step's post spikes increment the post trace (``+= 1``, or
   ``= 1`` for nearest-spike STDP).
5. **Record.** Spikes, membrane potentials and weights after the step are stored; the
   spike record doubles as the delay buffer.

The pre trace is kept *per synapse* and is driven by that synapse's own arrivals (this
is what the contract says mathematically for any delays, including multapses with
different delays); the post trace is kept per postsynaptic neuron of each projection.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["simulate"]

_LIF_KEYS = (
    "n",
    "tau_m",
    "c_m",
    "v_rest",
    "v_th",
    "v_reset",
    "tau_syn_exc",
    "tau_syn_inh",
    "t_ref",
)
_LIF_COND_KEYS = (
    "n",
    "tau_m",
    "e_leak",
    "v_th",
    "v_reset",
    "e_exc",
    "e_inh",
    "tau_exc",
    "tau_inh",
    "t_ref",
)
_STDP_KEYS = ("tau_plus", "tau_minus", "a_plus", "a_minus", "w_min", "w_max")


def _require(d: dict, keys: tuple[str, ...], what: str) -> None:
    """Raise ``ValueError`` if any of ``keys`` is missing from ``d``."""
    missing = [key for key in keys if key not in d]
    if missing:
        raise ValueError(f"{what}: missing keys {missing}")


def _n_ref(t_ref: float, dt: float) -> int:
    """Refractory period in steps, ``round(t_ref/dt)`` (Python rounding, half to even)."""
    n_ref = int(round(float(t_ref) / dt))
    if n_ref < 0:
        raise ValueError("t_ref must be >= 0")
    return n_ref


class _Source:
    """A population that emits given spikes; its synaptic input is ignored.

    Attributes:
        n: number of neurons.
        spikes: bool array [n_steps, n], the spikes emitted in phase 2 of each step.
    """

    kind = "source"

    def __init__(self, spec: dict, n_steps: int) -> None:
        spikes = np.asarray(spec["spikes"], dtype=bool)
        if spikes.ndim != 2 or spikes.shape[0] != n_steps:
            raise ValueError(
                f"source spikes must have shape [n_steps={n_steps}, n], got {spikes.shape}"
            )
        self.n = spikes.shape[1]
        self.spikes = spikes

    def step(self, k: int, input_exc: np.ndarray, input_inh: np.ndarray) -> np.ndarray:
        """Return the given spikes of step ``k`` (inputs are ignored)."""
        del input_exc, input_inh
        return self.spikes[k].copy()

    def membrane(self) -> None:
        """Sources have no membrane potential."""
        return None


class _LIF:
    """Current-based LIF with exponential synaptic currents (exact integration).

    ``dv/dt = (v_rest - v)/tau_m + I/c_m``, ``I = I_exc + I_inh + i_e``,
    ``dI_x/dt = -I_x/tau_x``. Parameters: ``tau_m`` [ms], ``c_m`` [pF], ``v_rest``,
    ``v_th``, ``v_reset`` [mV], ``tau_syn_exc``, ``tau_syn_inh`` [ms], ``t_ref`` [ms],
    ``i_e`` [pA] (constant external current, default 0), ``v0`` [mV] (initial
    membrane potential, default ``v_rest``).
    """

    kind = "lif"

    def __init__(self, spec: dict, dt: float) -> None:
        _require(spec, _LIF_KEYS, "lif population")
        self.n = int(spec["n"])
        self.tau_m = float(spec["tau_m"])
        self.c_m = float(spec["c_m"])
        self.v_rest = float(spec["v_rest"])
        self.v_th = float(spec["v_th"])
        self.v_reset = float(spec["v_reset"])
        self.i_e = float(spec.get("i_e", 0.0))
        self.tau = {"exc": float(spec["tau_syn_exc"]), "inh": float(spec["tau_syn_inh"])}
        for tau_x in self.tau.values():
            if tau_x == self.tau_m:
                raise ValueError("lif: synaptic time constants must differ from tau_m")
        self.n_ref = _n_ref(spec["t_ref"], dt)

        # Exact propagators for one step of length dt.
        self.p_m = math.exp(-dt / self.tau_m)  # P
        self.p_syn = {}  # P_x: contribution of I_x(start of step) to v at end of step
        self.decay = {}  # exp(-dt/tau_x)
        for x, tau_x in self.tau.items():
            self.decay[x] = math.exp(-dt / tau_x)
            self.p_syn[x] = (
                self.tau_m
                * tau_x
                / (self.c_m * (tau_x - self.tau_m))
                * (math.exp(-dt / tau_x) - math.exp(-dt / self.tau_m))
            )
        self.p_e = (self.tau_m / self.c_m) * (1.0 - self.p_m)  # factor of i_e

        v0 = spec.get("v0")
        self.v = (
            np.full(self.n, self.v_rest, dtype=np.float64)
            if v0 is None
            else np.array(v0, dtype=np.float64).reshape(self.n)
        )
        self.i_syn = {"exc": np.zeros(self.n, np.float64), "inh": np.zeros(self.n, np.float64)}
        self.ref_left = np.zeros(self.n, dtype=np.int64)  # refractory steps still to serve

    def step(self, k: int, input_exc: np.ndarray, input_inh: np.ndarray) -> np.ndarray:
        """Advance one step; return the bool spike vector of this step."""
        del k
        self.i_syn["exc"] += input_exc
        self.i_syn["inh"] += input_inh
        spikes = np.zeros(self.n, dtype=bool)
        for i in range(self.n):
            if self.ref_left[i] > 0:
                # Refractory: v held at v_reset, no spike possible.
                self.ref_left[i] -= 1
                self.v[i] = self.v_reset
                continue
            v = self.v[i]
            v_new = (
                self.v_rest
                + (v - self.v_rest) * self.p_m
                + self.i_syn["exc"][i] * self.p_syn["exc"]
                + self.i_syn["inh"][i] * self.p_syn["inh"]
                + self.i_e * self.p_e
            )
            if v_new >= self.v_th:
                spikes[i] = True
                v_new = self.v_reset
                self.ref_left[i] = self.n_ref
            self.v[i] = v_new
        # Synaptic currents decay whether or not the neuron is refractory.
        for x in ("exc", "inh"):
            self.i_syn[x] *= self.decay[x]
        return spikes

    def membrane(self) -> np.ndarray:
        """Copy of the membrane potentials [mV]."""
        return self.v.copy()


class _LIFCond:
    """Conductance-based LIF with exponential conductances (exponential Euler).

    ``tau_m dv/dt = (e_leak - v) + g_e (e_exc - v) + g_i (e_inh - v)``,
    ``dg_x/dt = -g_x/tau_x``; conductances dimensionless (units of the leak
    conductance). Parameters: ``tau_m`` [ms], ``e_leak``, ``v_th``, ``v_reset``,
    ``e_exc``, ``e_inh`` [mV], ``tau_exc``, ``tau_inh`` [ms], ``t_ref`` [ms], ``v0`` [mV]
    (initial membrane potential, default ``e_leak``).
    """

    kind = "lif_cond"

    def __init__(self, spec: dict, dt: float) -> None:
        _require(spec, _LIF_COND_KEYS, "lif_cond population")
        self.dt = dt
        self.n = int(spec["n"])
        self.tau_m = float(spec["tau_m"])
        self.e_leak = float(spec["e_leak"])
        self.v_th = float(spec["v_th"])
        self.v_reset = float(spec["v_reset"])
        self.e_rev = {"exc": float(spec["e_exc"]), "inh": float(spec["e_inh"])}
        self.decay = {
            "exc": math.exp(-dt / float(spec["tau_exc"])),
            "inh": math.exp(-dt / float(spec["tau_inh"])),
        }
        self.n_ref = _n_ref(spec["t_ref"], dt)
        v0 = spec.get("v0")
        self.v = (
            np.full(self.n, self.e_leak, dtype=np.float64)
            if v0 is None
            else np.array(v0, dtype=np.float64).reshape(self.n)
        )
        self.g = {"exc": np.zeros(self.n, np.float64), "inh": np.zeros(self.n, np.float64)}
        self.ref_left = np.zeros(self.n, dtype=np.int64)

    def step(self, k: int, input_exc: np.ndarray, input_inh: np.ndarray) -> np.ndarray:
        """Advance one step; return the bool spike vector of this step."""
        del k
        self.g["exc"] += input_exc
        self.g["inh"] += input_inh
        spikes = np.zeros(self.n, dtype=bool)
        for i in range(self.n):
            if self.ref_left[i] > 0:
                self.ref_left[i] -= 1
                self.v[i] = self.v_reset
                continue
            g_e = self.g["exc"][i]
            g_i = self.g["inh"][i]
            g_tot = 1.0 + g_e + g_i
            v_inf = (self.e_leak + g_e * self.e_rev["exc"] + g_i * self.e_rev["inh"]) / g_tot
            v_new = v_inf + (self.v[i] - v_inf) * math.exp(-self.dt * g_tot / self.tau_m)
            if v_new >= self.v_th:
                spikes[i] = True
                v_new = self.v_reset
                self.ref_left[i] = self.n_ref
            self.v[i] = v_new
        for x in ("exc", "inh"):
            self.g[x] *= self.decay[x]
        return spikes

    def membrane(self) -> np.ndarray:
        """Copy of the membrane potentials [mV]."""
        return self.v.copy()


class _Projection:
    """Synapses from one population to another, with optional pair STDP.

    Attributes:
        pre, post: population indices.
        pre_index, post_index: int arrays [S].
        w: float64 array [S], current weights (pA for ``lif``, leak-conductance units
            for ``lif_cond``).
        delay: int array [S], axonal delays in steps (each >= 1).
        receptor: ``"exc"`` or ``"inh"``.
        stdp: None or dict of STDP parameters (see ``simulate``).
        x: float64 [S], per-synapse pre traces (time constant ``tau_plus``).
        y: float64 [n_post], post traces (time constant ``tau_minus``).
    """

    def __init__(self, spec: dict, pops: list, index: int) -> None:
        what = f"projection {index}"
        _require(spec, ("pre", "post", "pre_index", "post_index", "w", "delay", "receptor"), what)
        self.pre = int(spec["pre"])
        self.post = int(spec["post"])
        if not (0 <= self.pre < len(pops) and 0 <= self.post < len(pops)):
            raise ValueError(f"{what}: population index out of range")
        self.pre_index = np.asarray(spec["pre_index"], dtype=np.int64).reshape(-1)
        self.post_index = np.asarray(spec["post_index"], dtype=np.int64).reshape(-1)
        n_syn = self.pre_index.shape[0]
        self.w = np.array(spec["w"], dtype=np.float64).reshape(-1)
        self.delay = np.asarray(spec["delay"], dtype=np.int64).reshape(-1)
        if self.delay.shape[0] == 1 and n_syn != 1:
            self.delay = np.full(n_syn, self.delay[0], dtype=np.int64)
        if not (self.post_index.shape[0] == self.w.shape[0] == self.delay.shape[0] == n_syn):
            raise ValueError(f"{what}: pre_index, post_index, w, delay must all have length S")
        if n_syn and (self.delay.min() < 1):
            raise ValueError(f"{what}: every delay must be >= 1 step")
        if n_syn and (self.pre_index.min() < 0 or self.pre_index.max() >= pops[self.pre].n):
            raise ValueError(f"{what}: pre_index out of range")
        if n_syn and (self.post_index.min() < 0 or self.post_index.max() >= pops[self.post].n):
            raise ValueError(f"{what}: post_index out of range")
        self.receptor = spec["receptor"]
        if self.receptor not in ("exc", "inh"):
            raise ValueError(f"{what}: receptor must be 'exc' or 'inh'")

        stdp = spec.get("stdp")
        self.stdp = None
        if stdp is not None:
            _require(stdp, _STDP_KEYS, f"{what} stdp")
            self.stdp = {key: float(stdp[key]) for key in _STDP_KEYS}
            self.stdp["mu_plus"] = float(stdp.get("mu_plus", 0.0))
            self.stdp["mu_minus"] = float(stdp.get("mu_minus", 0.0))
            self.stdp["nearest"] = bool(stdp.get("nearest", False))
            if not self.stdp["w_max"] > self.stdp["w_min"]:
                raise ValueError(f"{what}: stdp needs w_max > w_min")
        self.x = np.zeros(n_syn, dtype=np.float64)
        self.y = np.zeros(pops[self.post].n, dtype=np.float64)

    def arrivals(self, k: int, spike_record: np.ndarray) -> np.ndarray:
        """Bool [S]: synapses whose presynaptic spike (emitted in ``k - D_s``) arrives now.

        ``spike_record`` is the pre population's bool spike record [n_steps, n_pre]; it
        serves as the delay buffer (only rows ``< k`` are read, all already final).
        """
        arrived = np.zeros(self.pre_index.shape[0], dtype=bool)
        for s in range(arrived.shape[0]):
            emitted = k - int(self.delay[s])
            if emitted >= 0:
                arrived[s] = bool(spike_record[emitted, self.pre_index[s]])
        return arrived

    def _f_plus(self, w: float) -> float:
        """Potentiation weight dependence ``((w_max - w)/(w_max - w_min))**mu_plus``."""
        p = self.stdp
        return ((p["w_max"] - w) / (p["w_max"] - p["w_min"])) ** p["mu_plus"]

    def _f_minus(self, w: float) -> float:
        """Depression weight dependence ``((w - w_min)/(w_max - w_min))**mu_minus``."""
        p = self.stdp
        return ((w - p["w_min"]) / (p["w_max"] - p["w_min"])) ** p["mu_minus"]

    def plasticity(self, dt: float, arrived: np.ndarray, post_spikes: np.ndarray) -> None:
        """Phases 3 and 4 of one step: decay traces, on_pre, on_post, then increments."""
        if self.stdp is None:
            return
        p = self.stdp
        # Phase 3a: decay traces to t_k (they do not yet hold this step's spikes).
        self.x *= math.exp(-dt / p["tau_plus"])
        self.y *= math.exp(-dt / p["tau_minus"])
        n_syn = self.w.shape[0]
        # Phase 3b: on_pre for every synapse whose presynaptic spike arrived now; it
        # reads the post trace without this step's post spikes.
        for s in range(n_syn):
            if arrived[s]:
                w = self.w[s]
                w = w - p["a_minus"] * self._f_minus(w) * self.y[self.post_index[s]]
                self.w[s] = min(max(w, p["w_min"]), p["w_max"])
        # Phase 3c: the arrivals enter the pre trace (an arrival precedes, and can cause,
        # a post spike of the same step).
        if p["nearest"]:
            self.x[arrived] = 1.0
        else:
            self.x[arrived] += 1.0
        # Phase 3d: on_post for every synapse whose postsynaptic neuron spiked now.
        for s in range(n_syn):
            if post_spikes[self.post_index[s]]:
                w = self.w[s]
                w = w + p["a_plus"] * self._f_plus(w) * self.x[s]
                self.w[s] = min(max(w, p["w_min"]), p["w_max"])
        # Phase 4: post trace increments.
        if p["nearest"]:
            self.y[post_spikes] = 1.0
        else:
            self.y[post_spikes] += 1.0


def simulate(dt: float, n_steps: int, populations: list[dict], projections: list[dict]) -> dict:
    """Run the reference simulation in float64.

    Args:
        dt: time step [ms].
        n_steps: number of steps ``T``; step ``k`` covers ``t_k = k*dt``.
        populations: list of population specs, each one of

            * ``{"kind": "source", "spikes": bool [n_steps, n]}``: the given spikes are
              emitted in phase 2 of each step; synaptic input to a source is ignored.
            * ``{"kind": "lif", "n", "tau_m" [ms], "c_m" [pF], "v_rest" [mV],
              "v_th" [mV], "v_reset" [mV], "tau_syn_exc" [ms], "tau_syn_inh" [ms],
              "t_ref" [ms], "i_e" [pA] (default 0), "v0" [mV] array [n] (default
              v_rest)}``.
            * ``{"kind": "lif_cond", "n", "tau_m" [ms], "e_leak" [mV], "v_th" [mV],
              "v_reset" [mV], "e_exc" [mV], "e_inh" [mV], "tau_exc" [ms],
              "tau_inh" [ms], "t_ref" [ms], "v0" [mV] array [n] (default e_leak)}``.

        projections: list of projection specs ``{"pre": int, "post": int,
            "pre_index": int [S], "post_index": int [S], "w": float [S] (initial
            weights), "delay": int [S] (steps, each >= 1; a length-1 array is
            broadcast), "receptor": "exc" | "inh", "stdp": None | dict}``. The STDP
            dict holds ``tau_plus``, ``tau_minus`` [ms], ``a_plus``, ``a_minus``,
            ``w_min``, ``w_max`` (weight units), and optionally ``mu_plus``,
            ``mu_minus`` (default 0, additive) and ``nearest`` (default False,
            all-to-all). Repeated (pre, post) pairs are independent synapses.

    Returns:
        dict with

        * ``"spikes"``: list, per population, of bool arrays [n_steps, n];
        * ``"v"``: list, per population, of float64 arrays [n_steps, n] with the
          membrane potential [mV] after each step (None for sources);
        * ``"w"``: list, per projection, of float64 arrays [S], the final weights;
        * ``"w_trace"``: list, per projection, of float64 arrays [n_steps, S], the
          weights after each step.
    """
    dt = float(dt)
    n_steps = int(n_steps)
    if dt <= 0 or n_steps < 0:
        raise ValueError("need dt > 0 and n_steps >= 0")

    pops = []
    for spec in populations:
        kind = spec.get("kind")
        if kind == "source":
            pops.append(_Source(spec, n_steps))
        elif kind == "lif":
            pops.append(_LIF(spec, dt))
        elif kind == "lif_cond":
            pops.append(_LIFCond(spec, dt))
        else:
            raise ValueError(f"unknown population kind {kind!r}")
    projs = [_Projection(spec, pops, i) for i, spec in enumerate(projections)]

    spikes = [np.zeros((n_steps, pop.n), dtype=bool) for pop in pops]
    v_rec = [
        None if pop.kind == "source" else np.zeros((n_steps, pop.n), dtype=np.float64)
        for pop in pops
    ]
    w_trace = [np.zeros((n_steps, proj.w.shape[0]), dtype=np.float64) for proj in projs]

    for k in range(n_steps):
        # Phase 1: deliver arrivals with the weights from before this step's plasticity.
        inputs = [
            {"exc": np.zeros(pop.n, np.float64), "inh": np.zeros(pop.n, np.float64)} for pop in pops
        ]
        arrived = []
        for proj in projs:
            arr = proj.arrivals(k, spikes[proj.pre])
            arrived.append(arr)
            target = inputs[proj.post][proj.receptor]
            for s in np.flatnonzero(arr):
                target[proj.post_index[s]] += proj.w[s]

        # Phase 2: every population steps and emits this step's spikes.
        step_spikes = [
            pop.step(k, inputs[j]["exc"], inputs[j]["inh"]) for j, pop in enumerate(pops)
        ]

        # Phases 3 and 4: plasticity, then trace increments.
        for proj, arr in zip(projs, arrived, strict=True):
            proj.plasticity(dt, arr, step_spikes[proj.post])

        # Phase 5: record (the spike record is also the delay buffer).
        for j, pop in enumerate(pops):
            spikes[j][k] = step_spikes[j]
            if v_rec[j] is not None:
                v_rec[j][k] = pop.membrane()
        for p, proj in enumerate(projs):
            w_trace[p][k] = proj.w

    return {
        "spikes": spikes,
        "v": v_rec,
        "w": [proj.w.copy() for proj in projs],
        "w_trace": w_trace,
    }
