"""Errors of the equation DSL point at the text: the line, the symbol, and the fix.

Every message has the form::

    plastix.dsl.Rule 'name': <problem naming the symbol>
      in <block>, line <n>:
        <the line>
        <carets under the symbol>
    Fix: <what to do>

so each case checks the problem, that the carets sit under the right symbol of the right
line, and the fix.
"""

import re

import numpy as np
import pytest

import plastix as px
from plastix import dsl

P = dict(tau=20.0, a=0.01)
TRACE = "dx/dt = -x/tau : 1 (event-driven)"


def pointed(message: str) -> tuple[str, str]:
    """The quoted line and the text under the carets."""
    lines = message.splitlines()
    for i, line in enumerate(lines):
        if line.strip() and set(line.strip()) == {"^"}:
            text = lines[i - 1][4:]
            col = line.index("^") - 4
            return text, text[col : col + len(line.strip())]
    raise AssertionError(f"no caret line in:\n{message}")


RULE_CASES = {
    "unknown name": (
        dict(equations=TRACE, on_pre="x += 1", on_post="w = w + a*x*tau_y"),
        r"unknown name 'tau_y'",
        ("w = w + a*x*tau_y", "tau_y"),
        r"Add it to parameters=\{'tau_y': \.\.\.\}.*did you mean 'tau'\?",
    ),
    "undefined parameter": (
        dict(equations=TRACE + "\nA_minus : 1 (constant)", on_pre="x += 1", on_post="w = w + a*x"),
        r"undefined parameter 'A_minus'",
        ("A_minus : 1 (constant)", "A_minus"),
        r"give it a value: parameters=\{'A_minus': \.\.\.\}",
    ),
    "syntax error": (
        dict(equations=TRACE, on_pre="x += 1", on_post="w = w + a*x)"),
        r"syntax error \(unmatched '\)'\)",
        ("w = w + a*x)", ")"),
        r"Python-style expressions",
    ),
    "syntax error in an equation": (
        dict(equations="dx/dt = -x/ : 1", on_pre="x += 1", on_post="w = w + a*x"),
        r"syntax error",
        ("dx/dt = -x/ : 1", "/"),
        r"Python-style expressions",
    ),
    "non-linear event-driven": (
        dict(
            equations="dx/dt = -x**2/tau : 1 (event-driven)", on_pre="x += 1", on_post="w = w + a*x"
        ),
        r"the equation of 'x' is marked \(event-driven\) but is not linear",
        ("dx/dt = -x**2/tau : 1 (event-driven)", "dx/dt"),
        r"remove \(event-driven\) to integrate it at every step, with method=",
    ),
    "read-only parameter": (
        dict(equations=TRACE, on_pre="x += 1; tau = 2", on_post="w = w + a*x"),
        r"'tau' is read-only \(a parameter\)",
        ("x += 1; tau = 2", "tau"),
        r"Network\.set_param",
    ),
    "read-only neuron variable": (
        dict(equations=TRACE, on_pre="g_post += w; x += 1", on_post="w = w + a*x"),
        r"'g_post' is read-only \(a variable of the postsynaptic neuron\)",
        ("g_post += w; x += 1", "g_post"),
        r"remove this statement: the projection delivers w.*receptor=",
    ),
    "read-only clock": (
        dict(equations=TRACE, on_pre="x += 1", on_post="w = w + a*x; t = 0"),
        r"'t' is read-only \(the clock\)",
        ("w = w + a*x; t = 0", "t"),
        r"statements may assign w and the rule's variables",
    ),
    "unknown function": (
        dict(equations=TRACE, on_pre="x += 1", on_post="w = clamp(w + a*x, 0, 1)"),
        r"unknown function 'clamp'",
        ("w = clamp(w + a*x, 0, 1)", "clamp"),
        r"did you mean 'clip'\?",
    ),
    "caret power": (
        dict(equations=TRACE, on_pre="x += 1", on_post="w = w + a*x^2"),
        r"'\^' is not a power here",
        ("w = w + a*x^2", "^"),
        r"write x\*\*2",
    ),
    "unknown assigned name": (
        dict(equations=TRACE, on_pre="x += 1; z = 2", on_post="w = w + a*x"),
        r"unknown name 'z' assigned",
        ("x += 1; z = 2", "z"),
        r"declare it in equations \(e\.g\. 'z : 1'",
    ),
    "presynaptic neuron variable": (
        dict(equations=TRACE, on_pre="x += 1", on_post="w = w + a*x*pre.v"),
        r"'pre\.v': presynaptic neuron variables are not available to a rule",
        ("w = w + a*x*pre.v", "pre.v"),
        r"keep a presynaptic trace",
    ),
    "declared place contradicted": (
        dict(
            equations="dx/dt = -x/tau : 1 (event-driven, pre)",
            on_pre="x += 1",
            on_post="w = w + a*x; x = 0",
        ),
        r"'x' is declared \(pre\), but on_post assigns it, which makes it per-synapse",
        ("w = w + a*x; x = 0", "x"),
        r"remove the flag",
    ),
    "unknown flag": (
        dict(equations="dx/dt = -x/tau : 1 (evnt-driven)", on_pre="x += 1", on_post="w = w + a*x"),
        r"unknown flag 'evnt-driven'",
        ("dx/dt = -x/tau : 1 (evnt-driven)", "evnt-driven"),
        r"did you mean 'event-driven'\?",
    ),
    "non-linear without a method": (
        dict(equations="dx/dt = -x*sin(x)/tau : 1", on_pre="x += 1", on_post="w = w + a*x"),
        r"the equation of 'x' is not linear",
        ("dx/dt = -x*sin(x)/tau : 1", "dx/dt"),
        r"pass method='euler', 'exponential_euler' or 'rk2'",
    ),
    "lazy synaptic variable reads a trace": (
        dict(
            equations=TRACE + "\ndc/dt = (x - c)/tau : 1 (event-driven, synapse)",
            on_pre="x += 1; c += a",
            on_post="w = w + c",
        ),
        r"the per-synapse event-driven variable 'c' reads 'x'",
        ("dc/dt = (x - c)/tau : 1 (event-driven, synapse)", None),
        r"remove \(event-driven\)",
    ),
}


