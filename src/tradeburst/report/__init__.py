"""`tradeburst report`: a run's latency figures from its journal, as a terminal table, PNG
plots and JSON."""

from tradeburst.report._figures import OrderTiming, RunFigures, figures_of, read_figures
from tradeburst.report._fire_error import fire_error_text
from tradeburst.report._plots import write_plots
from tradeburst.report._rejections import (
    group_rejections,
    print_rejections,
    rejections_of,
    rejections_text,
)
from tradeburst.report._render import print_report, report_json

__all__ = [
    "OrderTiming",
    "RunFigures",
    "figures_of",
    "fire_error_text",
    "group_rejections",
    "print_rejections",
    "print_report",
    "read_figures",
    "rejections_of",
    "rejections_text",
    "report_json",
    "write_plots",
]
