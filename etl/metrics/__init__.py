"""Figures stated in an aid report (指标): money, people, jobs, projects, area … read from the normalised body.

``scanner`` finds the numbers, units and qualifiers in one linear pass; ``context`` reads what each figure
measures (category, subject) from the words around it; ``lexicon`` holds the words both use. The rules are
described in ``docs/metrics.md``.
"""

from __future__ import annotations

from etl.metrics.lexicon import SHARE_UNITS, UNITS
from etl.metrics.scanner import Metric, extract_metrics, json_number, read_quantity

__all__ = ["SHARE_UNITS", "UNITS", "Metric", "extract_metrics", "json_number", "read_quantity"]
