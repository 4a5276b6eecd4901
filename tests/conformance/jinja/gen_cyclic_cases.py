#!/usr/bin/python3
"""Generates tests/data/jinja2_cyclic_cases.json: templates that build self-referencing (and very
deep) structures and walk them with every operator, filter, test and method that recurses into
values. Expected results come from Python Jinja2 3.1.2 under SandboxedEnvironment, through the
same oracle as the differential test (jinja2_oracle.run).

Cases whose output holds a Python object id (pprint's "<Recursion on list with id=...>") carry
"normalize": "ids"; the runner replaces every "id=<digits>" with "id=N" on both sides.

Usage: gen_cyclic_cases.py > tests/data/jinja2_cyclic_cases.json
"""
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.setrecursionlimit(1000)  # CPython's default: the oracle must match a plain interpreter
from jinja2_oracle import run, write_corpus  # noqa: E402

# Structures: name -> template prelude that defines it without printing anything.
STRUCTS = {
    "list": "{% set x = [] %}{% set _ = x.append(x) %}",
    "list2": "{% set x = [1, 'a'] %}{% set _ = x.append(x) %}{% set _ = x.insert(0, x) %}",
    "dict": "{% set x = {} %}{% set _ = x.update({'x': x}) %}",
    "setdefault": "{% set x = {'k': 1} %}{% set _ = x.setdefault('self', x) %}",
    "nested": "{% set n = [] %}{% set m = {'l': n} %}{% set _ = n.append(m) %}{% set x = [n] %}",
    "mutual": "{% set p = [] %}{% set x = [p] %}{% set _ = p.append(x) %}",
    "tuple": "{% set l = [] %}{% set x = (1, l) %}{% set _ = l.append(x) %}",
    "namespace": "{% set x = namespace(a=1) %}{% set x.me = x %}",
    "ns_list": "{% set ns = namespace() %}{% set x = [ns] %}{% set ns.l = x %}",
}

# Operations on the cyclic value X (one expression or statement each).
OPS = [
    "{{ X }}", "{{ X|string }}", "{{ X ~ '' }}", "{{ X|e }}", "{{ X|safe }}", "{{ X|forceescape }}",
    "{{ X|upper }}", "{{ X|lower }}", "{{ X|title }}", "{{ X|capitalize }}", "{{ X|trim }}",
    "{{ X|striptags }}", "{{ X|urlize }}", "{{ X|center(3) }}", "{{ X|truncate(9) }}",
    "{{ X|replace('.', '-') }}", "{{ X|format }}", "{{ X|length }}", "{{ X|count }}",
    "{{ X|string|length }}", "{{ X|wordcount }}", "{{ X == X }}", "{{ X != X }}", "{{ X in [X] }}",
    "{{ X is sameas X }}", "{{ X is eq X }}", "{{ X|pprint }}", "{{ X|tojson }}",
    "{{ X|tojson(indent=2) }}", "{{ X|list }}", "{{ X|first }}", "{{ X|last }}", "{{ X|reverse|list }}",
    "{{ X|sort }}", "{{ X|unique|list }}", "{{ X|min }}", "{{ X|max }}", "{{ X|join(',') }}",
    "{{ X|map('string')|list }}", "{{ X|batch(1)|list }}", "{{ X|slice(2)|list }}",
    "{{ X|select|list }}", "{{ X|reject|list }}", "{{ X|items|list }}", "{{ X|dictsort }}",
    "{{ X|urlencode }}", "{{ X|xmlattr }}", "{{ X|int }}", "{{ X|float }}", "{{ X|sum }}",
    "{{ X|indent }}", "{{ X|wordwrap(5) }}", "{{ X|attr('x') }}", "{{ X|groupby(0)|list }}",
    "{{ '%s|%r'|format(X, X) }}", "{{ '%s' % (X,) }}", "{{ '%r' % (X,) }}", "{{ '%(k)s' % {'k': X} }}",
    "{{ '{}|{!r}|{!s}'.format(X, X, X) }}", "{{ '{0}'.format(X)|length }}", "{{ '{:>30}'.format(X) }}",
    "{{ (X, X) }}", "{{ [X, X] }}", "{{ {'k': X} }}", "{{ {X: 1} }}", "{{ X * 2 }}", "{{ X + X }}",
    "{{ X in X }}", "{{ X is in X }}", "{{ X is mapping }}", "{{ X is sequence }}", "{{ X is iterable }}",
    "{{ X|map('tojson')|list }}", "{{ X|map('pprint')|list }}", "{{ [X]|sort }}", "{{ [X, X]|unique|list }}",
    "{{ X.count(X) }}", "{{ X.index(X) }}", "{{ X.items()|list }}", "{{ X.values()|list }}",
    "{{ X.copy() }}", "{{ X|dictsort(by='value') }}", "{{ [X]|random is defined }}",
    "{% for i in X %}{{ i }};{% endfor %}", "{% for k, v in X.items() %}{{ k }}={{ v }};{% endfor %}",
    "{{ namespace(v=X) }}", "{{ [X]|tojson }}", "{{ X|selectattr(0)|list }}", "{{ X|join }}",
    "{{ X|string|replace('[', '(') }}", "{{ X|list|string }}",
]

