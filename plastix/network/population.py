"""A population: ``n`` units of one neuron model or spike source."""

from __future__ import annotations

from .._checks import check_int_at_least
from ..neurons._base import AbstractPopulationModel


class Population:
    """``n`` units of ``model`` (a neuron such as ``LIFCond`` or an input such as
    ``PoissonInput``).

    Args:
        model: the neuron model or spike source.
        n: number of units.
        name: a name for messages and results (default ``pop<i>``).
    """

    def __init__(self, model: AbstractPopulationModel, n: int, name: str | None = None):
        if not isinstance(model, AbstractPopulationModel):
            raise ValueError(
                "Population: model must be a neuron model or input (e.g. LIFCond(), "
                f"PoissonInput(15.0)), got {type(model).__name__}."
            )
        self.model = model
        self.n = check_int_at_least("n", n, 1, "Population: ")
        self.name = name
        self.network = None

    def __repr__(self) -> str:
        return f"Population({type(self.model).__name__}, n={self.n}, name={self.name!r})"
