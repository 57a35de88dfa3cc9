"""Planning (layer 8, beside the runner): where to build, and how much sun, wind and storage to bring.

* :mod:`shulu.plan.costs` — annualisation and the sourced constants of ``plan_costs.yaml``;
* :mod:`shulu.plan.inputs` — the model's labelled arrays, from a scenario or by hand;
* :mod:`shulu.plan.reduce` — representative days by clustering;
* :mod:`shulu.plan.layout` — the national layout LP (linopy + HiGHS);
* :mod:`shulu.plan.cfe` — 24/7 carbon-free-energy sizing of one site and its cost-vs-CFE curve;
* :mod:`shulu.plan.transmission` — move bits or move electrons, per hub pair;
* :mod:`shulu.plan.output` — the plan folder, the planned scenario and its check in the twin.
"""
