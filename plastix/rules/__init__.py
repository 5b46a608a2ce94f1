"""Plasticity rules: one small file each, running on every connectivity format."""

from ._base import AbstractRule as AbstractRule
from .combine import Chain as Chain
from .combine import chain as chain
from .pair_stdp import PairSTDP as PairSTDP
from .pair_stdp import PairSTDPState as PairSTDPState
from .traces import bump_trace as bump_trace
from .traces import decay_trace as decay_trace
