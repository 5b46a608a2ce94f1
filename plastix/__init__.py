# ruff: noqa: E402  (the XLA options go into XLA_FLAGS before anything imports jax)
"""plastix: synaptic plasticity in spiking neural networks, event-driven and differentiable.

The user layer (``Network``, ``Population``, ``Projection``, ``Monitor``) builds the
pure functional core (``plastix.core``) and runs it in chunks of a jitted ``lax.scan``.
"""

from ._xla_options import request_small_loops as _request_small_loops

_request_small_loops()  # before JAX starts its backend: see plastix/_xla_options.py

from . import connectivity as connectivity
from . import core as core
from . import distributed as distributed
from . import dsl as dsl
from . import initializers as initializers
from . import inputs as inputs
from . import io as io
from . import neurons as neurons
from . import rules as rules
from . import units as units
from ._errors import BufferOverflowError as BufferOverflowError
from ._errors import NonFiniteError as NonFiniteError
from ._errors import SimulationError as SimulationError
from .connectivity import COO as COO
from .connectivity import CSR as CSR
from .connectivity import Dense as Dense
from .connectivity import all_to_all as all_to_all
from .connectivity import fixed_indegree as fixed_indegree
from .connectivity import fixed_outdegree as fixed_outdegree
from .connectivity import fixed_total_number as fixed_total_number
from .connectivity import from_indices as from_indices
from .connectivity import one_to_one as one_to_one
from .connectivity import pairwise_bernoulli as pairwise_bernoulli
from .inputs import CorrelatedPoissonInput as CorrelatedPoissonInput
from .inputs import GaussianRateInput as GaussianRateInput
from .inputs import PoissonInput as PoissonInput
from .inputs import RateArrayInput as RateArrayInput
from .inputs import SpikeTimesInput as SpikeTimesInput
from .network import Ensemble as Ensemble
from .network import Monitor as Monitor
from .network import Network as Network
from .network import Population as Population
from .network import Projection as Projection
from .neurons import LIF as LIF
from .neurons import AdEx as AdEx
from .neurons import AdExClopath as AdExClopath
from .neurons import Izhikevich as Izhikevich
from .neurons import LIFCond as LIFCond
from .neurons import RateNeuron as RateNeuron
from .rules import BCM as BCM
from .rules import Clopath as Clopath
from .rules import ExpSTDP as ExpSTDP
from .rules import GraupnerBrunel as GraupnerBrunel
from .rules import InhibitorySTDP as InhibitorySTDP
from .rules import Oja as Oja
from .rules import PairSTDP as PairSTDP
from .rules import PolynomialRule as PolynomialRule
from .rules import RewardSTDP as RewardSTDP
from .rules import TripletSTDP as TripletSTDP
from .rules import TsodyksMarkram as TsodyksMarkram
from .rules import chain as chain

__version__ = "0.1.0"
