"""Units as plain floats, for reading: plastix works in ms, mV, pA, pF, nS and Hz.

Example:
    >>> from plastix.units import ms, second, Hz
    >>> duration = 2 * second  # 2000.0 [ms]
"""

ms = 1.0
second = 1000.0 * ms
msecond = ms
Hz = 1.0
mV = 1.0
pA = 1.0
pF = 1.0
nS = 1.0
