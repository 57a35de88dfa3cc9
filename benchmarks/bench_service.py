"""B5 over HTTP: durable placements per second and p50/p99 latency, 50 concurrent clients on loopback.

A real ``shulu serve`` process (uvicorn, one worker) serves the China network; 50 asyncio clients, each on its own
kept-alive connection, post 200 jobs each with their own Idempotency-Keys as fast as answers come back. Every 201
is a placement committed to the database before the answer. Run on SQLite (a file) and, where PostgreSQL can be
started (``.ci/postgres.sh``), on PostgreSQL.
Targets: >= 1,000 placements/s and p99 < 50 ms on 2 cores. The peer measured in the same run is the ceiling of
the stack itself: a FastAPI endpoint that does nothing, on the same uvicorn, driven by the same clients.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

CLIENTS = 50
PER_CLIENT = 200
ADMIN = "bench-admin"
ROOT = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(db: str, port: int, folder: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SHULU_ADMIN_KEY": ADMIN, "SHULU_RATE_LIMIT_PER_S": "1e6", "SHULU_RATE_BURST": "1000000"}
    proc = subprocess.Popen([sys.executable, "-m", "shulu.cli", "serve", "--scenario", str(folder), "--db", db,
                             "--port", str(port), "--policy", "spatio-temporal"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


async def _post(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: str, headers: dict[str, str],
                body: bytes) -> int:
    """One HTTP/1.1 request on a kept-alive connection; returns the status code (the body is read and dropped)."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    writer.write(f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n{head}\r\n".encode() + body)
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    length = next(int(ln.split(":", 1)[1]) for ln in lines if ln.lower().startswith("content-length:"))
    await reader.readexactly(length)
    return int(lines[0].split(" ", 2)[1])


async def _load(port: int, auth: dict[str, str], regions: list[str]) -> tuple[list[float], int, float]:
    """50 clients, each on its own kept-alive connection, posting jobs back to back.

    The clients speak HTTP/1.1 over raw asyncio streams rather than through httpx: on 2 cores the load generator
    shares the CPU with the server, and httpx spends several times the server's own time per request.
    """
    lat: list[float] = []
    bad = 0
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(CLIENTS)]

    async def one(n: int) -> None:
        nonlocal bad
        reader, writer = conns[n]
        for i in range(PER_CLIENT):
            body = json.dumps({"origin": regions[(n + i) % len(regions)], "duration_s": 900.0, "power_kw": 0.01,
                               "slack_s": 4 * 3600.0, "job_class": "warm",
                               "submit_time": "2025-03-02T08:00:00Z"}).encode()
            t = time.perf_counter()
            code = await _post(reader, writer, "/v1/jobs", {**auth, "Idempotency-Key": f"{n}-{i}"}, body)
            lat.append(time.perf_counter() - t)
            bad += code not in (200, 201)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(CLIENTS)))
    wall = time.perf_counter() - t0
    for _, writer in conns:
        writer.close()
    return lat, bad, wall


def _run_load(port: int, auth: dict[str, str], regions: list[str]) -> tuple[list[float], int, float]:
    import uvloop

    return uvloop.run(_load(port, auth, regions))


def measure(db: str, folder: Path, regions: list[str]) -> dict[str, Any]:
    """Throughput and latency of durable placements against one database."""
    port = _port()
    proc = _serve(db, port, folder)
    try:
        base = f"http://127.0.0.1:{port}"
        adm = {"Authorization": f"Bearer {ADMIN}"}
        httpx.post(f"{base}/v1/tenants", json={"id": "bench"}, headers=adm)
        key = httpx.post(f"{base}/v1/tenants/bench/keys", headers=adm).json()["key"]
        lat, bad, wall = _run_load(port, {"Authorization": f"Bearer {key}"}, regions)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    a = np.array(lat) * 1000
    return {"placements": len(lat), "errors": bad, "placements_per_s": len(lat) / wall,
            "p50_ms": float(np.percentile(a, 50)), "p90_ms": float(np.percentile(a, 90)),
            "p99_ms": float(np.percentile(a, 99)), "max_ms": float(a.max())}


TRIVIAL = """
from fastapi import FastAPI
app = FastAPI()


@app.post("/v1/jobs")
async def place(body: dict) -> dict:
    return {"ok": True}
"""


def measure_trivial(tmp: Path) -> dict[str, Any]:
    """The same load against an endpoint that does nothing: the HTTP stack's own ceiling here."""
    (tmp / "trivial_app.py").write_text(TRIVIAL)
    port = _port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "trivial_app:app", "--port", str(port),
                             "--log-level", "warning"], cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                httpx.post(f"http://127.0.0.1:{port}/v1/jobs", json={}, timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        lat, _bad, wall = _run_load(port, {}, ["r"])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    a = np.array(lat) * 1000
    return {"requests_per_s": len(lat) / wall, "p50_ms": float(np.percentile(a, 50)),
            "p99_ms": float(np.percentile(a, 99))}


def run() -> dict[str, Any]:
    """SQLite and, where it can be started, PostgreSQL; and the empty-endpoint peer."""
    from shulu.data.china import build_china_scenario
    from shulu.io import save_scenario

    tmp = Path(tempfile.mkdtemp(prefix="shulu-bench-svc-"))
    scn = build_china_scenario(2025, n_jobs=100, seed=1)
    folder = save_scenario(scn, tmp / "china")
    regions = scn.network.region_ids
    out: dict[str, Any] = {"clients": CLIENTS, "sqlite": measure(f"sqlite:///{tmp / 'svc.db'}", folder, regions)}
    out["empty_endpoint_peer"] = measure_trivial(tmp)
    out["sqlite_over_peer"] = out["sqlite"]["placements_per_s"] / out["empty_endpoint_peer"]["requests_per_s"]
    try:
        url = subprocess.run([str(ROOT / ".ci" / "postgres.sh")], capture_output=True, text=True, check=True,
                             env={**os.environ, "SHULU_PG_PORT": "54331", "SHULU_PG_DIR": "/tmp/shulu-pg-bench"}
                             ).stdout.strip()
        out["postgresql"] = measure(url, folder, regions)
    except (subprocess.CalledProcessError, OSError) as exc:
        out["postgresql"] = f"not run: {exc}"
    return out


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
