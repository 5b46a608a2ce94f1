"""Spike and rate sources: Poisson, correlated Poisson, spike-time arrays, rate arrays and
Gaussian rates."""

from ._base import AbstractInput as AbstractInput
from .correlated import CorrelatedPoissonInput as CorrelatedPoissonInput
from .poisson import PoissonInput as PoissonInput
from .rates import GaussianRateInput as GaussianRateInput
from .rates import RateArrayInput as RateArrayInput
from .spike_times import SpikeTimesInput as SpikeTimesInput
