"""The functional core, for users who ``jit``, ``vmap`` or ``grad`` a run themselves.

Example:
    >>> net.build()
    >>> final, records, diagnostics = plastix.core.run(net.spec, net.state, key, 1000)

On a CPU the event buffers are walked up to their last spike in a fixed-length
``lax.scan`` (``grad`` works through it). Before ``vmap``-ing a run, turn that off with
``dataclasses.replace(spec, loop_events=False)``: under ``vmap`` each round of the walk
would touch every synapse (``Ensemble`` does this for you).
"""

from ._core import EventBuffer as EventBuffer
from ._core import NetworkSpec as NetworkSpec
from ._core import NetworkState as NetworkState
from ._core import PopulationSpec as PopulationSpec
from ._core import ProjectionSpec as ProjectionSpec
from ._core import ProjectionState as ProjectionState
from ._core import Recording as Recording
from ._core import gather_events as gather_events
from ._core import init_state as init_state
from ._core import run as run
from ._core import simulate as simulate
from ._core import step as step
