"""The HTML and PNG pieces of the three reports (run, validation, quality model).

One page frame with one style sheet, one table, and matplotlib figures rendered without pyplot
(no global state, no GUI backend) and without a version stamp, so the same data gives the same
bytes.
"""
from __future__ import annotations

import base64
import html
import io
from typing import Any

from matplotlib.figure import Figure

STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
td:first-child,th:first-child,td.l{text-align:left}.fail{color:#c00;font-weight:bold}.pass{color:#070}
tr.fail{background:#fde2e1;font-weight:normal}img{display:block;margin:1em 0;max-width:100%}
h2{border-bottom:1px solid #ddd;padding-bottom:3px}"""


def png_bytes(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=96, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def img(fig: Figure, alt: str = "plot") -> str:
    """The figure as an ``<img>`` with the PNG embedded (a self-contained page)."""
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png_bytes(fig)).decode()}">'


def table(headers: list[str], rows: list[list[Any]], row_classes: list[str] | None = None) -> str:
    """Cells are inserted as given (escape text cells before); headers are escaped."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    classes = row_classes or [""] * len(rows)
    body = "".join((f'<tr class="{c}">' if c else "<tr>") + "".join(f"<td>{v}</td>" for v in row) + "</tr>"
                   for row, c in zip(rows, classes))
    return f"<table><tr>{head}</tr>{body}</table>"


def page(title: str, body: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>\n{body}\n</body></html>\n")
