"""The ledger on SQLite and PostgreSQL: tamper detection, idempotent posting, balances, statements, budgets."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from shulu.accounts.ledger import (
    GENESIS_HASH,
    canonical,
    chain_hash,
    connect,
    entries_table,
    post_entries,
    read_entries,
    verify,
)
from shulu.accounts.tenants import (
    add_purchase,
    balances,
    budget_warnings,
    post_result,
    set_tenant,
    statement,
    write_statement,
)
from shulu.errors import InputError
from shulu.migrations import drop_all


def job(tenant: str = "x", month: str = "2025-03", job_id: str = "1", **v: float) -> dict[str, object]:
    return {"kind": "job", "tenant": tenant, "month": month, "job_id": job_id, "site": "a", "origin": "r",
            "job_class": "warm", **v}


def three(engine: Engine) -> None:
    post_entries(engine, [job(job_id=str(i), energy_kwh=float(i), emissions_location_kg=0.5 * i)
                          for i in (1, 2, 3)], source="test")


def test_chain_by_hand() -> None:
    e = job(energy_kwh=1.5)
    h1 = chain_hash(GENESIS_HASH, 1, e)
    assert len(h1) == 64 and h1 != chain_hash(GENESIS_HASH, 1, job(energy_kwh=1.5000000001))
    assert h1 != chain_hash(GENESIS_HASH, 2, e)  # the position is part of the hash


def test_post_verify_and_idempotent(engine: Engine) -> None:
    three(engine)
    v = verify(engine)
    assert v.ok and v.n_entries == 3 and v.head_seq == 3
    rep = post_entries(engine, [job(job_id=str(i), energy_kwh=float(i), emissions_location_kg=0.5 * i)
                                for i in (1, 2, 3)], source="again")
    assert not rep.posted
    assert verify(engine).n_entries == 3


@pytest.mark.parametrize("attack", ["value", "swap", "delete_middle", "delete_last", "insert"])
def test_tampering_is_detected(engine: Engine, attack: str) -> None:
    three(engine)
    t = entries_table
    with engine.begin() as conn:
        if attack == "value":
            conn.execute(t.update().where(t.c.seq == 2).values(emissions_location_kg=0.0))
        elif attack == "swap":  # exchange the contents of entries 1 and 3 (sequence numbers stay)
            rows = {r.seq: dict(r._mapping) for r in conn.execute(sa.select(t))}
            for a, b in ((1, 3), (3, 1)):
                vals = {k: v for k, v in rows[b].items() if k != "seq"}
                conn.execute(t.update().where(t.c.seq == a).values(**vals))
        elif attack == "delete_middle":
            conn.execute(t.delete().where(t.c.seq == 2))
        elif attack == "delete_last":
            conn.execute(t.delete().where(t.c.seq == 3))
        else:  # a forged entry appended without moving the head
            last = conn.execute(sa.select(t).where(t.c.seq == 3)).one()._mapping
            forged = {**dict(last), "seq": 4, "prev_hash": last["entry_hash"], "job_id": "forged"}
            forged["entry_hash"] = chain_hash(last["entry_hash"], 4, forged)
            conn.execute(t.insert().values(**forged))
    v = verify(engine)
    assert not v.ok, attack
    assert v.problems


def test_bad_entries_and_urls(tmp_path: object) -> None:
    eng = connect("sqlite://")
    with pytest.raises(InputError, match="kind"):
        post_entries(eng, [{"kind": "gift", "tenant": "x"}], source="t")
    with pytest.raises(InputError, match="finite"):
        post_entries(eng, [job(energy_kwh=float("nan"))], source="t")
    with pytest.raises(InputError, match="not a database URL"):
        connect("not a url")
    assert verify(eng).n_entries == 0  # nothing half-written


entry_values = st.fixed_dictionaries({
    "tenant": st.sampled_from(["x", "y"]), "month": st.sampled_from(["2025-01", "2025-02"]),
    "energy_kwh": st.floats(0, 1e6, allow_subnormal=False),
    "emissions_location_kg": st.floats(0, 1e5, allow_subnormal=False),
    "emissions_market_kg": st.floats(0, 1e5, allow_subnormal=False)})


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(batches=st.lists(st.lists(entry_values, min_size=1, max_size=6), min_size=1, max_size=4))
def test_round_trip_and_sums(db_url: str, batches: list[list[dict[str, object]]]) -> None:
    raw = sa.create_engine(db_url)
    drop_all(raw)
    raw.dispose()
    eng = connect(db_url)
    posted = []
    for i, b in enumerate(batches):
        entries = [job(job_id=f"{i}-{k}", **{kk: vv for kk, vv in e.items() if kk not in ("tenant", "month")},
                       tenant=str(e["tenant"]), month=str(e["month"])) for k, e in enumerate(b)]
        post_entries(eng, entries, source=str(i))
        posted += entries
    assert verify(eng).ok
    back = read_entries(eng)
    assert len(back) == len(posted)
    # save -> load identity of every value (floats exactly)
    for col in ("energy_kwh", "emissions_location_kg"):
        assert back[col].tolist() == [float(e[col]) for e in posted]  # type: ignore[arg-type]
    want = pd.DataFrame(posted).groupby(["tenant", "month"])["emissions_location_kg"].sum()
    for tenant in want.index.get_level_values(0).unique():
        b = balances(eng, tenant).set_index("month")["emissions_location_kg"]
        assert b.to_numpy() == pytest.approx(want.loc[tenant].to_numpy(), rel=1e-12)
    eng.dispose()


def test_market_based_with_certificates_and_budgets(engine: Engine, tmp_path: object) -> None:
    # x used 100 kWh with 40 kg location- and 30 kg market-based (site-level) emissions in March. A certificate
    # for 25 kWh covers a quarter: market-based 30 x 0.75 = 22.5 kg; location-based stays 40 kg, SCI too.
    post_entries(engine, [job(energy_kwh=60.0, emissions_location_kg=24.0, emissions_market_kg=18.0,
                              embodied_kg=2.0, embodied_net_kg=1.8),
                          job(job_id="2", energy_kwh=40.0, emissions_location_kg=16.0, emissions_market_kg=12.0,
                              embodied_kg=2.0, embodied_net_kg=1.8, gpu_hours=4.0)], source="t")
    add_purchase(engine, "x", "2025-03", 25.0, instrument="GEC", reference="cert-1")
    assert not add_purchase(engine, "x", "2025-03", 25.0, instrument="GEC", reference="cert-1").posted
    set_tenant(engine, "x", budget_location_kg_per_month=45.0)
    b = balances(engine, "x").iloc[0]
    assert b["emissions_location_kg"] == pytest.approx(40.0)
    assert b["emissions_market_kg"] == pytest.approx(22.5)
    assert b["sci_kg_per_job"] == pytest.approx((40.0 + 4.0) / 2)
    assert b["sci_kg_per_gpu_hour"] == pytest.approx((16.0 + 2.0) / 4.0)
    assert b["budget_location_used_frac"] == pytest.approx(40 / 45)
    w = budget_warnings(engine, "x")
    assert len(w) == 1 and w[0].startswith("warning")
    set_tenant(engine, "x", budget_location_kg_per_month=30.0)
    assert budget_warnings(engine, "x")[0].startswith("exceeded")
    st_ = statement(engine, "x", "2025-03")
    assert st_["totals"]["emissions_market_kg"] == pytest.approx(22.5) and st_["ledger"]["verified"]
    j, c = write_statement(st_, tmp_path)  # type: ignore[arg-type]
    assert json.loads(j.read_text())["totals"]["certificate_kwh"] == 25.0
    lines = pd.read_csv(c)
    assert lines.iloc[-1]["site"] == "TOTAL" and lines.iloc[-1]["emissions_location_kg"] == pytest.approx(40.0)
    with pytest.raises(InputError, match="YYYY-MM"):
        statement(engine, "x", "2025-13")
    with pytest.raises(InputError, match="no ledger entries"):
        statement(engine, "x", "2025-04")


def test_post_result_end_to_end(engine: Engine) -> None:
    from factories import hand_accounts_scenario as hand_scenario
    from shulu.policies import get_policy
    from shulu.sim.engine import simulate

    res = simulate(hand_scenario(green_purchase_frac=0.5), get_policy("local"))
    rep = post_result(engine, res)
    assert rep.posted and rep.n_entries == 2
    assert not post_result(engine, res).posted
    b = balances(engine, "x").iloc[0]
    # job A by hand (see test_attribution): 3.0375 kg location-based, half covered by the site's green purchase
    assert b["emissions_location_kg"] == pytest.approx(3.0375)
    assert b["emissions_market_kg"] == pytest.approx(3.0375 * 0.5)
    assert b["sci_kg_per_job"] == pytest.approx(3.0375 + 12.5)
    assert verify(engine).ok


def test_migrations_create_upgrade_and_adopt_legacy_databases(tmp_path: object) -> None:
    from shulu.accounts.ledger import metadata
    from shulu.migrations import current

    fresh = connect(f"sqlite:///{tmp_path}/fresh.db")  # type: ignore[str-bytes-safe]
    assert current(fresh) == "0003"
    # a database made before migrations (tables created directly) is stamped and upgraded, keeping its entries
    legacy_url = f"sqlite:///{tmp_path}/legacy.db"  # type: ignore[str-bytes-safe]
    raw = sa.create_engine(legacy_url)
    metadata.create_all(raw)
    with raw.begin() as conn:
        conn.execute(sa.text("INSERT INTO ledger_head (id, last_seq, last_hash) VALUES (1, 0, :h)"),
                     {"h": GENESIS_HASH})
    post_entries(raw, [job(energy_kwh=1.0)], source="legacy")
    eng = connect(legacy_url)
    assert current(eng) == "0003"
    assert verify(eng).ok and verify(eng).n_entries == 1
    assert "service_jobs" in sa.inspect(eng).get_table_names()


def test_sci_per_request_and_older_chains_still_verify(engine: Engine) -> None:
    # entries without requests hash exactly as before the column existed (canonical form unchanged)
    e = job(energy_kwh=2.0)
    assert "requests" not in canonical(1, e)
    assert canonical(1, {**e, "requests": 0.0}) == canonical(1, e)
    assert canonical(1, {**e, "requests": 5.0}) != canonical(1, e)
    # SCI per request over the jobs that count requests: (3 + 1) kg / 400 requests; the other job is left out
    post_entries(engine, [job(job_id="a", emissions_location_kg=3.0, embodied_kg=1.0, requests=400.0),
                          job(job_id="b", emissions_location_kg=10.0, embodied_kg=1.0)], source="t")
    b = balances(engine, "x").iloc[0]
    assert b["requests"] == 400.0
    assert b["sci_kg_per_request"] == pytest.approx(4.0 / 400)
    assert verify(engine).ok
