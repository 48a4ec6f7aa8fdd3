import base64
import copy
import json
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import signing
from rules.signing import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    CanonicalFormError,
    InvalidSignatureError,
    KeyFormatError,
    canonical_json,
    check_document,
    load_or_create_keypair,
    load_private_key_pem,
    load_public_key_pem,
    public_key_pem,
    sign_document,
    signed_json,
    verify_document,
)
from tests.json_values import any_text, json_values

PRIVATE = Ed25519PrivateKey.generate()
PUBLIC = PRIVATE.public_key()

AVISOS: dict[str, Any] = {
    "version": "1.0",
    "folioConsulta": "0501423600",
    "registroPatronal": "Y5412345107",
    "generado": "2026-03-02T10:00:00-06:00",
    "desde": "2026-01-01",
    "hasta": "2026-03-01",
    "avisos": [
        {
            "folio": "0501423523",
            "fechaAviso": "2026-01-15",
            "tipoAviso": {
                "clave": "01",
                "descripcion": "Inicio de descuento",
                "clase": "RETENCION",
            },
            "nss": "12345678901",
            "rfc": "PEPJ800101AB1",
            "curp": "PEPJ800101HDFRRN09",
            "nombre": "JUAN PÉREZ PEÑA",
            "numeroCredito": "1234567890",
            "tipoDescuento": 2,
            "valorDescuento": "2450.00",
            "fechaInicioDescuento": "2026-01-16",
            "fechaFin": None,
        }
    ],
}


# --- canonical form ------------------------------------------------------------------------


def test_canonical_form_sorts_keys_drops_firma_and_keeps_utf8():
    document = {"b": [1, True, None], "a": {"y": "ñ", "x": "é"}, "firma": "ignored"}
    assert canonical_json(document) == '{"a":{"x":"é","y":"ñ"},"b":[1,true,null]}'.encode()


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"valor": 2450.0}, "$.valor"),
        ({"avisos": [{"valorDescuento": float("nan")}]}, "$.avisos[0].valorDescuento"),
        ({"a": {"b": [1, float("inf")]}}, "$.a.b[1]"),
    ],
)
def test_floats_are_rejected_anywhere(document, path):
    with pytest.raises(CanonicalFormError, match=r"como texto") as raised:
        canonical_json(document)
    assert path in str(raised.value)
    with pytest.raises(CanonicalFormError):
        sign_document(document, PRIVATE)


def test_lone_surrogate_fails_verification_instead_of_raising():
    signed = sign_document(AVISOS, PRIVATE)
    reparsed = json.loads(json.dumps(signed).replace("JUAN", "\\ud800JUAN"))
    assert reparsed["avisos"][0]["nombre"].startswith("\ud800")
    with pytest.raises(CanonicalFormError, match="Unicode"):
        canonical_json(reparsed)
    assert not verify_document(reparsed, PUBLIC)


def test_non_string_keys_and_foreign_types_are_rejected():
    with pytest.raises(CanonicalFormError, match="claves"):
        canonical_json({"a": {1: "x"}})
    with pytest.raises(CanonicalFormError, match="tipo no admitido"):
        canonical_json({"a": {"x"}})


# --- sign and verify -----------------------------------------------------------------------


def test_sign_then_verify_round_trip():
    signed = sign_document(AVISOS, PRIVATE)
    assert verify_document(signed, PUBLIC)
    check_document(signed, PUBLIC)
    assert len(base64.b64decode(signed["firma"])) == 64
    assert "firma" not in AVISOS
    assert {k: v for k, v in signed.items() if k != "firma"} == AVISOS


def test_signed_copy_is_independent_of_the_input():
    source = copy.deepcopy(AVISOS)
    signed = sign_document(source, PRIVATE)
    source["avisos"][0]["valorDescuento"] = "1.00"
    assert verify_document(signed, PUBLIC)


@pytest.mark.parametrize(
    "document",
    [AVISOS, {}, {"firma": "vieja", "ñ": "año", "b": [1, {"c": None}]}, {"version": "1.0"}],
)
def test_signed_json_is_the_signed_document_as_sent(document):
    before = copy.deepcopy(document)
    text = signed_json(document, PRIVATE)
    parsed = json.loads(text)
    assert parsed == sign_document(document, PRIVATE)  # Ed25519 signatures are deterministic
    assert verify_document(parsed, PUBLIC) and list(parsed)[-1] == "firma"
    assert text.count(b'"firma"') == 1 and document == before


def test_signed_json_refuses_floats_unless_told_there_are_none():
    with pytest.raises(CanonicalFormError):
        signed_json({"a": 1.5}, PRIVATE)
    assert json.loads(signed_json(AVISOS, PRIVATE, json_without_floats=True)) == sign_document(
        AVISOS, PRIVATE
    )


def test_resigning_replaces_the_old_firma():
    signed = sign_document({**AVISOS, "firma": "old"}, PRIVATE)
    assert verify_document(signed, PUBLIC)


