"""Runs across devices (plastix.distributed): the same spikes and weights on any device
count, clear errors. Several devices are faked on CPU in a subprocess
(``--xla_force_host_platform_device_count`` must be set before jax is imported)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import jax
import numpy as np
import pytest

import plastix as px
from plastix.distributed import Partition, make_mesh
from plastix.distributed._partition import Blocks, SynapseList

ROOT = Path(__file__).resolve().parents[1]


def run_brunel(tmp_path: Path, *args: str, devices: int = 4, timeout: int = 600) -> dict:
    """Run tests/distributed/brunel.py with ``devices`` fake CPU devices; its arrays."""
    out = tmp_path / "result.npz"
    env = dict(os.environ, XLA_FLAGS=f"--xla_force_host_platform_device_count={devices}")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    command = [sys.executable, "-m", "tests.distributed.brunel", str(out), *args]
    done = subprocess.run(
        command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(np.load(out))


def assert_same_run(result: dict, base: str, other: str) -> None:
    for name in ("e_t", "e_i", "i_t", "i_i"):
        np.testing.assert_array_equal(
            result[f"{other}/{name}"],
            result[f"{base}/{name}"],
            err_msg=f"{name}: devices {other} vs {base}",
        )
    for name in ("w", "w_rec", "v"):
        np.testing.assert_allclose(
            result[f"{other}/{name}"],
            result[f"{base}/{name}"],
            rtol=0,
            atol=1e-12,
            err_msg=f"{name}: devices {other}",
        )


def check_run_is_meaningful(result: dict, base: str) -> None:
    """The compared run has activity in both populations and learning on E→E."""
    assert result[f"{base}/e_t"].size > 100 and result[f"{base}/i_t"].size > 20
    w, w0 = result[f"{base}/w"], result[f"{base}/w0"]
    assert np.mean(np.abs(w - w0)[w0 != 0] > 1e-6) > 0.02  # 4.6 % after 20 ms


def test_csr_random_delays_same_on_1_and_3_devices_with_odd_chunks(tmp_path):
    """2000 neurons (1600 E + 400 I, 800 Poisson sources), E→E STDP in CSR with random
    per-synapse delays: the plain run and runs on 1 and 3 devices (uneven blocks, so
    padded), in chunks of 37 steps (windows cut by chunk ends), exchanging spike
    indices, give the same spikes and weights. (2 and 4 devices, exchanging booleans:
    the slow test below, and the two-process and checkpoint tests.)"""
    args = ["--format", "csr", "--delays", "random", "--devices", "0,1,3"]
    # spikes exchanged as index buffers (300 per device and step: in the first steps
    # 258 of the 1600 E neurons fire, ~90 per block on 3 devices); booleans elsewhere
    args += ["--exchange-capacity", "300"]
    result = run_brunel(tmp_path, *args, "--ms", "20", "--chunk", "37")
    check_run_is_meaningful(result, "0")
    for devices in ("1", "3"):
        assert_same_run(result, "0", devices)


@pytest.mark.slow
def test_every_format_and_delay_kind_same_on_2_and_4_devices(tmp_path):
    """One network with six plastic E→E projections: Dense, CSR and COO, each with the
    homogeneous 1.5 ms delay and with random per-synapse delays."""
    result = run_brunel(tmp_path, "--format", "all", "--devices", "0,2,4", "--ms", "30")
    check_run_is_meaningful(result, "0")
    for devices in ("2", "4"):
        assert_same_run(result, "0", devices)


@pytest.fixture(scope="module")
def plain_run() -> dict:
    """The 20 ms CSR run with homogeneous delays on one device, in this process."""
    from tests.distributed import brunel

    net, plastic, (mon_e, mon_i, mon_w) = brunel.build("csr", "homogeneous")
    net.run(20.0, progress=False)
    return {
        "0/e_t": mon_e.t,
        "0/e_i": mon_e.i,
        "0/i_t": mon_i.t,
        "0/i_i": mon_i.i,
        "0/w": brunel.canonical_weights(net, plastic),
        "0/w_rec": mon_w.values,
        "0/v": net.get_state(net.populations[1])["v"],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_with_two_devices_each_equal_one_process(tmp_path, plain_run):
    """Two processes on 127.0.0.1 join through plastix.distributed.initialize (gloo CPU
    collectives), two fake devices each, and run the network on all four devices."""
    out = tmp_path / "mp.npz"
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    port = free_port()
    logs = [tmp_path / f"process{i}.log" for i in range(2)]
    processes = []
    try:
        for i in range(2):
            command = [
                sys.executable,
                "-m",
                "tests.distributed.brunel",
                str(out),
                "--devices",
                "4",
                "--ms",
                "20",
                "--processes",
                "2",
                "--process-id",
                str(i),
                "--port",
                str(port),
            ]
            with open(logs[i], "w") as log:
                processes.append(
                    subprocess.Popen(
                        command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
                    )
                )
        deadline = time.monotonic() + 300
        for p in processes:
            p.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, log in zip(processes, logs, strict=True):
        assert p.returncode == 0, log.read_text()[-3000:]
    assert '"processes": 2' in logs[1].read_text()
    result = dict(np.load(out)) | plain_run
    assert_same_run(result, "0", "4")


def test_checkpoint_of_a_4_device_run_continues_on_2_devices(tmp_path, plain_run):
    """10 ms on 4 devices, stored; restored in a new process, 10 ms more on 2 devices:
    the same spikes and weights as 20 ms on one device."""
    checkpoint = tmp_path / "ck.h5"
    run_brunel(tmp_path, "--devices", "4", "--ms", "10", "--store", str(checkpoint))
    result = run_brunel(tmp_path, "--devices", "2", "--ms", "10", "--restore", str(checkpoint))
    assert_same_run(result | plain_run, "0", "2")


# -- partitioning, on the host -------------------------------------------------------------


def test_blocks_split_and_join_pad_the_last_block():
    blocks = Blocks(10, 4)
    assert (blocks.size, blocks.padded) == (3, 12)
    x = np.arange(10.0)
    parts = blocks.split(x)
    assert parts.shape == (4, 3)
    np.testing.assert_array_equal(parts[-1], [9.0, 9.0, 9.0])  # edge padding
    np.testing.assert_array_equal(blocks.split(x, fill=0.0)[-1], [9.0, 0.0, 0.0])
    np.testing.assert_array_equal(blocks.join(parts), x)
    np.testing.assert_array_equal(blocks.valid()[-1], [True, False, False])


def test_synapse_list_keeps_storage_order_per_block():
    post = np.array([5, 0, 3, 1, 5, 2, 4])  # blocks of 2 over 3 devices
    synapses = SynapseList(post, Blocks(6, 3))
    np.testing.assert_array_equal(synapses.index, [[1, 3, -1], [2, 5, -1], [0, 4, 6]])
    values = np.arange(7.0) * 10
    np.testing.assert_array_equal(synapses.join(synapses.split(values, fill=-1.0)), values)
    assert synapses.split(values, fill=-1.0)[0, 2] == -1.0


def small_network(fmt="csr", delay=1.0, n=10, monitor=False):
    net = px.Network(dt=0.1, seed=0)
    src = net.add(px.Population(px.PoissonInput(100.0), n, name="src"))
    out = net.add(px.Population(px.LIF(), n, name="out"))
    net.add(
        px.Projection(
            src,
            out,
            px.fixed_indegree(n, n, 3, seed=1, format=fmt),
            px.PairSTDP(w_max=3000.0),
            weights=2000.0,
            delay=delay,
            name="syn",
        )
    )
    if monitor:
        net.add(px.Monitor(out))
    net.build()
    return net


def test_partition_gives_each_device_its_postsynaptic_block():
    net = small_network("coo")
    part = Partition(net.spec, 3)
    state = part.split_state(net.state)
    conn = net.spec.projections[0].connectivity
    w = np.asarray(state.projections[0].w)
    # every synapse lies on the device of its postsynaptic neuron, once
    assert w.shape[0] == 3 and np.sum(part.synapses[0].index >= 0) == conn.n_synapses
    owner = np.asarray(conn.post)[part.synapses[0].index[part.synapses[0].index >= 0]] // 4
    device = np.nonzero(part.synapses[0].index >= 0)[0]
    np.testing.assert_array_equal(owner, device)
    # padding synapses carry no weight; the joined state is the original
    assert np.all(w[part.synapses[0].index < 0] == 0)
    joined = part.join_state(state)
    for a, b in zip(
        jax.tree_util.tree_leaves(joined), jax.tree_util.tree_leaves(net.state), strict=True
    ):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_padding_synapses_never_transmit_or_learn():
    """A local sparse block with one padding synapse (pointing at the out-of-range post
    index): the all-synapse and event paths leave it alone and deliver nothing from it."""
    from plastix.distributed._local_sparse import LocalSparse

    conn = LocalSparse(np.array([0, 1, 0]), np.array([1, 0, 2]), np.array([True, True, False]),
                       n_pre=2, n_post=2, max_out=1, max_in=1)  # fmt: skip
    w = jax.numpy.array([1.0, 2.0, 5.0])
    np.testing.assert_array_equal(conn.propagate(w, np.array([True, True])), [2.0, 1.0])
    bump = lambda values, pre, post, syn: values + 10.0  # noqa: E731
    np.testing.assert_array_equal(conn.apply_masked(w, np.ones(3, bool), bump), [11.0, 12.0, 5.0])
    np.testing.assert_array_equal(conn.apply_pre_events(w, np.array([0, 1]), bump),
                                  [11.0, 12.0, 5.0])  # fmt: skip
    np.testing.assert_array_equal(conn.apply_post_events(w, np.array([0, 1]), bump),
                                  [11.0, 12.0, 5.0])  # fmt: skip
    np.testing.assert_array_equal(conn.propagate_events(w, np.array([0, 2])), [0.0, 1.0])


def test_dense_partition_masks_padded_columns():
    net = small_network("dense")
    part = Partition(net.spec, 4)  # 10 neurons: blocks of 3, the last has 1 real
    local = [part._local_spec(d).projections[0].connectivity for d in range(4)]
    assert local[0].synapse_shape == (10, 3)
    np.testing.assert_array_equal(np.asarray(local[3].mask).any(axis=0), [True, False, False])


# -- on one device, in this process ----------------------------------------------------------


def test_one_device_run_equals_plain_run():
    plain, sharded = small_network(monitor=True), small_network(monitor=True)
    spikes = [n.monitors[0] for n in (plain, sharded)]
    plain.run(20.0, progress=False)
    sharded.run(20.0, progress=False, devices=1, chunk_size=33)
    np.testing.assert_array_equal(spikes[1].t, spikes[0].t)
    np.testing.assert_array_equal(
        sharded.weights(sharded.projections[0]), plain.weights(plain.projections[0])
    )
    assert spikes[0].t.size > 0


def test_errors_name_the_argument_and_what_was_expected():
    net = small_network(delay=0.5)  # 5 steps
    with pytest.raises(ValueError, match=r"exchange_every=6 steps.*minimum delay, 5 steps"):
        net.run(1.0, progress=False, devices=1, exchange_every=6)
    with pytest.raises(ValueError, match="exchange_every applies to runs across devices"):
        net.run(1.0, progress=False, exchange_every=2)
    with pytest.raises(ValueError, match=r"devices must be between 1 and the \d+ available"):
        net.run(1.0, progress=False, devices=len(jax.devices()) + 1)
    with pytest.raises(ValueError, match="must have an axis named 'neurons'"):
        net.run(1.0, progress=False, devices=jax.sharding.Mesh(jax.devices()[:1], ("x",)))
    with pytest.raises(ValueError, match="devices must be a number of devices"):
        net.run(1.0, progress=False, devices="gpu")
    with pytest.raises(ValueError, match="population 'src' has 10 units, fewer than the 16"):
        Partition(net.spec, 16)
    assert make_mesh(1).axis_names == ("neurons",)


def test_overflow_error_names_the_shard():
    from plastix._core.simulate import check_diagnostics

    net = small_network()
    diagnostics = {
        "overflow": (np.array([0, 0, 7]),),
        "drive_errors": (np.zeros(()), np.zeros(())),
        "finite_populations": (np.ones(3, bool), np.ones(3, bool)),
        "finite_projections": (np.ones(3, bool),),
    }
    with pytest.raises(px.BufferOverflowError, match=r"Projection 'syn': 7 neurons.*shard 2"):
        check_diagnostics(net.spec, diagnostics, "in steps 0–9", "shard")


def test_one_device_run_reports_overflow_with_its_shard():
    net = px.Network(dt=0.1, seed=0)
    src = net.add(px.Population(px.PoissonInput(900.0), 40, name="src"))
    out = net.add(px.Population(px.LIF(), 8, name="out"))
    net.add(px.Projection(src, out, px.all_to_all(40, 8, format="csr"), px.PairSTDP(),
                          weights=1.0, capacity=2, name="syn"))  # fmt: skip
    with pytest.raises(px.BufferOverflowError, match=r"'syn'.*capacity=2.*shard 0"):
        net.run(5.0, progress=False, devices=1)


def test_cli_devices(tmp_path, capsys):
    """``plastix run vogels2011 --devices 2`` (two fake devices, in a subprocess) gives
    the summary of the one-device run; an experiment that cannot be split says so."""
    from plastix import cli

    assert cli.main(["run", "song2000", "--devices", "2"]) == 2
    assert "runs on one device" in capsys.readouterr().err
    args = ["run", "vogels2011", "--duration", "0.2", "--n-exc", "200", "--no-progress"]
    assert cli.main([*args, "--out", str(tmp_path / "one")]) == 0
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2")
    env["JAX_ENABLE_X64"] = "1"  # as this process (conftest)
    done = subprocess.run(
        [sys.executable, "-m", "plastix.cli", *args, "--out", str(tmp_path / "two"),
         "--devices", "2"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    one, two = (json.loads((tmp_path / d / "summary.json").read_text()) for d in ("one", "two"))
    assert two["config"].pop("devices") == 2 and one["config"].pop("devices") is None
    for summary in (one, two):
        summary.pop("seconds_per_simulated_second"), summary.pop("wall_s")
    assert two == one and one["exc_rate_last_second_hz"] > 0


@pytest.mark.slow
def test_per_device_synapse_arrays_are_a_quarter_of_1e7_synapses():
    """1e7 plastic synapses over 4 devices: each device's weight, trace and delay arrays
    hold a quarter of the synapses, plus padding to the fullest block (< 0.1 %)."""
    n = 10_000
    net = px.Network(dt=0.1, seed=0)
    a = net.add(px.Population(px.LIF(), n, name="A"))
    conn = px.fixed_total_number(n, n, 10_000_000, seed=3, format="coo")
    net.add(px.Projection(a, a, conn, px.PairSTDP(), weights=1.0,
                          delay=px.initializers.uniform(0.5, 2.0), name="AA"))  # fmt: skip
    net.build()
    part = Partition(net.spec, 4)
    local = part.split_state(net.state).projections[0]
    quarter = conn.n_synapses / 4
    # the weights, and every per-synapse array of the local specs (synapse indices,
    # event indices, delays): nothing of synapse length is held whole on a device
    per_synapse = [x for x in part.spec_leaves if x.ndim == 2 and x.shape[1] > 2 * n]
    assert len(per_synapse) >= 6  # pre, post, pre_perm, post_perm, canonical, valid, delays
    for array in [local.w, *per_synapse]:
        assert array.shape[0] == 4
        assert quarter <= array.shape[1] < 1.001 * quarter, (array.shape, quarter)
    assert not [x for x in part.spec_leaves if x.size > 1.01 * conn.n_synapses]
    # traces: one per synapse before the delay (per-synapse delays), one per local neuron
    traces = [x.shape for x in jax.tree_util.tree_leaves(local.rule) if x.size]
    per_synapse = [shape for shape in traces if shape[1] > 2 * n]
    assert per_synapse and all(quarter <= s[1] < 1.001 * quarter for s in per_synapse)
    assert (4, n // 4) in traces


def test_exchange_events_rebuilds_every_device_spikes_and_counts_overflow():
    from plastix.distributed._run import exchange_events

    mesh = make_mesh(1)
    spikes = np.zeros((3, 6), bool)
    spikes[0, [1, 4]] = True
    spikes[2, :5] = True

    def exchange(capacity):
        return jax.shard_map(
            lambda s: exchange_events(s, 0, capacity, 5),
            mesh=mesh,
            in_specs=jax.sharding.PartitionSpec(),
            out_specs=jax.sharding.PartitionSpec(),
            check_vma=False,
        )(spikes)

    gathered, needed = exchange(5)
    np.testing.assert_array_equal(gathered, spikes[:, :5])
    assert int(needed) == 0
    assert int(exchange(2)[1]) == 5  # 5 spikes in one step, 2 slots


def test_exchange_capacity_overflow_names_population_and_shard():
    net = small_network()
    message = r"Population '\w+': \d+ neurons.*exchange_capacity=1 \(in steps .*shard 0"
    with pytest.raises(px.BufferOverflowError, match=message):
        net.run(20.0, progress=False, devices=1, exchange_capacity=1)
    with pytest.raises(ValueError, match="exchange_capacity applies to runs across devices"):
        net.run(1.0, progress=False, exchange_capacity=4)
    with pytest.raises(ValueError, match="exchange_capacity must be an integer >= 1, got 0"):
        net.run(1.0, progress=False, devices=1, exchange_capacity=0)
