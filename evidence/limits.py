"""Every size limit applied while reading an evidence workbook.

The first group is DOMAIN §8's *Decision*; the rest bound the workbook container itself, which a
hostile upload can inflate (a zip bomb inside the xlsx, a huge shared-strings part, a sheet whose
cells span the whole grid) far beyond what the 5 MiB upload limit suggests.
"""

from __future__ import annotations

MIB = 1024 * 1024

# DOMAIN §8
WORKBOOK_MAX_BYTES = 5 * MIB
ZIP_MAX_ENTRIES = 500
ZIP_MAX_TOTAL_BYTES = 20 * MIB
ZIP_RATIO_THRESHOLD_BYTES = 64 * 1024
ZIP_MAX_RATIO = 100
JSON_MAX_BYTES = 2 * MIB
IMAGE_MAX_PIXELS = 40_000_000
XML_MAX_BYTES = 1 * MIB

# The xlsx container. Honest workbooks of this size hold a few MiB of XML; these leave room for
# generous templates while keeping what a reading holds in memory well inside the memory budget.
XLSX_MAX_ENTRIES = 2_000
# Each part other than a worksheet, and all of them together.
XLSX_MAX_PART_BYTES = 32 * MIB
XLSX_MAX_TOTAL_BYTES = 128 * MIB
# Each worksheet. Its part is streamed (by this reader and by calamine), never held whole, and Excel
# writes one element per formatted row: formatting whole rows down to row 1,048,576 takes about
# 100 MiB of XML that holds no content (the row limits below count cells, not rows).
XLSX_MAX_SHEET_BYTES = 160 * MIB
# Package parts this reader parses into a tree (workbook, relationships, drawings) are small.
XLSX_MAX_TREE_PART_BYTES = 4 * MIB
# How far into a part the XML prolog may run before its root element (a DTD is looked for there).
XML_PROLOG_MAX_BYTES = 64 * 1024

# Cell grids. python-calamine materialises a sheet as a dense rectangle of the cells that hold
# something, so a sheet is read only when those cells fit these bounds; the template needs a few
# thousand rows at most and fewer than twenty columns. Rows and cells that carry only formatting
# do not count (evidence.formats.grid, evidence.formats.biff).
SHEET_MAX_ROWS = 10_000
SHEET_MAX_COLUMNS = 64
