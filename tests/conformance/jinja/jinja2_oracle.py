#!/usr/bin/python3
"""Oracle for the differential test: renders each case with Python Jinja2 exactly as NetBox
does (SandboxedEnvironment, autoescape off) and writes the results in the cases.json format.

Input (argv[1]): JSON list of {"name", "template", "context", "undefined", "options"?,
"templates"?}; named templates are loaded through a DictLoader (else a loader that has none).
Output (stdout): {"cases": [... with "expect" filled in ...]}.
"""
import json
import sys

import jinja2
from jinja2 import StrictUndefined, Undefined
from jinja2.loaders import BaseLoader, DictLoader
from jinja2.sandbox import SandboxedEnvironment


def run(case):
    env = SandboxedEnvironment(
        undefined=StrictUndefined if case.get("undefined") == "strict" else Undefined,
        loader=DictLoader(case["templates"]) if "templates" in case else BaseLoader(),
        **case.get("options", {}),
    )
    try:
        tmpl = env.from_string(case["template"])
    except jinja2.TemplateSyntaxError as e:
        return {"error": {"type": type(e).__name__, "message": e.message, "lineno": e.lineno, "phase": "parse"}}
    except Exception as e:  # noqa: BLE001 - any parse-time failure is data
        return {"error": {"type": type(e).__name__, "message": str(e), "phase": "parse"}}
    try:
        return {"output": tmpl.render(**case["context"])}
    except jinja2.TemplateSyntaxError as e:
        return {"error": {"type": type(e).__name__, "message": e.message, "lineno": e.lineno, "phase": "render"}}
    except RecursionError as e:
        return {"error": {"type": "RecursionError", "message": str(e), "phase": "render"}}
    except Exception as e:  # noqa: BLE001
        return {"error": {"type": type(e).__name__, "message": str(e), "phase": "render"}}


def write_corpus(generator, cases):
    """Writes a generated corpus (the cases.json format, with its provenance) to stdout."""
    doc = {
        "generator": f"tests/conformance/jinja/{generator} (Jinja2 SandboxedEnvironment)",
        "jinja2_version": jinja2.__version__,
        "python_version": sys.version.split()[0],
        "count": len(cases),
        "cases": cases,
    }
    json.dump(doc, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    for case in cases:
        case["expect"] = run(case)
    json.dump({"cases": cases}, sys.stdout)


if __name__ == "__main__":
    main()