@pytest.mark.parametrize("case", sorted(RULE_CASES))
def test_rule_errors_point_at_the_text(case):
    kwargs, problem, (line, symbol), fix = RULE_CASES[case]
    with pytest.raises(ValueError, match=problem) as info:
        dsl.Rule(**kwargs, parameters=P, name="MyRule")
    message = str(info.value)
    assert isinstance(info.value, dsl.DSLError)
    assert message.startswith("plastix.dsl.Rule 'MyRule': ")
    text, under = pointed(message)
    assert text == line
    if symbol is not None:
        assert under == symbol
    assert re.search(r"\nFix: .*" + fix, message, re.S), message


NEURON = dict(
    equations="dv/dt = (v_rest - v)/tau : mV",
    threshold="v >= v_th",
    reset="v = v_rest",
)
NEURON_P = dict(tau=10.0, v_rest=-70.0, v_th=-50.0)

NEURON_CASES = {
    "threshold not a condition": (
        dict(threshold="v - v_th"),
        r"the threshold is not a condition",
        ("v - v_th", None),
        r"threshold='v >= v_th'",
    ),
    "reset assigns a parameter": (
        dict(reset="v_th = -40"),
        r"'v_th' is read-only",
        ("v_th = -40", "v_th"),
        r"reset may assign the neuron's variables: \['v'\]",
    ),
    "unknown name in an equation": (
        dict(equations="dv/dt = (v_rest - v)/tau_m : mV"),
        r"unknown name 'tau_m'",
        ("dv/dt = (v_rest - v)/tau_m : mV", "tau_m"),
        r"Add it to parameters=\{'tau_m': \.\.\.\}.*did you mean 'tau'\?",
    ),
    "non-linear and no method": (
        dict(equations="dv/dt = (v - v_rest)**2/tau : mV"),
        r"the equation of 'v' is not linear",
        ("dv/dt = (v - v_rest)**2/tau : mV", "dv/dt"),
        r"pass method='euler', 'exponential_euler' or 'rk2'",
    ),
    "exponential Euler needs linearity in the variable": (
        dict(equations="dv/dt = (v - v_rest)**2/tau : mV", method="exponential_euler"),
        r"the equation of 'v' is not linear in itself",
        ("dv/dt = (v - v_rest)**2/tau : mV", "dv/dt"),
        r"use method='euler' or 'rk2'",
    ),
    "clamped without a refractory period": (
        dict(equations="dv/dt = (v_rest - v)/tau : mV (unless refractory)"),
        r"'v' is flagged \(unless refractory\) but there is no refractory period",
        ("dv/dt = (v_rest - v)/tau : mV (unless refractory)", None),
        r"pass refractory=",
    ),
    "rule flag on a neuron": (
        dict(equations="dv/dt = (v_rest - v)/tau : mV (event-driven)"),
        r"the flag 'event-driven' applies to rule variables only",
        ("dv/dt = (v_rest - v)/tau : mV (event-driven)", None),
        r"remove it",
    ),
}


