"""A provisioning-ready Grafana dashboard and Prometheus alerting rules for a model.

The dashboard reads only series that ``/metrics`` exposes (``steward_predictions_total``,
``steward_prediction_errors_total``, ``steward_prediction_latency_seconds``,
``steward_window_*``); the rules turn the alert rules of ``steward.toml`` into
Prometheus alerting rules on the ``steward_window_<metric>`` gauges, for teams that route
alerts through Alertmanager.

>>> board = grafana_dashboard("churn")
>>> board["title"], len(board["panels"]) > 4
('modelsteward: churn', True)
"""

from __future__ import annotations

import json
import re
from typing import Any

from modelsteward.settings import AlertRuleSettings

__all__ = ["grafana_dashboard", "prometheus_rules"]


def _panel(
    pid: int, title: str, expr: str, unit: str, x: int, y: int, kind: str = "timeseries"
) -> dict[str, Any]:
    return {
        "id": pid,
        "type": kind,
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": "A", "expr": expr, "legendFormat": "{{version}}"}],
    }


def grafana_dashboard(model: str, *, uid: str | None = None) -> dict[str, Any]:
    """The dashboard JSON of ``model`` (import it, or drop it in a provisioning folder)."""
    m = json.dumps(model)[1:-1]  # PromQL strings escape like JSON ones
    sel = f'model="{m}"'
    panels = [
        _panel(
            1,
            "Predictions per second",
            f"sum by (version) (rate(steward_predictions_total{{{sel}}}[5m]))",
            "reqps",
            0,
            0,
        ),
        _panel(
            2,
            "Error rate",
            f"sum by (version) (rate(steward_prediction_errors_total{{{sel}}}[5m]))"
            f" / sum by (version) (rate(steward_predictions_total{{{sel}}}[5m]))",
            "percentunit",
            12,
            0,
        ),
        _panel(
            3,
            "Model latency p50 / p99",
            "histogram_quantile(0.99, sum by (le, version) "
            f"(rate(steward_prediction_latency_seconds_bucket{{{sel}}}[5m])))",
            "s",
            0,
            8,
        ),
        _panel(
            4,
            "Duplicate predictions (resent, not stored twice)",
            f"rate(steward_duplicate_predictions_total{{{sel}}}[5m])",
            "reqps",
            12,
            8,
        ),
        _panel(
            5,
            "Data drift: share of drifted columns (closed windows)",
            f"steward_window_drift_share{{{sel}}}",
            "percentunit",
            0,
            16,
        ),
        _panel(
            6,
            "Accuracy on arrived labels (closed windows)",
            f"steward_window_accuracy{{{sel}}}",
            "percentunit",
            12,
            16,
        ),
        _panel(
            7, "Label coverage", f"steward_window_label_coverage{{{sel}}}", "percentunit", 0, 24
        ),
        _panel(
            8,
            "Labels received per second",
            f"rate(steward_labels_total{{{sel}}}[5m])",
            "reqps",
            12,
            24,
        ),
    ]
    panels[2]["targets"].append(
        {
            "refId": "B",
            "expr": "histogram_quantile(0.5, sum by (le, version) "
            f"(rate(steward_prediction_latency_seconds_bucket{{{sel}}}[5m])))",
            "legendFormat": "p50 {{version}}",
        }
    )
    for p in panels[4:7]:
        p["targets"][0]["legendFormat"] = "{{window}}"
    safe_uid = uid or "steward-" + re.sub(r"[^a-zA-Z0-9-]", "-", model)[:30]
    return {
        "uid": safe_uid,
        "title": f"modelsteward: {model}",
        "tags": ["modelsteward"],
        "timezone": "utc",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-24h", "to": "now"},
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "type": "datasource",
                    "query": "prometheus",
                    "label": "Prometheus",
                }
            ]
        },
        "panels": panels,
    }


_PROM_OP = {">": ">", ">=": ">=", "<": "<", "<=": "<="}


def prometheus_rules(rules: list[AlertRuleSettings]) -> str:
    """Prometheus alerting rules (YAML) equivalent to the alert rules of ``steward.toml``."""
    lines = ["groups:", "  - name: modelsteward", "    rules:"]
    for r in rules:
        sel = [f'window="{r.window}"']
        if r.model is not None:
            sel.insert(0, f"model={json.dumps(r.model)}")
        expr = f"steward_window_{r.metric}{{{', '.join(sel)}}} {_PROM_OP[r.op]} {r.threshold!r}"
        alert = re.sub(r"[^a-zA-Z0-9_]", "_", r.name)
        summary = f"{{{{ $labels.model }}}}: {r.metric} {r.op} {r.threshold:g}"
        lines += [
            f"      - alert: {alert}",
            f"        expr: {json.dumps(expr)}",
            f"        labels:\n          severity: {r.severity}",
            "        annotations:",
            f"          summary: {json.dumps(summary)}",
        ]
    if not rules:
        lines[-1] = "    rules: []"
    return "\n".join(lines) + "\n"
