"""Evaluation room: gold sets, scorers, baselines, robustness rewrites and reports.

Only the faces (`api/`) import this package. The flow: `gold_format.load_gold` → `runner.run_gold`
(driving the assistant in process, a server's /api/chat, or a baseline) → `scorers` → `report`.
"""

__all__ = ["baselines", "gold_format", "normalize", "perturb", "report", "runner", "scorers"]