@pytest.mark.parametrize("case", sorted(NEURON_CASES))
def test_neuron_errors_point_at_the_text(case):
    overrides, problem, (line, symbol), fix = NEURON_CASES[case]
    with pytest.raises(ValueError, match=problem) as info:
        dsl.Neuron(**{**NEURON, **overrides}, parameters=NEURON_P)
    message = str(info.value)
    text, under = pointed(message)
    assert text == line
    if symbol is not None:
        assert under == symbol
    assert re.search(r"\nFix: .*" + fix, message, re.S), message


def test_argument_errors_name_the_argument_and_value():
    rule = dict(equations=TRACE, on_pre="x += 1", on_post="w = w + a*x")
    with pytest.raises(ValueError, match=r"parameter 'tau_pus' is not used .*check its spell"):
        dsl.Rule(**rule, parameters=dict(P, tau_pus=3.0))
    with pytest.raises(ValueError, match=r"method must be one of .*got 'rk4'"):
        dsl.Rule(**rule, parameters=P, method="rk4")
    with pytest.raises(ValueError, match=r"parameters\['a'\] must be a number .*got 'big'"):
        dsl.Rule(**rule, parameters=dict(P, a="big"))
    with pytest.raises(ValueError, match=r"the name 'decay' is taken"):
        dsl.Rule(**rule, parameters=dict(P, decay=1.0))
    with pytest.raises(ValueError, match=r"initial names 'w', which is not a variable"):
        dsl.Rule(**rule, parameters=P, initial={"w": 0.5})
    with pytest.raises(ValueError, match=r"receptors\['exc'\] must name a variable .*got 'g'"):
        dsl.Neuron(**NEURON, parameters=NEURON_P, receptors={"exc": "g"})
    with pytest.raises(ValueError, match=r"refractory must be a number \[ms\].*got \[1\]"):
        dsl.Neuron(**NEURON, parameters=NEURON_P, refractory=[1])


def test_a_missing_postsynaptic_variable_is_named_when_the_network_runs():
    rule = dsl.Rule(on_post="w = w + eta * u_post", parameters=dict(eta=0.1))
    net = px.Network(dt=0.1)
    a = net.add(px.Population(px.SpikeTimesInput([1.0], [0]), 1))
    b = net.add(px.Population(px.LIF(), 1))
    net.add(px.Projection(a, b, px.one_to_one(1), rule, weights=np.ones(1)))
    with pytest.raises(
        ValueError,
        match=r"reads the postsynaptic neuron's variable 'u' "
        r"\('u_post'\), but .*\(LIFState\) has no 'u'; it has \['v', ",
    ):
        net.run(1.0, progress=False)
