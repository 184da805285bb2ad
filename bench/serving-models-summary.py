# Summary of bench/RESULTS.md's "Serving realistic models (issue 22)" section, one row per model, body, c and phase:
# each cell against its floor and the classic stack. python3 bench/serving-models-summary.py bench/RESULTS.md
import re, sys
text = open(sys.argv[1]).read()
sec = text[text.index("## Serving realistic models (issue 22)"):]
sec = sec[: sec.index("\n## ", 5)]
models = re.split(r"\n### ", sec)[1:]
def rows_of(block, header_start):
    i = block.index(header_start)
    lines = block[i:].split("\n")
    out = []
    for l in lines[2:]:
        if not l.startswith("|"): break
        out.append([c.strip() for c in l.strip("|").split("|")])
    return out
num = lambda s: float(s.replace(",", "").replace("*", "")) if s not in ("n/a", "", "NaN") else float("nan")
print("| model | rows | c | phase | sagebrew CPU/req (µs) | floor + bare (µs) | ÷ (floor + bare) | ≤ 1.2× | ÷ classic, req/s | classic CPU/req ÷ ours | classic CPU/req ÷ (floor + bare): the most the floor allows | walker | libxgboost-only serve CPU/req (÷ floor + bare) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for m in models:
    name = m.split("\n")[0]
    main = rows_of(m, "| rows | c | server | phase |")
    tgt = rows_of(m, "| rows | c | phase | floor + bare")
    def cell(rows, c, server_prefix, phase):
        for r in main:
            if r[0] == rows and r[1] == c and r[2].startswith(server_prefix) and r[3].startswith(phase) and (server_prefix != "sagebrew serve" or r[2] == "sagebrew serve"):
                return r
    for t in tgt:
        rows, c, phase, fb, ours, pct, ok, vs_classic = t[:8]
        f, b = [num(x) for x in fb.split(" + ")]
        cl = cell(rows, c, "classic", "steady")
        sg = cell(rows, c, "sagebrew serve", "first" if phase == "first" else "steady")
        cl_cpu = num(cl[9]) if cl else float("nan")
        nv = cell(rows, c, "sagebrew serve, SAGEBREW_XGBOOST_JS=off", "first" if phase == "first" else "steady")
        nv_cpu = num(nv[9]) if nv else float("nan")
        o = num(ours)
        print(f"| {name.split(' (')[0]} | {rows} | {c} | {phase} | {ours} | {fb} | {pct} | {ok} | {vs_classic} | {cl_cpu / o:.1f}× | {cl_cpu / (f + b):.1f}× | {sg[10] if sg else ''} | {nv[9] if nv else ''} ({nv_cpu / (f + b) * 100:.0f} %) |")

# Aggregates for the prose under the table.
if len(sys.argv) > 2 and sys.argv[2] == "--aggregates":
    import collections
    agg = collections.defaultdict(list)
    for m in models:
        name = m.split("\n")[0].split(" (")[0]
        main = rows_of(m, "| rows | c | server | phase |")
        for t in rows_of(m, "| rows | c | phase | floor + bare"):
            rows, c, phase, fb, ours, pct = t[:6]
            f, b = [num(x) for x in fb.split(" + ")]
            o = num(ours)
            key = "1-row" if rows == "1" else "large"
            agg[(phase, "met")].append(o <= 1.2 * (f + b))
            agg[(phase, key, "pct")].append(round(o / (f + b) * 100))
            cl = [r for r in main if r[0] == rows and r[1] == c and r[2].startswith("classic") and r[3].startswith("steady")]
            nv = [r for r in main if r[0] == rows and r[1] == c and r[2] == "sagebrew serve, SAGEBREW_XGBOOST_JS=off" and r[3].startswith(phase)]
            if cl:
                agg[(phase, key, "classic_cpu")].append(round(num(cl[0][9]) / o, 1))
                agg[(phase, key, "allows")].append(round(num(cl[0][9]) / (f + b), 1))
                agg[(phase, key, "classic_rps")].append(t[7])
            if nv:
                agg[(phase, key, "native_pct")].append(round(num(nv[0][9]) / (f + b) * 100))
            if o <= 1.2 * (f + b):
                agg["met_cells"].append(f"{name} {rows}/{c} {phase} {pct}")
    for k, v in agg.items():
        if k == "met_cells" or (len(k) == 2):
            print(k, v if k == "met_cells" else f"{sum(v)} of {len(v)}")
        else:
            print(k, v)
