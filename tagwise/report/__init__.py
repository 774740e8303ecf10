"""The evaluation report: JSON data, matplotlib figures and a self-contained HTML page."""

from tagwise.report._html import report_data, write_report

__all__ = ["report_data", "write_report"]
