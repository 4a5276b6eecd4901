#!/usr/bin/python3
"""Python Jinja2 side of bench/jinja_bench.cc: renders the same templates on the same contexts
the way NetBox does (SandboxedEnvironment, compiled once) and reports renders/s as JSON.

Input (argv[1]): {"templates": {"name": "source"}, "seconds": 1.0, "contexts_file": "path"}
Output (stdout): {"name": {"rps": float, "output": str}}
Every template renders the contexts of "contexts_file" (a JSON array) in turn; its "output" is
the outputs of the first ten contexts joined by a NUL character.
"""
import json
import sys
import time

from jinja2.sandbox import SandboxedEnvironment


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        spec = json.load(f)
    with open(spec["contexts_file"], encoding="utf-8") as f:
        contexts = json.load(f)
    env = SandboxedEnvironment()
    out = {}
    for name, src in spec["templates"].items():
        tmpl = env.from_string(src)
        output = "\0".join(tmpl.render(**c) for c in contexts[:10])
        n = 0
        start = time.perf_counter()
        deadline = start + spec["seconds"]
        while True:
            for c in contexts:
                tmpl.render(**c)
            n += len(contexts)
            now = time.perf_counter()
            if now >= deadline:
                break
        out[name] = {"rps": n / (now - start), "output": output}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
