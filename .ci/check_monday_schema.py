#!/usr/bin/env python3
"""Checks that our trimmed Monday SDL is a faithful subset of the official one.

Usage: check_monday_schema.py OURS OFFICIAL

Every type, field, argument and enum value in OURS must exist in OFFICIAL with
the same type (names, list wrappers and nullability). graphql_client generates
our typed client from OURS, so a drift here would compile but fail at runtime.
"""
import subprocess
import sys

try:
    import graphql
except ImportError:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "graphql-core"], check=True)
    import graphql


def main(ours_path, official_path):
    ours = graphql.build_schema(open(ours_path).read())
    official = graphql.build_schema(open(official_path).read())
    problems = []
    for name, t in ours.type_map.items():
        if name.startswith("__"):
            continue
        o = official.get_type(name)
        if o is None:
            problems.append(f"type {name} is not in the official schema")
            continue
        for fname, f in getattr(t, "fields", {}).items():
            of = o.fields.get(fname)
            if of is None:
                problems.append(f"{name}.{fname} is not in the official schema")
                continue
            if str(of.type) != str(f.type):
                problems.append(f"{name}.{fname}: ours {f.type}, official {of.type}")
            for aname, a in getattr(f, "args", {}).items():
                oa = of.args.get(aname)
                if oa is None or str(oa.type) != str(a.type):
                    problems.append(f"{name}.{fname}({aname}): ours {a.type}, official {oa and oa.type}")
        for v in getattr(t, "values", {}):
            if v not in o.values:
                problems.append(f"enum {name} has no value {v} officially")
    for p in problems:
        print(p)
    print(f"monday schema: {len(ours.type_map)} types checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
