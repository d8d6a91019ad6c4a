"""The compliance service: alerts, compliance violations and reports, T+0 reconciliation."""