# Operations on two distinct but equally shaped cyclic values X and Y (Python recurses).
PAIR_OPS = [
    "{{ X == Y }}", "{{ X != Y }}", "{{ X < Y }}", "{{ X <= Y }}", "{{ X > Y }}", "{{ X >= Y }}",
    "{{ X in Y }}", "{{ X is in Y }}", "{{ X is eq Y }}", "{{ X is ne Y }}", "{{ Y.count(X) }}",
    "{{ Y.index(X) }}", "{{ [X, Y]|sort }}", "{{ [X, Y]|unique|list }}", "{{ [X, Y]|min }}",
    "{{ [X, Y]|max }}", "{{ X in [Y] }}", "{{ (X, 1) == (Y, 1) }}", "{{ {'k': X} == {'k': Y} }}",
    "{{ Y.remove(X) }}", "{{ [X]|map('string')|list == [Y]|map('string')|list }}",
]
PAIR_STRUCTS = {
    "list": ("{% set x = [] %}{% set _ = x.append(x) %}{% set y = [] %}{% set _ = y.append(y) %}"),
    "dict": ("{% set x = {} %}{% set _ = x.update({'x': x}) %}"
             "{% set y = {} %}{% set _ = y.update({'x': y}) %}"),
}

# Deep acyclic structures built by a loop, and deep templates. N levels each.
DEEP_N = 100000
DEEP_BUILD = {
    "list": "{% set ns = namespace(v=[]) %}{% for i in range(N) %}{% set ns.v = [ns.v] %}{% endfor %}",
    "dict": "{% set ns = namespace(v={}) %}{% for i in range(N) %}{% set ns.v = {'k': ns.v} %}{% endfor %}",
    "tuple": "{% set ns = namespace(v=()) %}{% for i in range(N) %}{% set ns.v = (ns.v,) %}{% endfor %}",
    "append": ("{% set root = [] %}{% set ns = namespace(cur=root) %}{% for i in range(N) %}"
               "{% set n = [] %}{% set _ = ns.cur.append(n) %}{% set ns.cur = n %}{% endfor %}"
               "{% set ns.v = root %}"),
}
DEEP_OPS = [
    "{{ ns.v|length }}", "{{ ns.v }}", "{{ ns.v|string|length }}", "{{ ns.v == ns.v }}", "{{ ns.v|tojson }}",
    "{{ ns.v|pprint }}", "{{ [ns.v]|sort|length }}", "{{ ns.v|list|length }}", "{{ '%s' % (ns.v,) }}",
    "{{ '{}'.format(ns.v) }}", "{{ ns.v is sequence }}", "{{ ns.v|first is defined }}",
]
# The same structure twice (distinct objects): comparisons recurse to the bottom.
DEEP_PAIR = ("{% set ns = namespace(a=[], b=[]) %}{% for i in range(N) %}"
             "{% set ns.a = [ns.a] %}{% set ns.b = [ns.b] %}{% endfor %}")
