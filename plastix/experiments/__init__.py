"""Classic experiments, one file each, listed by ``plastix run --list``."""

from . import clopath_pairing as clopath_pairing
from . import diehl_cook_digits as diehl_cook_digits
from . import graupner_brunel as graupner_brunel
from . import izhikevich2007 as izhikevich2007
from . import metalearn_oja as metalearn_oja
from . import metalearn_stdp as metalearn_stdp
from . import song2000 as song2000
from . import vogels2011 as vogels2011
from ._registry import EXPERIMENTS as EXPERIMENTS
from ._registry import Experiment as Experiment
from ._registry import get as get
