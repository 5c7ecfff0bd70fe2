"""Figures stated in an aid report (指标): money, people, jobs, projects, area … read from the normalised body.

``scanner`` finds the numbers, units and qualifiers in one linear pass; ``context`` reads what each figure
measures (category, subject) from the words around it. The words both use are data modules: ``units`` (units,
measure words, qualifiers, numbers that are no figure), ``keywords`` (category vocabularies) and ``cues`` (money
kinds and the cues about people and things). The rules are described in ``docs/metrics.md``.
"""

from __future__ import annotations

from etl.metrics.scanner import Metric, extract_metrics, json_number, read_quantity
from etl.metrics.units import SHARE_UNITS, UNITS

__all__ = ["SHARE_UNITS", "UNITS", "Metric", "extract_metrics", "json_number", "read_quantity"]