def test_wrong_key_fails():
    signed = sign_document(AVISOS, PRIVATE)
    other = Ed25519PrivateKey.generate().public_key()
    assert not verify_document(signed, other)
    with pytest.raises(InvalidSignatureError, match="no corresponde"):
        check_document(signed, other)


def test_json_text_with_float_fails_verification_instead_of_raising():
    signed = sign_document(AVISOS, PRIVATE)
    reparsed = json.loads(json.dumps(signed).replace('"tipoDescuento": 2', '"tipoDescuento": 2.0'))
    assert reparsed["avisos"][0]["tipoDescuento"] == 2.0
    assert not verify_document(reparsed, PUBLIC)


@pytest.mark.parametrize(
    ("firma", "message"),
    [
        (None, "no tiene firma"),
        ("", "base64"),
        ("no es base64!", "base64"),
        (base64.b64encode(b"x" * 63).decode(), "base64"),
        (12345, "base64"),
    ],
)
def test_missing_or_garbled_signature_fails(firma, message):
    document = {**sign_document(AVISOS, PRIVATE), "firma": firma}
    assert not verify_document(document, PUBLIC)
    with pytest.raises(InvalidSignatureError, match=message):
        check_document(document, PUBLIC)


def test_signature_spelled_with_other_padding_bits_is_refused():
    signed = sign_document(AVISOS, PRIVATE)
    firma = signed["firma"]
    assert firma.endswith("==")
    # The last data character carries 2 bits of the signature and 4 padding bits.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    index = alphabet.index(firma[-3])
    twin = firma[:-3] + alphabet[index ^ 1] + "=="
    assert base64.b64decode(twin) == base64.b64decode(firma)
    assert not verify_document({**signed, "firma": twin}, PUBLIC)


def test_document_without_firma_key_fails():
    assert not verify_document(AVISOS, PUBLIC)


# --- properties ----------------------------------------------------------------------------

keys = st.text(max_size=6)
leaves = st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.text(max_size=12)
values = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=16,
)
documents = st.dictionaries(keys.filter(lambda k: k != "firma"), values, min_size=1, max_size=5)


