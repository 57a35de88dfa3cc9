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
    ("B3 oracle: min-cost flow whole vs raw solve vs a generic LP on the same network (1,000,000 jobs)",
     "bench_oracle"),
    ("B4/B5 scheduling on the China year (100,000 jobs): savings, gap to the oracle, decisions per second",
     "bench_scheduling"),
    ("B5 over HTTP: durable placements per second, 50 concurrent clients on loopback", "bench_service"),
    ("B6 sweep scaling: 8 cells on the China year (20,000 jobs), Dask LocalCluster with 1 and 2 workers",
     "bench_sweep"),
    ("B7 planning: national layout model build and solve (representative days, full hourly year)", "bench_plan"),
    ("B7b planning: representative days against the hourly optimum, national case over 91 days",
     "bench_plan_reduction"),
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


def main(argv: list[str]) -> int:
    """Run every benchmark, or only those named after ``--only`` (the others keep their last results)."""
    store = HERE / "results.json"
    only = None
    if "--only" in argv:
        only = set(argv[argv.index("--only") + 1].split(","))
    results: dict[str, dict[str, object]] = {}
    if only is not None and store.exists():
        results = json.loads(store.read_text())
    for title, mod in BENCHES:
        if only is not None and mod not in only:
            continue
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
    store.write_text(json.dumps(results, indent=2))
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
    b3 = results.get("bench_oracle", {}).get("year")
    if isinstance(b3, dict) and "oracle_s" in b3:
        lp = b3.get("generic_lp_over_oracle", b3.get("generic_lp_over_oracle_at_least"))
        lines += [f"- B3: the oracle on the 1M-job year ({fmt(b3['arcs'])} arcs, blocks of {b3['block_steps']} h) "
                  f"takes {fmt(b3['oracle_s'])} s, {fmt(b3['oracle_over_raw_flow'])}x the raw min-cost-flow solve "
                  f"(target <= 1.5x); a generic LP (HiGHS) on the same network "
                  f"{'took' if b3['generic_lp_finished'] else 'had not finished after'} {fmt(b3['generic_lp_s'])} s, "
                  f"{'' if b3['generic_lp_finished'] else '>= '}{fmt(lp)}x (target >= 50x)."]
    b4 = results.get("bench_scheduling", {})
    if "oracle_bound_t" in b4:
        parts = [f"{k} {fmt(100 * v['saving_vs_local_frac'])}% saved, gap {fmt(100 * v['gap_to_oracle_frac'])}%"
                 for k, v in b4.items() if isinstance(v, dict) and "gap_to_oracle_frac" in v and k != "oracle"]
        lines += ["- B4 (China year, 100,000 jobs, vs local and the oracle's bound): " + "; ".join(parts) + "."]
        rates = {k: v["decisions_per_s"] for k, v in b4.items() if isinstance(v, dict) and "decisions_per_s" in v}
        big = {k.split(" ", 1)[1]: v for k, v in b4.items() if k.startswith("decisions_per_s_1M_jobs")}
        lines += ["- B5 in-process decisions per second (the time inside `place`), 100,000-job year: "
                  + ", ".join(f"{k} {fmt(v)}" for k, v in rates.items()) + "; 1,000,000-job year: "
                  + ", ".join(f"{k} {fmt(v)}" for k, v in big.items()) + " (target >= 1M/s)."]
    b5 = results.get("bench_service", {})
    if isinstance(b5.get("sqlite"), dict):
        parts = [f"{db} {fmt(v['placements_per_s'])}/s (p50 {fmt(v['p50_ms'])} ms, p99 {fmt(v['p99_ms'])} ms)"
                 for db, v in b5.items() if isinstance(v, dict) and "placements_per_s" in v]
        peer = b5.get("empty_endpoint_peer", {})
        lines += ["- B5 over HTTP, 50 concurrent clients, durable placements: " + "; ".join(parts)
                  + f" — {fmt(b5.get('sqlite_over_peer', float('nan')))}x an empty FastAPI endpoint measured in the "
                  f"same run ({fmt(peer.get('requests_per_s', float('nan')))}/s) (target >= 1,000/s, p99 < 50 ms)."]
    b6 = results.get("bench_sweep", {})
    if isinstance(b6.get("1_worker"), dict) and isinstance(b6.get("2_workers"), dict):
        lines += [f"- B6 sweep of {b6['cells']} cells (China year, {b6['jobs']:,} jobs) on Dask: 1 worker "
                  f"{fmt(b6['1_worker']['sweep_s'])} s, 2 workers {fmt(b6['2_workers']['sweep_s'])} s — "
                  f"{fmt(b6['speedup_2_vs_1'])}x with 2 workers versus 1 in the same run (cluster start included: "
                  f"{fmt(b6['speedup_2_vs_1_total'])}x; serial in one process {fmt(b6['serial_s'])} s; "
                  f"{b6.get('cpus')} CPUs, load {fmt(b6.get('load_avg_1min_before'))} before)."]
    b7 = results.get("bench_plan", {})
    if "rep_solve_s" in b7:
        full = (f"full hourly year ({fmt(b7['full_variables'])} variables) built in {fmt(b7['full_build_s'])} s "
                f"and solved by Benders decomposition in {fmt(b7['full_solve_s'])} s ({b7.get('full_status')}, "
                f"{b7.get('full_iterations')} iterations, gap {fmt(100 * float(b7.get('full_gap_frac', 0)))}%; "
                f"optimum {fmt(b7['full_objective_mcny'])} M CNY/yr; representative-day estimate "
                f"{fmt(100 * float(b7['rep_objective_error_frac']))}% off it, calibrated design on every hour "
                f"{fmt(100 * float(b7['calibrated_design_on_full_year_vs_optimum_frac']))}% above it)"
                if "full_solve_s" in b7 else f"full hourly year {b7.get('full_year', 'not run')}")
        lines += [f"- B7 national plan ({b7['sites']} sites, {b7['jobs']:,} jobs, demand x2, 80% hourly CFE per "
                  f"site): {b7['rep_days']} representative days built in {fmt(b7['rep_build_s'])} s and solved in "
                  f"{fmt(b7['rep_solve_s'])} s; {full}; the representative-day estimate is "
                  f"{fmt(100 * float(b7['rep_cost_error_frac']))}% off the cost of the same design over the full "
                  f"year."]
    b7b = results.get("bench_plan_reduction", {})
    if "hourly_optimum_mcny" in b7b:
        parts = [f"k={k[1:]} ({v['rep_days']} days): estimate {fmt(100 * v['estimate_vs_optimum_frac'])}%, "
                 f"its design on every hour {fmt(100 * v['design_on_all_hours_vs_optimum_frac'])}% "
                 f"(lowest site green share {fmt(v['design_on_all_hours_green_min_site'])})"
                 for k, v in b7b.items() if isinstance(v, dict) and "estimate_vs_optimum_frac" in v]
        bd = (f"; by Benders decomposition in {fmt(b7b['benders_solve_s'])} s "
              f"({fmt(b7b['lp_over_benders_solve_time'])}x faster, "
              f"{fmt(100 * b7b['benders_objective_vs_lp_frac'])}% from the LP's optimum)"
              if "benders_solve_s" in b7b else "")
        lines += [f"- B7b representative days against the hourly optimum (national case, first {b7b['days']} days, "
                  f"solved hourly as one LP in {fmt(b7b['hourly_solve_s'])} s{bd}): " + "; ".join(parts) + "."]
    lines.append("")
    for title, mod in BENCHES:
        lines += [f"## {title}", "", "| metric | value |", "|---|---|"]
        for k, v in results.get(mod, {}).items():
            lines.append(f"| {k} | {fmt(v)} |")
        lines.append("")
    (HERE / "RESULTS.md").write_text("\n".join(lines))
    print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
