"""Neuron models."""

from ._base import AbstractNeuron as AbstractNeuron
from ._base import AbstractPopulationModel as AbstractPopulationModel
from .adex import ADEX_PRESETS as ADEX_PRESETS
from .adex import AdEx as AdEx
from .adex import AdExState as AdExState
from .adex_clopath import AdExClopath as AdExClopath
from .izhikevich import IZHIKEVICH_PRESETS as IZHIKEVICH_PRESETS
from .izhikevich import Izhikevich as Izhikevich
from .izhikevich import IzhikevichState as IzhikevichState
from .lif import LIF as LIF
from .lif import LIFState as LIFState
from .lif_cond import LIFCond as LIFCond
from .lif_cond import LIFCondState as LIFCondState
from .rate import RateNeuron as RateNeuron
from .rate import RateNeuronState as RateNeuronState