DEEP_PAIR_OPS = ["{{ ns.a == ns.b }}", "{{ ns.a < ns.b }}", "{{ ns.a in [ns.b] }}", "{{ [ns.a, ns.b]|sort|length }}",
                 "{{ [ns.a, ns.b]|unique|list|length }}"]
# Moderately deep (well inside both Python's and Herald's bounds): must render.
SHALLOW_N = 60


def nest(open_, close, inner, n):
    return open_ * n + inner + close * n


DEEP_T = 3000  # far past both Python's recursion limit and Herald's parser limits
DEEP_TEMPLATES = {
    "parens": "{{ " + nest("(", ")", "1", DEEP_T) + " }}",
    "brackets": "{{ " + nest("[", "]", "1", DEEP_T) + " }}",
    "braces": "{{ " + nest("{'k': ", "}", "1", DEEP_T) + " }}",
    "if_blocks": nest("{% if true %}", "{% endif %}", "x", DEEP_T),
    "for_blocks": nest("{% for i in [1] %}", "{% endfor %}", "x", DEEP_T),
    "not_chain": "{{ " + "not " * DEEP_T + "1 }}",
    "minus_chain": "{{ " + "-" * DEEP_T + "1 }}",
    "filter_chain": "{{ 1" + "|string" * DEEP_T + " }}",
    "attr_chain": "{{ x" + ".a" * DEEP_T + " }}",
    "unclosed_parens": "{{ " + "(" * DEEP_T + " }}",
    "macro_recursion": "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
    "loop_recursion": "{% for x in [[1]] recursive %}{{ loop([x]) }}{% endfor %}",
}


# Where Herald's own named limits stop a template before Python's recursion limit would, the
# error type Herald gives instead (the runner compares only the type for these).
HERALD_TYPES = {
    "deep_template.macro_recursion": "ResourceLimitError",  # Limits::max_recursion_depth
    "deep_template.loop_recursion": "ResourceLimitError",
}
HERALD_PARSE_TYPE = "TemplateSyntaxError"  # parser nesting limits (kMaxParseDepth, kMaxExprDepth)


def case(name, template, normalize=False):
    c = {"name": name, "template": template, "context": {}, "undefined": "default"}
    exp = run(c)
    if name in HERALD_TYPES:
        c["herald"] = {"error_type": HERALD_TYPES[name]}
    elif exp.get("error", {}).get("phase") == "parse" and exp["error"]["type"] == "RecursionError":
        c["herald"] = {"error_type": HERALD_PARSE_TYPE}
    if "output" in exp and re.search(r"at 0x[0-9a-f]+", exp["output"]):
        return None  # a generator's repr: an address that cannot be matched
    if normalize or "id=" in json.dumps(exp):
        c["normalize"] = "ids"
    c["expect"] = exp
    return c


def main():
    cases = []
    for sname, prelude in STRUCTS.items():
        for i, op in enumerate(OPS):
            c = case(f"cyclic.{sname}.{i:03d}", prelude + op.replace("X", "x"))
            if c:
                cases.append(c)
    for sname, prelude in PAIR_STRUCTS.items():
        for i, op in enumerate(PAIR_OPS):
            c = case(f"cyclic_pair.{sname}.{i:03d}", prelude + op.replace("X", "x").replace("Y", "y"))
            if c:
                cases.append(c)
    for n, tag in ((SHALLOW_N, "shallow"), (DEEP_N, "deep")):
        for bname, build in DEEP_BUILD.items():
            for i, op in enumerate(DEEP_OPS):
                c = case(f"{tag}.{bname}.{i:03d}", build.replace("N", str(n)) + op)
                if c:
                    cases.append(c)
        for i, op in enumerate(DEEP_PAIR_OPS):
            c = case(f"{tag}_pair.{i:03d}", DEEP_PAIR.replace("N", str(n)) + op)
            if c:
                cases.append(c)
    for tname, t in DEEP_TEMPLATES.items():
        c = case(f"deep_template.{tname}", t)
        if c:
            cases.append(c)
    write_corpus("gen_cyclic_cases.py", cases)


if __name__ == "__main__":
    main()
