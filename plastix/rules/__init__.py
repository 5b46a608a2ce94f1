"""Plasticity rules: one small file each, running on every connectivity format."""

from ._base import AbstractRule as AbstractRule
from .bcm import BCM as BCM
from .bcm import BCMState as BCMState
from .calcium import GraupnerBrunel as GraupnerBrunel
from .clopath import Clopath as Clopath
from .combine import Chain as Chain
from .combine import chain as chain
from .exp_stdp import ExpSTDP as ExpSTDP
from .inhibitory_stdp import InhibitorySTDP as InhibitorySTDP
from .nest_pairing import stdp_nn_pre_centered as stdp_nn_pre_centered
from .nest_pairing import stdp_nn_restr as stdp_nn_restr
from .nest_pairing import stdp_nn_symm as stdp_nn_symm
from .oja import Oja as Oja
from .oja import OjaState as OjaState
from .pair_stdp import PairSTDP as PairSTDP
from .pair_stdp import PairSTDPState as PairSTDPState
from .polynomial import PolynomialRule as PolynomialRule
from .reward_stdp import RewardSTDP as RewardSTDP
from .reward_stdp import RewardSTDPState as RewardSTDPState
from .short_term import TsodyksMarkram as TsodyksMarkram
from .synaptic_scaling import SynapticScaling as SynapticScaling
from .traces import bump_trace as bump_trace
from .traces import decay_trace as decay_trace
from .triplet_stdp import TRIPLET_PRESETS as TRIPLET_PRESETS
from .triplet_stdp import TripletSTDP as TripletSTDP
from .weight_normalization import WeightNormalization as WeightNormalization
