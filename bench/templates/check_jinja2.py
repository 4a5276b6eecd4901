#!/usr/bin/python3
"""Checks that Herald renders each bench template exactly as Python Jinja2 (NetBox's
SandboxedEnvironment) does, for the first COUNT contexts of a context file.

Usage: check_jinja2.py HERALD_BINARY CONTEXTS.json [COUNT]   (COUNT defaults to 10)
Exit 0 when every output is identical; prints the first difference per template otherwise.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

from jinja2.sandbox import SandboxedEnvironment


def main():
    herald, contexts_path = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    with open(contexts_path, encoding="utf-8") as f:
        contexts = json.load(f)[:count]
    env = SandboxedEnvironment()
    here = os.path.dirname(os.path.abspath(__file__))
    failed = 0
    for path in sorted(glob.glob(os.path.join(here, "*.j2"))):
        with open(path, encoding="utf-8") as f:
            tmpl = env.from_string(f.read())
        for i, ctx in enumerate(contexts):
            expected = tmpl.render(**ctx)
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as c:
                json.dump(ctx, c)
            try:
                got = subprocess.run([herald, "template", "render", "--template", path,
                                      "--context", c.name], capture_output=True, text=True,
                                     check=False)
            finally:
                os.unlink(c.name)
            if got.returncode != 0 or got.stdout != expected:
                failed += 1
                print("DIFF %s context %d\n--- jinja2\n%s\n--- herald (%d)\n%s%s" % (
                    os.path.basename(path), i, expected, got.returncode, got.stdout, got.stderr))
                break
        else:
            print("ok %s (%d contexts)" % (os.path.basename(path), len(contexts)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