def nodes(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from nodes(item, (*path, index))


def get_at(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def set_at(document: Any, path: tuple[Any, ...], value: Any) -> None:
    get_at(document, path[:-1])[path[-1]] = value


def changed_leaf(value: Any, data: st.DataObject) -> Any:
    if isinstance(value, bool):
        return data.draw(st.sampled_from([not value, int(value), str(value).lower()]))
    if isinstance(value, int):
        return data.draw(st.sampled_from([value + 1, value - 1, str(value), float(value)]))
    if isinstance(value, str):
        if not value:
            return data.draw(st.text(min_size=1, max_size=3))
        index = data.draw(st.integers(0, len(value) - 1))
        char = data.draw(st.characters().filter(lambda c: c != value[index]))
        return value[:index] + char + value[index + 1 :]
    if value is None:
        return data.draw(st.sampled_from([0, False, "", "null", [], {}]))
    # A container: swap it for a different one.
    return data.draw(st.sampled_from([None, "x", [value], {"x": value}]))


def mutate(document: dict[str, Any], data: st.DataObject) -> None:
    """Change exactly one thing below the top-level firma: a value, or a key added/removed."""
    path = data.draw(st.sampled_from([p for p in nodes(document) if not p or p[0] != "firma"]))
    target = get_at(document, path)
    operations = ["value"] if path else []
    if isinstance(target, dict):
        operations.append("add key")
        if [k for k in target if path or k != "firma"]:
            operations.append("remove key")
    if isinstance(target, list):
        operations.append("append")
        if target:
            operations.append("remove item")
    operation = data.draw(st.sampled_from(operations))
    if operation == "value":
        set_at(document, path, changed_leaf(target, data))
    elif operation == "add key":
        taken = set(target) | ({"firma"} if not path else set())
        target[data.draw(keys.filter(lambda k: k not in taken))] = data.draw(values)
    elif operation == "remove key":
        del target[data.draw(st.sampled_from([k for k in target if path or k != "firma"]))]
    elif operation == "append":
        target.append(data.draw(values))
    else:
        del target[data.draw(st.integers(0, len(target) - 1))]


@settings(max_examples=300, deadline=None)
@given(document=documents, data=st.data())
def test_any_single_change_breaks_the_signature(document, data):
    signed = sign_document(document, PRIVATE)
    assert verify_document(signed, PUBLIC)
    tampered = copy.deepcopy(signed)
    mutate(tampered, data)
    assert not verify_document(tampered, PUBLIC)


def reorder(value: Any, reverse: bool) -> Any:
    if isinstance(value, dict):
        return {k: reorder(value[k], reverse) for k in sorted(value, reverse=reverse)}
    if isinstance(value, list):
        return [reorder(item, reverse) for item in value]
    return value


# What the fast writer refuses must end as the standard library's outcome, what it writes must
# be its bytes.
def outcome(document: dict[str, Any], **options: bool) -> bytes | str:
    try:
        return canonical_json(document, **options)
    except CanonicalFormError as exc:
        return str(exc)


@settings(max_examples=400, deadline=None)
@given(document=st.dictionaries(any_text, json_values, max_size=5))
def test_float_free_canonical_form_is_the_standard_librarys(document):
    assert outcome(document, json_without_floats=True) == outcome(document)


def test_nesting_past_the_fast_writers_depth_gives_the_same_bytes():
    deep: Any = "fondo"
    for _ in range(300):
        deep = [deep]
    assert canonical_json({"a": deep}, json_without_floats=True) == canonical_json({"a": deep})


@settings(max_examples=150, deadline=None)
@given(
    document=documents,
    reverse=st.booleans(),
    indent=st.none() | st.integers(0, 4),
    ascii_only=st.booleans(),
)
def test_reserialized_text_still_verifies(document, reverse, indent, ascii_only):
    signed = sign_document(document, PRIVATE)
    text = json.dumps(reorder(signed, reverse), indent=indent, ensure_ascii=ascii_only)
    assert verify_document(json.loads(text), PUBLIC)


def test_avisos_document_reserialized_with_indentation_still_verifies():
    signed = sign_document(AVISOS, PRIVATE)
    text = json.dumps(reorder(signed, reverse=True), indent=2, ensure_ascii=True)
    assert text != json.dumps(signed)
    assert verify_document(json.loads(text), PUBLIC)


# --- keys ----------------------------------------------------------------------------------


def raw(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def test_key_pair_is_created_once_with_private_mode_0600(tmp_path):
    directory = tmp_path / "llaves"
    private_key, public_key = load_or_create_keypair(directory)
    private_path = directory / PRIVATE_KEY_FILE
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert private_path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert (directory / PUBLIC_KEY_FILE).read_bytes() == public_key_pem(public_key)
    assert sorted(p.name for p in directory.iterdir()) == [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE]

    again_private, again_public = load_or_create_keypair(directory)
    assert raw(again_private) == raw(private_key)
    assert public_key_pem(again_public) == public_key_pem(public_key)
    assert verify_document(sign_document(AVISOS, again_private), public_key)


def test_published_public_key_verifies_what_the_private_key_signs(tmp_path):
    private_key, _ = load_or_create_keypair(tmp_path)
    published = load_public_key_pem((tmp_path / PUBLIC_KEY_FILE).read_bytes())
    assert verify_document(sign_document(AVISOS, private_key), published)


def test_stale_public_key_file_is_rewritten_from_the_private_key(tmp_path):
    _, public_key = load_or_create_keypair(tmp_path)
    stranger = Ed25519PrivateKey.generate().public_key()
    (tmp_path / PUBLIC_KEY_FILE).write_bytes(public_key_pem(stranger))
    load_or_create_keypair(tmp_path)
    assert (tmp_path / PUBLIC_KEY_FILE).read_bytes() == public_key_pem(public_key)


def test_a_key_created_by_another_process_meanwhile_wins(tmp_path, monkeypatch):
    winner = Ed25519PrivateKey.generate()
    real_write = signing._write_temporary

    def write_after_a_rival(directory, data, mode):
        if not (tmp_path / PRIVATE_KEY_FILE).exists():
            rival = winner.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            (tmp_path / PRIVATE_KEY_FILE).write_bytes(rival)
        return real_write(directory, data, mode)

    monkeypatch.setattr(signing, "_write_temporary", write_after_a_rival)
    private_key, _ = load_or_create_keypair(tmp_path)
    assert raw(private_key) == raw(winner)
    assert sorted(p.name for p in tmp_path.iterdir()) == [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE]


def test_concurrent_first_use_ends_with_one_key(tmp_path):
    start = threading.Barrier(8)

    def first_use(_):
        start.wait()
        return raw(load_or_create_keypair(tmp_path)[0])

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = set(pool.map(first_use, range(8)))
    assert results == {raw(load_private_key_pem((tmp_path / PRIVATE_KEY_FILE).read_bytes()))}
    assert sorted(p.name for p in tmp_path.iterdir()) == [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE]


def test_private_key_pem_round_trip_for_production_configuration():
    pem = PRIVATE.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    loaded = load_private_key_pem(pem)
    assert verify_document(sign_document(AVISOS, loaded), PUBLIC)


def test_keys_of_another_kind_or_garbage_are_refused():
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    rsa_pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyFormatError, match="Ed25519"):
        load_private_key_pem(rsa_pem)
    with pytest.raises(KeyFormatError, match="Ed25519"):
        load_public_key_pem(
            rsa_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    with pytest.raises(KeyFormatError, match="PEM"):
        load_private_key_pem(b"not a key")
    with pytest.raises(KeyFormatError, match="PEM"):
        load_public_key_pem(b"not a key")
