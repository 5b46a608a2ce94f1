"""The pure functional core: specs, state, one step, and chunked runs."""

from .events import EventBuffer as EventBuffer
from .events import gather_events as gather_events
from .recording import Recording as Recording
from .simulate import run as run
from .simulate import simulate as simulate
from .spec import NetworkSpec as NetworkSpec
from .spec import NetworkState as NetworkState
from .spec import PopulationSpec as PopulationSpec
from .spec import ProjectionSpec as ProjectionSpec
from .spec import ProjectionState as ProjectionState
from .spec import init_state as init_state
from .step import step as step
