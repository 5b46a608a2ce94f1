"""Running one network across devices and hosts, on JAX's own distribution.

``Network.run(duration, devices=N)`` splits every population into ``N`` blocks of
neurons, each device owning its block and every synapse onto it (partition by
postsynaptic neuron, as NEST and GeNN do), and exchanges spikes between devices once per
minimum delay (``jax.lax.all_gather`` inside ``jax.shard_map``). Results equal the
single-device run's. For several hosts, call :func:`initialize` first in every process.
"""

from ._initialize import initialize as initialize
from ._mesh import AXIS as AXIS
from ._mesh import make_mesh as make_mesh
from ._partition import Partition as Partition
from ._run import ShardedRunner as ShardedRunner
from ._run import minimum_delay as minimum_delay
