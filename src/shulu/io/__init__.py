"""Scenario folders on disk: load, validate, save (layer 3, beside ``data``)."""

from shulu.io.scenario_files import load_scenario, save_scenario

__all__ = ["load_scenario", "save_scenario"]
