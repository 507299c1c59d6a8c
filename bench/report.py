#!/usr/bin/env python3
"""Renders the figures of bench/all.sh (one JSON object per line, each with its "size") into
results.json, RESULTS.md and growth.svg in OUT.

    python3 bench/report.py FIGURES.jsonl OUT [--profile CALLGRIND.txt] [--note NOTE.md]
"""
import datetime, json, math, os, platform, re, subprocess, sys

TRIED = """- Import (round 2): rows go to SQLite in groups of 32 per INSERT … ON CONFLICT statement (a
  failing group is written again row by row, so each problem is still met at its row); the
  CHECK constraints of devices are chains of `=` (migration v0006: an IN list in a CHECK cost
  half of SQLite's time per row); SQLite's memory statistics are off (a global mutex at every
  allocation); a new database gets 8 KiB pages and its first import a rollback journal (each
  page written once, not to the WAL and then again); secondary indexes are built after a load
  into an empty table; the page cache of the load is 12 MiB. What remains against a bare-table
  `.import` is SQLite's own work for the schema the design asks for: a WITHOUT ROWID table
  keyed on device_id with 17 columns and three indexes built by sorting afterwards (the one on
  primary_user_upn, NOCASE and in random order, alone takes about 0.9 s of a 1M import).
  See the profile below.
- Plan and run: rows decoded by column position, no NSString bridging, raw binds, group
  commits, no unique index on random hashes, the next job claimed while a call is out."""


def command(*args):
    try:
        return subprocess.run(args, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except Exception:
        return "unknown"


def machine():
    memory = "unknown"
    try:
        kib = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1])
        memory = "%.1f GiB" % (kib / 1024 / 1024)
    except Exception:
        pass
    os_name = platform.platform()
    try:
        os_name = next(l for l in open("/etc/os-release") if l.startswith("PRETTY_NAME")).split("=", 1)[1].strip().strip('"')
    except Exception:
        pass
    return {"cores": os.cpu_count(), "memory": memory, "os": os_name, "kernel": platform.release(),
            "swift": command("swift", "--version"), "sqlite": command("sqlite3", "--version").split(" ")[0]}


def main():
    figures_path, out = sys.argv[1], sys.argv[2]
    profile = sys.argv[sys.argv.index("--profile") + 1] if "--profile" in sys.argv else None
    note = open(sys.argv[sys.argv.index("--note") + 1]).read().strip() if "--note" in sys.argv else None
    figures = [json.loads(line) for line in open(figures_path) if line.strip()]
    by = {}
    for f in figures:
        by.setdefault(f["benchmark"], {})[f["size"]] = f
    results = {"date": datetime.date.today().isoformat(), "machine": machine(), "figures": figures}

    def largest(name, below=None):
        sizes = sorted(s for s in by.get(name, {}) if below is None or s <= below)
        return by[name][sizes[-1]] if sizes else None

    sizes = sorted({f["size"] for f in figures if f["benchmark"] != "import" or f["size"] <= 1000000})
    top = max(sizes) if sizes else 0
    rows = []  # benchmark, mdmbatch, reference, ratio, target, met

    def verdict(ok):
        return "met" if ok else "**not met**"

    imp = largest("import", 1000000)
    if imp:
        n = "%d" % imp["rows"]
        rows.append(("import %s devices vs `sqlite3 .import` into a bare table" % n, "%.2f s" % imp["mdmbatch_s"],
                     "%.2f s" % imp["sqlite3_import_s"], "%.2f" % imp["ratio_vs_sqlite3_import"], "<= 2.0",
                     verdict(imp["ratio_vs_sqlite3_import"] <= 2.0)))
        rows.append(("import %s vs `.import` into a table with the same key and indexes, created first" % n,
                     "%.2f s" % imp["mdmbatch_s"], "%.2f s" % imp["sqlite3_import_indexed_s"],
                     "%.2f" % imp["ratio_vs_sqlite3_import_indexed"], "<= 0.8", verdict(imp["ratio_vs_sqlite3_import_indexed"] <= 0.8)))
        if "sqlite_utils_insert_s" in imp:
            rows.append(("import %s vs `sqlite-utils insert --csv`" % n, "%.2f s" % imp["mdmbatch_s"],
                         "%.2f s" % imp["sqlite_utils_insert_s"], "%.2f" % imp["ratio_vs_sqlite_utils"], "(reference)", ""))
        big = largest("import")
        if big and big["rows"] > imp["rows"]:
            growth = big["mdmbatch_s"] / imp["mdmbatch_s"]
            limit = 5.5 * big["rows"] / 5000000
            rows.append(("import %d devices vs %s devices (time per row flat)" % (big["rows"], n), "%.2f s" % big["mdmbatch_s"],
                         "%.2f s" % imp["mdmbatch_s"], "%.2f" % growth, "<= %.1f" % limit, verdict(growth <= limit)))
        if "upsert_s" in imp:
            rows.append(("upsert of %s devices over the %s just imported, half renamed (%d updated, %d unchanged)" % (
                             n, n, imp["upsert_updated"], imp["upsert_unchanged"]),
                         "%.2f s" % imp["upsert_s"], "%.2f s" % imp["mdmbatch_s"], "%.2f" % (imp["upsert_s"] / imp["mdmbatch_s"]),
                         "(reported; reference: the first import)", ""))
        rss = [(s, f["mdmbatch_peak_rss_mib"]) for s, f in sorted(by["import"].items())]
        worst = max(r for _, r in rss)
        rows.append(("import peak RSS " + ", ".join("%s: %.1f MiB" % (human(s), r) for s, r in rss), "%.1f MiB" % worst, "",
                     "", "<= 64 MiB, flat", verdict(worst <= 64)))
    plan = largest("plan")
    if plan:
        rows.append(("plan %d requests vs the pure-SQL join" % plan["requests"], "%.2f s" % plan["mdmbatch_s"],
                     "%.2f s" % plan["sql_join_s"], "%.2f" % plan["ratio_vs_sql_join"], "<= 2", verdict(plan["ratio_vs_sql_join"] <= 2)))
    run = largest("run")
    if run:
        rows.append(("run %d requests (zero-latency mock) vs the SQL pipeline" % run["requests"], "%.2f s" % run["mdmbatch_s"],
                     "%.2f s" % run["sql_pipeline_s"], "%.2f" % run["ratio_vs_sql_pipeline"], "<= 3",
                     verdict(run["ratio_vs_sql_pipeline"] <= 3)))
        lat = run.get("latency_bound")
        if lat:
            rows.append(("latency-bound run (20 ms, concurrency 64, no pacing), %d dispatches" % lat["dispatched"],
                         "%.0f /s" % lat["rate_per_s"], "3200 /s", "%.3f" % lat["ratio"], ">= 0.95", verdict(lat["ratio"] >= 0.95)))
        paced = run.get("paced")
        if paced:
            rows.append(("paced run (200 per 20 s), %d sends" % paced["sends"], "max %d in any 20 s" % paced["max_sends_in_any_20s_window"],
                         "200", "", "never above", verdict(paced["ok"])))
    graph = largest("graph")
    if graph:
        h = graph["http"]
        rows.append(("Graph over HTTP to graph-sim (%d ms, concurrency %d, no pacing), %d requests" % (
                         h["latency_ms"], h["concurrency"], h["requests"]), "%.0f /s" % h["rate_per_s"],
                     "%d /s" % h["littles_law_limit_per_s"], "%.3f" % h["ratio"], ">= 0.90", verdict(h["ratio"] >= 0.90)))
        rows.append(("Graph over HTTP: peak RSS of mdmbatch", "%.1f MiB" % h["mdmbatch_peak_rss_mib"], "", "", "(reported)", ""))
        p = graph.get("paced")
        if p:
            fewest = p["min_sends_in_a_whole_window"]
            rows.append(("Graph, default pacing against Intune's throttle, %d devices: 429s in graph-sim's journal" % p["devices"],
                         "%d" % p["throttled_429"], "", "", "0", verdict(p["throttled_429"] == 0)))
            rows.append(("Graph, default pacing: sends per 20 s window once started (fewest of %d whole windows; most in any 20 s: %d)" % (
                             len(p["sends_per_20s_window"]), p["max_sends_in_any_20s_window"]),
                         "%s" % fewest, "200", "%.3f" % (fewest / 200.0) if fewest is not None else "", ">= 190",
                         verdict(fewest is not None and fewest >= 190)))
            rows.append(("Graph, default pacing: peak RSS of mdmbatch", "%.1f MiB" % p["mdmbatch_peak_rss_mib"], "", "", "(reported)", ""))
        r = graph.get("realistic")
        if r:
            fewest = r["min_sends_in_a_full_window"]
            rows.append(("Graph against --realistic graph-sim (faults after the effect, lagging results), %d devices: "
                         "writes per 20 s window (fewest of %d full windows)" % (r["devices"], max(1, len(r["sends_per_20s_window"]) - 1)),
                         "%s" % fewest, "200", "%.3f" % (fewest / 200.0) if fewest is not None else "", ">= 190",
                         verdict(fewest is not None and fewest >= 190)))
            rows.append(("Graph, --realistic: elements settled by asking the service", "%d (%.1f %%)" % (
                             r["settled_by_asking"], 100 * r["share_settled_by_asking"]), "", "", "(reported)", ""))
            rows.append(("Graph, --realistic: resets that took effect twice", "%d" % r["resets_twice"], "", "", "0",
                         verdict(r["resets_twice"] == 0)))
    ver = largest("audit_verify")
    if ver:
        rows.append(("audit verify of %d rows" % ver["rows"], "%.2f s" % ver["seconds"], "", "", "seconds, not minutes",
                     verdict(ver["seconds"] < 60)))
    results["targets"] = [dict(zip(["benchmark", "mdmbatch", "reference", "ratio", "target", "verdict"], r)) for r in rows]

    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")

    m = results["machine"]
    md = ["# Benchmark results", "",
          "Written by `make bench` (bench/all.sh) on %s: %s cores, %s, %s (kernel %s), %s, SQLite %s." % (
              results["date"], m["cores"], m["memory"], m["os"], m["kernel"], m["swift"], m["sqlite"]),
          "Each ratio is mdmbatch over its reference, both measured in the same run, alternating, best of the rounds; "
          "machines are noisy, ratios much less so.", ""] + (["## Conditions of this run", "", note, ""] if note else []) + [
          "## Targets", "", "| benchmark | mdmbatch | reference | ratio | target | |", "|---|---|---|---|---|---|"]
    md += ["| %s |" % " | ".join(r) for r in rows]
    md += ["", "## Growth", "", "Seconds (best of the rounds) by size; the plot is `growth.svg`.", "",
           "| benchmark | " + " | ".join(human(s) for s in all_sizes(by)) + " |", "|---|" + "---|" * len(all_sizes(by))]
    for name, label, key in SERIES:
        cells = []
        for s in all_sizes(by):
            f = by.get(name, {}).get(s)
            cells.append("%.2f" % f[key] if f and key in f else "")
        md.append("| %s | %s |" % (label, " | ".join(cells)))
    md += ["", "![growth](growth.svg)", ""]
    missed = [r for r in rows if "not met" in r[5]]
    md += ["## Missed targets", ""]
    if missed:
        md += ["Not met: " + "; ".join("%s (%s, target %s)" % (r[0], r[3] or r[1], r[4]) for r in missed) + ".", "",
               "What was tried:", "", TRIED, ""]
    else:
        md += ["None.", ""]
    if profile and os.path.exists(profile):
        lines = open(profile).read().splitlines()
        md += ["## Import profile", "", lines[0], "", "```"] + [
            re.sub(r"\[[^\]]*/([^/\]]+)\]", r"[\1]", line.rstrip())[:150] for line in lines[1:]] + ["```", ""]
    with open(os.path.join(out, "RESULTS.md"), "w") as f:
        f.write("\n".join(md))
    with open(os.path.join(out, "growth.svg"), "w") as f:
        f.write(svg(by))


