"""Plasticity rules and neuron models from equation text, as in Brian2 and ANNarchy.

``Rule(equations=..., on_pre=..., on_post=..., parameters={...})`` and
``Neuron(equations=..., threshold=..., reset=..., refractory=...)`` compile the text (read
with Python's parser, turned into sympy, never executed) into an ordinary
``AbstractRule`` / neuron model: it runs on every connectivity format and path, chains
with built-in rules, and its parameters are array leaves that ``jax.grad`` and
``jax.vmap`` reach. See ``docs/dsl.md``.
"""

from ._errors import DSLError as DSLError
from .neuron import DSLNeuron as DSLNeuron
from .neuron import Neuron as Neuron
from .rule import DSLRule as DSLRule
from .rule import Rule as Rule
