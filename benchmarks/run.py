"""Run every benchmark, each in a fresh process (so peak memory is its own), and write benchmarks/RESULTS.md."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    ("B1 microgrid: shulu vs Vessim (1 year, 5-minute steps)", "bench_microgrid"),
    ("B2 national year: 10 sites x 8,760 h x 1,000,000 jobs, local", "bench_national"),
    ("Workload synthesis: 1,000,000 jobs", "bench_workload_synth"),
    ("Power layer alone: site_power per dispatch rule", "bench_power"),
]
CHILD = """
import json, resource, sys
sys.path.insert(0, {here!r})
import {mod} as m
out = m.run()
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps(out))
"""


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import importlib.metadata as md
        vessim = md.version("vessim")
    except Exception:
        vessim = "not installed"
    return (f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs ({cpu}), "
            f"vessim {vessim}")


def main() -> int:
    results = {}
    for title, mod in BENCHES:
        print(f"== {title}", flush=True)
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", CHILD.format(here=str(HERE), mod=mod)], capture_output=True,
                              text=True, check=False)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if proc.returncode != 0 or line is None:
            print(proc.stdout[-2000:], proc.stderr[-4000:])
            results[mod] = {"error": (proc.stderr or proc.stdout)[-500:]}
            continue
        results[mod] = json.loads(line[len("RESULT "):])
        results[mod]["bench_wall_s"] = time.perf_counter() - t
        print(json.dumps(results[mod], indent=2), flush=True)
    write(results)
    return 0 if all("error" not in r for r in results.values()) else 1


def fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}"
    if isinstance(v, dict):
        return ", ".join(f"{k} {fmt(x)}" for k, x in v.items())
    return str(v)


def write(results: dict[str, dict[str, object]]) -> None:
    lines = ["# Benchmark results", "", f"Last run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             f"Machine: {machine()}", "", "Written by `make bench` (benchmarks/run.py); each benchmark runs in a fresh "
             "process and its peak resident memory is its own.", ""]
    b1 = results.get("bench_microgrid", {})
    if "speedup_core_vs_vessim" in b1:
        lines += ["## Headline", "",
                  f"- B1: shulu's power balance runs a 5-minute year {fmt(b1['speedup_core_vs_vessim'])}x faster "
                  f"than Vessim (the whole `simulate` call, with result tables and provenance: "
                  f"{fmt(b1['speedup_simulate_vs_vessim'])}x); energy totals agree within "
                  f"{fmt(100 * float(b1['max_rel_diff_totals']))}% (target: >= 100x, <= 0.1%)."]
    b2 = results.get("bench_national", {})
    if "simulate_s" in b2:
        lines += [f"- B2: the national year with 1,000,000 jobs simulates in {fmt(b2['simulate_s'])} s using "
                  f"{fmt(b2['peak_rss_mb'])} MB peak (target: <= 60 s and <= 4 GB on 2 cores)."]
    lines.append("")
    for title, mod in BENCHES:
        lines += [f"## {title}", "", "| metric | value |", "|---|---|"]
        for k, v in results.get(mod, {}).items():
            lines.append(f"| {k} | {fmt(v)} |")
        lines.append("")
    (HERE / "RESULTS.md").write_text("\n".join(lines))
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    sys.exit(main())
