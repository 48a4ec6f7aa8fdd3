"""What every .xlsx the back office writes shares: text that stays text.

A text cell is written as a string cell (``inlineStr``), never a formula, and one that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return also carries the quote prefix
(``quotePrefix``, what Excel sets for text typed after an apostrophe), so editing the cell keeps
it text: a razón social such as ``=HYPERLINK(…)`` is shown, never evaluated. Characters XML
cannot hold become U+FFFD.
"""

from __future__ import annotations

from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# What a spreadsheet could read as the start of a formula (or of a DDE call).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The most characters a cell holds (Excel's limit).
CELL_LIMIT = 32_767


def text_cell(cell: Any, value: str) -> Any:
    """Write ``value`` into ``cell`` (of a worksheet or a write-only one) as a string, never a
    formula (see the module's docstring); returns the cell."""
    cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    cell.data_type = "s"
    if value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell
