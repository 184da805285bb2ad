"""Merges upstream_cases.py's answers for each version into one file, each distinct outcome once with
the versions that answer it:

    python3 merge_cases.py expected-<version>.json ... > upstream-expected.json
"""
import json
import sys

runs = [json.load(open(p)) for p in sys.argv[1:]]
out = {"versions": [r["version"] for r in runs], "sections": {}}
for section in ("hyperparameters", "channels", "contentTypes", "data"):
    cases = []
    for i, case in enumerate(runs[0][section]):
        inputs = {k: v for k, v in case.items() if k != "outcome"}
        groups = []
        for r in runs:
            o = r[section][i]["outcome"]
            assert {k: v for k, v in r[section][i].items() if k != "outcome"} == inputs
            for g in groups:
                if g["outcome"] == o:
                    g["versions"].append(r["version"])
                    break
            else:
                groups.append({"versions": [r["version"]], "outcome": o})
        cases.append({**inputs, "outcomes": groups})
    out["sections"][section] = cases
sys.stdout.write("{\n")
sys.stdout.write(f' "versions": {json.dumps(out["versions"])},\n "sections": {{\n')
sections = list(out["sections"].items())
for si, (section, cases) in enumerate(sections):
    sys.stdout.write(f'  "{section}": [\n')
    for ci, c in enumerate(cases):
        sys.stdout.write("   " + json.dumps(c, separators=(",", ":")) + ("," if ci < len(cases) - 1 else "") + "\n")
    sys.stdout.write("  ]" + ("," if si < len(sections) - 1 else "") + "\n")
sys.stdout.write(" }\n}\n")