SERIES = [("import", "import: mdmbatch", "mdmbatch_s"), ("import", "import: sqlite3 .import", "sqlite3_import_s"),
          ("import", "import: .import, same key and indexes", "sqlite3_import_indexed_s"),
          ("import", "import: sqlite-utils", "sqlite_utils_insert_s"),
          ("import", "upsert: mdmbatch, half renamed", "upsert_s"),
          ("plan", "plan: mdmbatch", "mdmbatch_s"), ("plan", "plan: SQL join", "sql_join_s"),
          ("run", "run: mdmbatch", "mdmbatch_s"), ("run", "run: SQL pipeline", "sql_pipeline_s"),
          ("audit_verify", "audit verify: mdmbatch", "seconds")]
COLOURS = {"import": "#0072B2", "plan": "#E69F00", "run": "#009E73", "audit_verify": "#CC79A7"}


def human(n):
    return "%dM" % (n // 1000000) if n >= 1000000 else "%dk" % (n // 1000)


def all_sizes(by):
    # the Graph benchmark has no growth series: its request count is not a size of the table
    return sorted({s for name, runs in by.items() if name != "graph" for s in runs})


def svg(by):
    width, height, left, right, top, bottom = 760, 460, 70, 250, 30, 50
    points = [(s, f[key]) for name, _, key in SERIES for s, f in by.get(name, {}).items() if key in f and f[key] > 0]
    if not points:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    xs = [math.log10(s) for s, _ in points]
    ys = [math.log10(v) for _, v in points]
    x0, x1 = math.floor(min(xs)), math.ceil(max(xs))
    y0, y1 = math.floor(min(ys)), math.ceil(max(ys))
    x1 = max(x1, x0 + 1)
    y1 = max(y1, y0 + 1)

    def px(s):
        return left + (math.log10(s) - x0) / (x1 - x0) * (width - left - right)

    def py(v):
        return height - bottom - (math.log10(v) - y0) / (y1 - y0) * (height - top - bottom)

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12" role="img" '
           'aria-label="Seconds by number of rows, log-log, for each benchmark and its reference">' % (width, height),
           '<title>mdmbatch benchmarks: seconds by size (log-log)</title>', '<rect width="100%" height="100%" fill="white"/>']
    for e in range(x0, x1 + 1):
        x = px(10 ** e)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>' % (x, top, x, height - bottom))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (x, height - bottom + 18, human(10 ** e) if e >= 3 else str(10 ** e)))
    for e in range(y0, y1 + 1):
        y = py(10 ** e)
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>' % (left, y, width - right, y))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%g s</text>' % (left - 6, y + 4, 10 ** e))
    out.append('<text x="%d" y="%d" text-anchor="middle">rows / requests</text>' % ((left + width - right) / 2, height - 12))
    legend_y = top
    dashes = {}  # each reference of a benchmark its own dash pattern
    for name, label, key in SERIES:
        series = sorted((s, f[key]) for s, f in by.get(name, {}).items() if key in f and f[key] > 0)
        if not series:
            continue
        reference = not key.startswith(("mdmbatch", "upsert")) and name != "audit_verify"
        if reference:
            dashes[name] = dashes.get(name, -1) + 1
        dash = ' stroke-dasharray="%s"' % ["6 4", "2 3", "10 3 2 3"][dashes[name] % 3] if reference else ""
        colour = "#56B4E9" if key == "upsert_s" else COLOURS[name]
        out.append('<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>' % (
            colour, dash, " ".join("%.1f,%.1f" % (px(s), py(v)) for s, v in series)))
        for s, v in series:
            out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (px(s), py(v), colour))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>' % (
            width - right + 12, legend_y, width - right + 40, legend_y, colour, dash))
        out.append('<text x="%d" y="%d">%s</text>' % (width - right + 46, legend_y + 4, label.replace("&", "&amp;")))
        legend_y += 18
    out.append("</svg>")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
