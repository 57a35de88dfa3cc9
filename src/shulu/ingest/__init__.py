"""Real data in: carbon-intensity providers and files, public workload traces.

Layer 3 (beside :mod:`shulu.data` and :mod:`shulu.io`); imports only :mod:`shulu.units`, :mod:`shulu.errors`,
:mod:`shulu.timeindex` and :mod:`shulu.model`.

* :mod:`shulu.ingest.carbon` — Electricity Maps (CSV exports, API v3), WattTime (API v3), the Carbon Aware SDK's
  JSON emissions file and generic CSV/Parquet, each converted at its edge to one tidy table (``time`` in UTC,
  ``zone``, ``intensity_g_per_kwh`` and what the source has); API clients and a provider chain with a disk cache.
* :mod:`shulu.ingest.traces` — the Alibaba 2018 batch trace, the Alibaba PAI 2020 GPU trace, the Google 2019
  instance events and the Azure public VM table, streamed in chunks into shulu's workload table.

Every importer checks its input and raises :class:`shulu.errors.InputError` naming the file, row and column and what
was expected; outputs are written to a temporary file and renamed, so nothing half-written remains.
"""

from shulu.ingest.carbon import CARBON_FORMATS, read_carbon
from shulu.ingest.traces import TRACE_FORMATS, TraceOptions, import_trace, read_trace

__all__ = ["CARBON_FORMATS", "TRACE_FORMATS", "TraceOptions", "import_trace", "read_carbon", "read_trace"]
