"""Parameter sweeps on Dask distributed (``shulu sweep``): policies x scenarios x forecast errors x seeds.

* :mod:`shulu.sweep.spec` — the ``SWEEP.yaml`` schema and its expansion into cells with stable ids;
* :mod:`shulu.sweep.run` — one cell: a pure function from a cell to a result row and its provenance;
* :mod:`shulu.sweep.dask_runner` — submit the cells to a Dask cluster, store each as it finishes, resume,
  gather ``results.parquet``.

See docs/sweeps.md.
"""

from shulu.sweep.dask_runner import (
    SweepReport,
    consolidate,
    dask_client,
    done_cells,
    local_cluster,
    run_sweep,
    store_cell,
)
from shulu.sweep.run import CellOutput, cell_scenario, cut_horizon, run_cell
from shulu.sweep.spec import Cell, SweepSpec, cell_id, expand, parse_spec, read_spec

__all__ = ["Cell", "CellOutput", "SweepReport", "SweepSpec", "cell_id", "cell_scenario", "consolidate",
           "cut_horizon", "dask_client", "done_cells", "expand", "local_cluster", "parse_spec", "read_spec",
           "run_cell", "run_sweep", "store_cell"]
