"""XML parsing that refuses DTDs, entities and the network.

Vendors' files are untrusted: a DTD is how billion-laughs and external-entity attacks get in, and no
legitimate workbook part or CFDI needs one. So the prolog is inspected before any parser sees the
document, and lxml then runs with entity resolution, DTD loading and network access all off.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterable
from xml.parsers import expat

from lxml import etree

from evidence.formats.syntax_errors import xml_syntax_error
from evidence.limits import XML_PROLOG_MAX_BYTES


class XmlRejected(Exception):
    """The document is not acceptable XML; the message is Spanish and fit for a finding."""


class DtdFound(Exception):
    """A streamed document declares a DTD or an entity."""


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_blank_text=False,
)

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decode_head(head: bytes) -> str:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="replace")
    if head.startswith(b"<\0"):
        return head.decode("utf-16-le", errors="replace")
    if head.startswith(b"\0<"):
        return head.decode("utf-16-be", errors="replace")
    # Markup is ASCII in every other encoding XML allows, which is all the scan looks at.
    return head.decode("latin-1")


def check_prolog(head: bytes, *, complete: bool) -> None:
    """Reject a document whose prolog (the part before the root element) declares a DTD.

    ``head`` is the start of the document; ``complete`` says whether it is the whole document,
    so that a prolog running past the inspected window is refused rather than trusted.
    """
    text = _decode_head(head)
    i = 0
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if text.startswith("<?", i):
            terminator = "?>"
        elif text.startswith("<!--", i):
            terminator = "-->"
        elif text.startswith("<!", i):
            raise XmlRejected("el XML declara un DTD o entidades, que no se admiten")
        else:
            return
        end = text.find(terminator, i)
        if end < 0:
            if complete:
                return  # malformed: the parser reports it
            raise XmlRejected("el prólogo del XML es demasiado largo")
        i = end + len(terminator)


def parse_xml(data: bytes) -> etree._Element:
    """Parse ``data`` safely; raise XmlRejected with a Spanish reason when it is not acceptable."""
    check_prolog(data[:XML_PROLOG_MAX_BYTES], complete=len(data) <= XML_PROLOG_MAX_BYTES)
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise XmlRejected(f"el XML está mal formado: {xml_syntax_error(exc)}") from exc
    if root.getroottree().docinfo.internalDTD is not None:
        raise XmlRejected("el XML declara un DTD o entidades, que no se admiten")
    return root


def _refuse_dtd(*_args: object) -> None:
    raise DtdFound


def stream_elements(
    chunks: Iterable[bytes],
    start: Callable[[str, dict[str, str]], None],
    end: Callable[[str], None] | None = None,
) -> None:
    """Stream a document through expat, calling ``start`` (and ``end``) for each element.

    For parts too large to hold as a tree; names are as written (``x:c``). Raises DtdFound at a
    DTD or entity declaration, expat.ExpatError when the document is malformed, and whatever the
    handlers raise, at once.
    """
    parser = expat.ParserCreate()
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    for chunk in chunks:
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


_DECLARATION = re.compile(r"^\s*<\?xml[^>]*?\?>", re.DOTALL)
_ENCODING = re.compile(r"""encoding\s*=\s*(["'])[^"']*\1""")


def text_to_xml_bytes(text: str) -> bytes:
    """UTF-8 bytes of XML pasted into a cell, with its declaration made to say so.

    A cell holds decoded text, so the encoding the original declaration named no longer applies.
    """
    text = text.lstrip("\ufeff \t\r\n").rstrip()
    match = _DECLARATION.match(text)
    if match:
        declaration = _ENCODING.sub('encoding="UTF-8"', match.group(0))
        text = declaration + text[match.end() :]
    return text.encode("utf-8")
