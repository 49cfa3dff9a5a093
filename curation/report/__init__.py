"""Run reports: the funnel table and the self-contained ``report.html``."""
