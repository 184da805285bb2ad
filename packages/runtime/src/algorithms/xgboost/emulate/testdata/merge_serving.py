"""Merges upstream_serving.py's answers for each version into one file, each distinct answer once
with the versions that give it; XGBoost's own error texts (a time, a source line and a native stack
trace) are cut at "Stack trace:".

    python3 merge_serving.py serving-<version>.json ... > upstream-serving.json
"""
import json
import re
import sys

runs = [json.load(open(p)) for p in sys.argv[1:]]
configs = []
for i, config in enumerate(runs[0]["serving"]):
    requests = []
    for j, req in enumerate(config["requests"]):
        inputs = {k: req[k] for k in ("contentType", "accept", "body")}
        groups = []
        for r in runs:
            got = r["serving"][i]["requests"][j]
            answer = {k: got[k] for k in ("status", "responseType", "response")}
            answer["response"] = re.sub(r"\nStack trace:.*", "", answer["response"], flags=re.S)
            answer["response"] = re.sub(r"\[\d\d:\d\d:\d\d\] ", "[hh:mm:ss] ", answer["response"])
            for g in groups:
                if g["answer"] == answer:
                    g["versions"].append(r["version"])
                    break
            else:
                groups.append({"versions": [r["version"]], "answer": answer})
        requests.append({**inputs, "answers": groups})
    configs.append({"model": config["model"], "env": config["env"], "requests": requests})
sys.stdout.write('{\n "versions": ' + json.dumps([r["version"] for r in runs]) + ',\n "configs": [\n')
for i, c in enumerate(configs):
    sys.stdout.write("  " + json.dumps(c, separators=(",", ":")) + ("," if i < len(configs) - 1 else "") + "\n")
sys.stdout.write(" ]\n}\n")
