"""Spike sources: Poisson, correlated Poisson and spike-time arrays."""

from ._base import AbstractInput as AbstractInput
from .correlated import CorrelatedPoissonInput as CorrelatedPoissonInput
from .poisson import PoissonInput as PoissonInput
from .spike_times import SpikeTimesInput as SpikeTimesInput
