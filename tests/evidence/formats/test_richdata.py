"""Excel 365 pictures placed in cells: the rich-value chain from a cell's vm to its media part."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import xlsxwriter
from lxml import etree

from evidence.findings import Code
from evidence.formats.richdata import RichDataParts, picture_of_vm
from evidence.reading import read_workbook
from tests.evidence.fixtures.build import (
    build_xlsx_in_cells,
    screenshot,
    workbook_spec,
)
from tests.evidence.test_hostile import decompression_bomb_png, only
from tests.evidence.workbooks import replace_parts

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RD = "http://schemas.microsoft.com/office/spreadsheetml/2017/richdata"


def metadata(blocks: str, values: str, types: str = '<metadataType name="XLRICHVALUE"/>') -> Any:
    return etree.fromstring(
        f'<metadata xmlns="{MAIN}" xmlns:xlrd="{RD}"><metadataTypes>{types}</metadataTypes>'
        f'<futureMetadata name="XLRICHVALUE">{blocks}</futureMetadata>'
        f"<valueMetadata>{values}</valueMetadata></metadata>"
    )


def block(i: str) -> str:
    return f'<bk><extLst><ext><xlrd:rvb i="{i}"/></ext></extLst></bk>'


def rich_values(*values: str) -> Any:
    return etree.fromstring(f'<rvData xmlns="{RD}">{"".join(values)}</rvData>')


STRUCTURES = etree.fromstring(
    f'<rvStructures xmlns="{RD}">'
    '<s t="_localImage"><k n="_rvRel:LocalImageIdentifier" t="i"/><k n="CalcOrigin" t="i"/></s>'
    '<s t="_localImage"><k n="CalcOrigin" t="i"/><k n="_rvRel:LocalImageIdentifier" t="i"/></s>'
    '<s t="_webimage"><k n="WebImageIdentifier" t="i"/></s>'
    "</rvStructures>"
)
TARGETS: list[str | None] = ["xl/media/image1.png", "xl/media/image2.jpeg", None]


def test_each_vm_leads_to_its_picture_whatever_the_key_order() -> None:
    parts = RichDataParts(
        metadata(
            block("0") + block("1"),
            '<bk><rc t="1" v="0"/></bk><bk><rc t="1" v="1"/></bk>',
        ),
        rich_values('<rv s="0"><v>1</v><v>5</v></rv>', '<rv s="1"><v>5</v><v>0</v></rv>'),
        STRUCTURES,
        TARGETS,
    )
    assert picture_of_vm(parts) == {1: "xl/media/image2.jpeg", 2: "xl/media/image1.png"}


def test_links_that_do_not_resolve_leave_the_cell_without_a_picture() -> None:
    parts = RichDataParts(
        metadata(
            block("0") + block("9") + block("x") + block("1") + block("2"),
            "".join(
                f'<bk><rc t="{t}" v="{v}"/></bk>'
                for t, v in [
                    ("2", "0"),
                    ("1", "1"),
                    ("1", "2"),
                    ("1", "3"),
                    ("1", "4"),
                    ("1", "99"),
                ]
            ),
            '<metadataType name="XLRICHVALUE"/><metadataType name="XLDAPR"/>',
        ),
        rich_values(
            '<rv s="0"><v>0</v><v>5</v></rv>',
            '<rv s="2"><v>0</v></rv>',  # a web image: nothing stored in the file
            '<rv s="0"><v>2</v><v>5</v></rv>',  # a relationship with no target
        ),
        STRUCTURES,
        TARGETS,
    )
    # vm 1: another metadata type; 2: rich value 9; 3: index "x"; 4: web image; 5: no target;
    # 6: block 99.
    assert picture_of_vm(parts) == {}


def test_in_cell_pictures_are_read_beside_floating_ones() -> None:
    spec = workbook_spec(image_kinds=("png", "jpeg", "png"))
    reading = read_workbook(build_xlsx_in_cells(spec), filename="evidencias.xlsx")
    assert reading.findings == ()
    assert reading.screenshots is not None
    assert [image.format for image in reading.screenshots.images] == ["png", "jpeg", "png"]


def test_an_in_cell_bomb_is_a_finding_like_any_picture() -> None:
    xlsx = build_xlsx_in_cells(workbook_spec(image_kinds=("png", "jpeg")))
    bomb = read_workbook(replace_parts(xlsx, {"xl/media/image1.png": decompression_bomb_png()}))
    assert "40 megapíxeles" in only(bomb, Code.T3_IMAGE_INVALID)
    assert bomb.screenshots is not None and len(bomb.screenshots.images) == 1
    assert screenshot("jpeg")[:4] == bomb.screenshots.images[0].data[:4]


def _tab3_with_both(path: Path) -> bytes:
    """Tab 3 holding a floating JPEG and a PNG placed in a cell, as Excel 365 writes them."""
    workbook = xlsxwriter.Workbook(path)
    for name in ("1 JSON", "2 Calculos"):
        workbook.add_worksheet(name)
    sheet = workbook.add_worksheet("3 Pantallas")
    sheet.insert_image("D2", "flotante.jpeg", {"image_data": io.BytesIO(screenshot("jpeg"))})
    sheet.embed_image("B2", "en-celda.png", {"image_data": io.BytesIO(screenshot("png"))})
    workbook.close()
    return path.read_bytes()


def test_damaged_rich_value_parts_cost_only_the_in_cell_pictures(tmp_path: Path) -> None:
    xlsx = _tab3_with_both(tmp_path / "libro.xlsx")
    whole = read_workbook(xlsx)
    assert whole.screenshots is not None
    assert [image.format for image in whole.screenshots.images] == ["jpeg", "png"]
    broken = read_workbook(replace_parts(xlsx, {"xl/metadata.xml": b"<metadata><roto"}))
    assert broken.screenshots is not None
    assert [image.format for image in broken.screenshots.images] == ["jpeg"]
    assert not [f for f in broken.findings if f.tab == 3]
