"""XML that refuses DTDs and entities: the prolog check, parsing, and pasted text made bytes."""

from __future__ import annotations

import pytest

from evidence.formats.safexml import XmlRejected, check_prolog, parse_xml, text_to_xml_bytes


def test_prolog_check_skips_comments_and_instructions_but_refuses_a_dtd() -> None:
    check_prolog(
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- <!DOCTYPE in a comment> --><a/>', complete=True
    )
    with pytest.raises(XmlRejected):
        check_prolog(b"<?xml version='1.0'?><!-- c --><!DOCTYPE a><a/>", complete=True)
    with pytest.raises(XmlRejected):
        check_prolog(
            '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a><a/>'.encode("utf-16"),
            complete=True,
        )
    with pytest.raises(XmlRejected, match="prólogo"):
        check_prolog(b"<!--" + b"x" * 100, complete=False)


def test_parse_xml_rejects_entities_and_malformed_documents() -> None:
    assert parse_xml(b"<a><b/></a>").tag == "a"
    with pytest.raises(XmlRejected, match="mal formado"):
        parse_xml(b"<a>&undefined;</a>")
    with pytest.raises(XmlRejected, match="DTD"):
        parse_xml(b'<!DOCTYPE a [<!ENTITY e SYSTEM "http://example.invalid/x">]><a>&e;</a>')


def test_text_to_xml_bytes_rewrites_the_declared_encoding() -> None:
    assert text_to_xml_bytes("\ufeff <?xml version='1.0' encoding='latin-1'?><a>ñ</a>") == (
        "<?xml version='1.0' encoding=\"UTF-8\"?><a>ñ</a>".encode()
    )
    assert text_to_xml_bytes("<a/>") == b"<a/>"
