"""Errors that plastix raises after a chunk, when the device reported a problem."""


class SimulationError(RuntimeError):
    """A problem detected while simulating (reported between chunks, never ignored)."""


class BufferOverflowError(SimulationError):
    """More neurons spiked in one step than a projection's event buffer holds."""


class NonFiniteError(SimulationError):
    """A state variable or weight became NaN or infinite."""
