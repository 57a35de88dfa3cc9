from pathlib import Path

from shulu.glossary import render


def test_glossary_is_current() -> None:
    path = Path(__file__).resolve().parents[1] / "docs" / "glossary.md"
    assert path.read_text(encoding="utf-8") == render(), "run: python -m shulu.glossary > docs/glossary.md"


def test_every_quantity_has_a_unit() -> None:
    text = render()
    for line in text.splitlines():
        if line.startswith("| `") and ("_kw`" in line or "_kwh`" in line or "_s`" in line):
            assert "| - |" not in line, line


def test_every_site_series_is_documented() -> None:
    from shulu.glossary import SITE_SERIES_QUANTITIES
    from shulu.sim.result import SITE_SERIES

    documented = {n for n, _, _ in SITE_SERIES_QUANTITIES}
    assert set(SITE_SERIES) | {"job_it_kw", "reserved_kw", "queue_len", "intensity_g_per_kwh", "pause"} == documented
