"""A fault test: concurrent submissions, the server killed with SIGKILL mid-load and restarted.

Every acknowledged job must be present exactly once afterwards (retries with the same Idempotency-Key return it,
never a second copy), and the ledger must verify.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from factories import make_scenario
from shulu.accounts.ledger import connect, verify
from shulu.io import save_scenario
from shulu.service import tables

ADMIN = "fault-admin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(folder: Path, db: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SHULU_ADMIN_KEY": ADMIN, "SHULU_RATE_LIMIT_PER_S": "100000", "SHULU_RATE_BURST": "100000"}
    proc = subprocess.Popen([sys.executable, "-m", "shulu.cli", "serve", "--scenario", str(folder), "--db", db,
                             "--port", str(port)], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


@pytest.mark.slow
def test_sigkill_mid_load_loses_and_duplicates_nothing(tmp_path: Path, service_db: str) -> None:
    folder = save_scenario(make_scenario(n_sites=2, n_regions=2, hours=48, n_jobs=1), tmp_path / "scn")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    proc = start(folder, service_db, port, log)
    try:
        adm = {"Authorization": f"Bearer {ADMIN}"}
        assert httpx.post(f"{base}/v1/tenants", json={"id": "load"}, headers=adm).status_code == 201
        key = httpx.post(f"{base}/v1/tenants/load/keys", headers=adm).json()["key"]
        auth = {"Authorization": f"Bearer {key}"}
        acked: dict[str, str] = {}
        tried: list[str] = []
        lock = threading.Lock()
        stop = threading.Event()

        def client(n: int) -> None:
            with httpx.Client(base_url=base, timeout=5) as c:
                i = 0
                while not stop.is_set():
                    k = f"c{n}-{i}"
                    i += 1
                    with lock:
                        tried.append(k)
                    body = {"origin": f"r{n % 2}", "duration_s": 600.0, "power_kw": 0.5, "slack_s": 7200.0,
                            "submit_time": "2025-01-01T05:00:00Z"}
                    try:
                        r = c.post("/v1/jobs", json=body, headers={**auth, "Idempotency-Key": k})
                    except httpx.HTTPError:
                        continue
                    if r.status_code in (200, 201):
                        with lock:
                            acked[k] = r.json()["id"]
                        if i % 5 == 0:  # some jobs finish, so the ledger has entries too
                            with contextlib.suppress(httpx.HTTPError):
                                c.post(f"/v1/jobs/{r.json()['id']}/complete", json={"energy_it_kwh": 0.08},
                                       headers=auth)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        t0 = time.monotonic()
        while len(acked) < 150 and time.monotonic() - t0 < 30:
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)  # mid-load, no warning
        proc.wait()
        stop.set()
        for t in threads:
            t.join()
        assert len(acked) >= 100

        proc = start(folder, service_db, port, log)
        with httpx.Client(base_url=base, timeout=10) as c:
            for job_id in acked.values():
                assert c.get(f"/v1/jobs/{job_id}", headers=auth).status_code == 200
            # every key tried is retried: acknowledged ones come back unchanged, never twice
            for k in tried:
                body = {"origin": f"r{int(k[1:].split('-')[0]) % 2}", "duration_s": 600.0, "power_kw": 0.5,
                        "slack_s": 7200.0, "submit_time": "2025-01-01T05:00:00Z"}
                r = c.post("/v1/jobs", json=body, headers={**auth, "Idempotency-Key": k})
                assert r.status_code in (200, 201), r.text
                if k in acked:
                    assert r.status_code == 200 and r.json()["id"] == acked[k]
        eng = connect(service_db)
        with eng.connect() as conn:
            n_rows = conn.execute(sa.select(sa.func.count()).select_from(tables.jobs)).scalar_one()
            n_keys = conn.execute(sa.select(sa.func.count(sa.distinct(tables.jobs.c.idempotency_key)))).scalar_one()
        assert n_rows == n_keys == len(set(tried))
        v = verify(eng)
        assert v.ok, v.problems
        eng.dispose()
    finally:
        proc.kill()
        proc.wait()
