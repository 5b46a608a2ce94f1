"""The user layer: Network, Population, Projection, Monitor."""

from .ensemble import Ensemble as Ensemble
from .monitor import Monitor as Monitor
from .network import Network as Network
from .population import Population as Population
from .projection import Projection as Projection
