"""NEST's nearest-neighbour STDP synapses, by their NEST names and parameters."""

from __future__ import annotations

from .._checks import check_nonnegative, check_positive
from .pair_stdp import PairSTDP


def _nest_nn(
    pairing: str,
    name: str,
    tau_plus: float,
    tau_minus: float,
    lambda_: float,
    alpha: float,
    mu_plus: float,
    mu_minus: float,
    w_max: float,
) -> PairSTDP:
    where = f"{name}: "
    check_positive("w_max", w_max, where)
    check_nonnegative("lambda_", lambda_, where)
    check_nonnegative("alpha", alpha, where)
    return PairSTDP(
        tau_plus=tau_plus,
        tau_minus=tau_minus,
        a_plus=lambda_ * w_max,
        a_minus=alpha * lambda_ * w_max,
        w_min=0.0,
        w_max=w_max,
        mu_plus=mu_plus,
        mu_minus=mu_minus,
        nearest=pairing,
    )


_DOC = """NEST's ``{nest}`` as a :class:`PairSTDP` ({scheme}).

    NEST's update, in units of ``w_max``: potentiation
    ``w/w_max ← w/w_max + lambda_·(1 − w/w_max)^mu_plus·K₊``, depression
    ``w/w_max ← w/w_max − alpha·lambda_·(w/w_max)^mu_minus·K₋``, clipped to [0, 1]; so
    ``a_plus = lambda_·w_max`` and ``a_minus = alpha·lambda_·w_max`` with ``w_min = 0``.
    Defaults are NEST's (``tau_minus`` lives on NEST's postsynaptic neuron).

    Args:
        tau_plus: potentiation time constant [ms].
        tau_minus: depression time constant [ms].
        lambda_: step size (NEST ``lambda``).
        alpha: asymmetry: depression is ``alpha·lambda_``.
        mu_plus, mu_minus: weight-dependence exponents (0 additive, 1 multiplicative).
        w_max: maximum weight (NEST ``Wmax``), > 0.

    References:
        Morrison, Diesmann & Gerstner (2008), Biol. Cybern. 98:459, Fig. 7.
    """


def stdp_nn_symm(
    tau_plus: float = 20.0,
    tau_minus: float = 20.0,
    lambda_: float = 0.01,
    alpha: float = 1.0,
    mu_plus: float = 1.0,
    mu_minus: float = 1.0,
    w_max: float = 100.0,
) -> PairSTDP:
    args = (tau_plus, tau_minus, lambda_, alpha, mu_plus, mu_minus, w_max)
    return _nest_nn("symmetric", "stdp_nn_symm", *args)


def stdp_nn_pre_centered(
    tau_plus: float = 20.0,
    tau_minus: float = 20.0,
    lambda_: float = 0.01,
    alpha: float = 1.0,
    mu_plus: float = 1.0,
    mu_minus: float = 1.0,
    w_max: float = 100.0,
) -> PairSTDP:
    args = (tau_plus, tau_minus, lambda_, alpha, mu_plus, mu_minus, w_max)
    return _nest_nn("pre_centered", "stdp_nn_pre_centered", *args)


def stdp_nn_restr(
    tau_plus: float = 20.0,
    tau_minus: float = 20.0,
    lambda_: float = 0.01,
    alpha: float = 1.0,
    mu_plus: float = 1.0,
    mu_minus: float = 1.0,
    w_max: float = 100.0,
) -> PairSTDP:
    args = (tau_plus, tau_minus, lambda_, alpha, mu_plus, mu_minus, w_max)
    return _nest_nn("restricted", "stdp_nn_restr", *args)


stdp_nn_symm.__doc__ = _DOC.format(
    nest="stdp_nn_symm_synapse",
    scheme="symmetric nearest neighbour: each spike pairs with the latest spike of the other "
    "neuron",
)
stdp_nn_pre_centered.__doc__ = _DOC.format(
    nest="stdp_nn_pre_centered_synapse",
    scheme="presynaptic-centred: a post spike pairs with every pre spike since the previous "
    "post spike, a pre spike with the latest post spike",
)
stdp_nn_restr.__doc__ = _DOC.format(
    nest="stdp_nn_restr_synapse",
    scheme="restricted symmetric: only spikes that are each other's nearest neighbours pair",
)
