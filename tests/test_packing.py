"""Packing of population state in the scan carry (plastix/_core/packing.py): the grouping
rule and an exact round trip."""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import plastix as px
from plastix._core.packing import pack, packing_for, unpack


class _State(NamedTuple):
    v: jax.Array
    g: jax.Array
    count: jax.Array
    table: jax.Array
    scalar: jax.Array
    other_n: jax.Array
    theta: jax.Array


def _state():
    rng = np.random.default_rng(3)
    return _State(
        v=jnp.asarray(rng.normal(size=5), jnp.float32),
        g=jnp.asarray(rng.normal(size=5), jnp.float32),
        count=jnp.asarray([1, 2, 3, 4, 5], jnp.int32),
        table=jnp.asarray(rng.normal(size=(5, 2)), jnp.float32),
        scalar=jnp.asarray(1.5, jnp.float32),
        other_n=jnp.asarray(rng.normal(size=7), jnp.float32),
        theta=jnp.asarray([np.nan, np.inf, -0.0, 1e-40, 2.0], jnp.float32),
    )


def test_only_vectors_sharing_shape_and_dtype_are_stacked():
    packing = packing_for(_state())
    assert packing.groups == ((0, 1, 6),)  # v, g, theta: float32[5]
    assert packing.loose == (2, 3, 4, 5)  # int vector alone, 2-D, scalar, other length
    packed = pack(packing, _state())
    assert packed[0].shape == (3, 5)
    assert [p.shape for p in packed[1:]] == [(5,), (5, 2), (), (7,)]


def test_round_trip_is_bit_exact_and_keeps_the_structure():
    state = _state()
    back = unpack(packing_for(state), pack(packing_for(state), state))
    assert type(back) is _State
    for a, b in zip(state, back, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()


def test_a_state_without_groups_passes_through():
    state = (jnp.zeros(3), jnp.zeros(4), None)
    packing = packing_for(state)
    assert packing.groups == ()
    back = unpack(packing, pack(packing, state))
    assert back[2] is None and back[0].shape == (3,) and back[1].shape == (4,)


def test_a_run_returns_the_state_unpacked():
    net = px.Network(dt=0.1, seed=0)
    pop = net.add(px.Population(px.LIFCond(), 3, name="out"))
    net.run(1.0)
    state = net.state.populations[net.populations.index(pop)]
    assert isinstance(state, px.neurons.lif_cond.LIFCondState)
    assert all(np.shape(x) == (3,) for x in state)
    np.testing.assert_allclose(np.asarray(state.v), -74.0)  # at rest without input


def test_fields_a_model_returns_unchanged_are_left_out_of_the_groups():
    packing = packing_for(_state(), unchanged=("theta",))
    assert packing.groups == ((0, 1),)  # v, g; theta is carried as it is
    assert packing.loose == (2, 3, 4, 5, 6)
    state = _state()
    back = unpack(packing, pack(packing, state))
    assert np.asarray(back.theta).tobytes() == np.asarray(state.theta).tobytes()
