"""The outside of an encrypted PKCS#8 key (RFC 5958 EncryptedPrivateKeyInfo): its DER, and the
cost of deriving its decryption key from the password, read *before* that cost is paid.

The iteration count is chosen by whoever made the file: a ``.key`` uploaded with two billion
PBKDF2 rounds would hold a worker for many minutes. SAT's keys use 2,048.

Only what this needs of DER is read here: definite lengths and low tag numbers, which is all that
these structures use.
"""

from __future__ import annotations

import base64
import binascii
import re

_SEQUENCE = 0x30
_INTEGER = 0x02
_OCTET_STRING = 0x04
_OID = 0x06
# Contents octets of the OIDs (RFC 8018): PBES2 1.2.840.113549.1.5.13, PBKDF2 …1.5.12.
_PBES2 = bytes.fromhex("2a864886f70d01050d")
_PBKDF2 = bytes.fromhex("2a864886f70d01050c")
_PEM = re.compile(
    rb"-----BEGIN ENCRYPTED PRIVATE KEY-----(?P<body>[A-Za-z0-9+/=\s]*)"
    rb"-----END ENCRYPTED PRIVATE KEY-----"
)
_MAX_LENGTH_OCTETS = 4


class NotEncryptedPkcs8(ValueError):
    """The bytes are not an encrypted PKCS#8 key (DER or PEM) this module can read."""


def encrypted_pkcs8_der(data: bytes) -> bytes:
    """The DER of an encrypted PKCS#8 key given as DER or as PEM (ENCRYPTED PRIVATE KEY)."""
    if not data.lstrip().startswith(b"-----BEGIN"):
        return data
    match = _PEM.search(data)
    if match is None:  # an unencrypted or traditional ("RSA PRIVATE KEY") PEM is no .key
        raise NotEncryptedPkcs8("not an ENCRYPTED PRIVATE KEY PEM")
    try:
        return base64.b64decode(b"".join(match["body"].split()), validate=True)
    except binascii.Error:
        raise NotEncryptedPkcs8("bad base64 in the PEM") from None


def kdf_iterations(der: bytes) -> int:
    """The iteration count of the key derivation: PBES2 with PBKDF2, or the PBES1 and PKCS#12
    schemes, whose parameters are (salt, iterations). Any other derivation (scrypt…) is refused:
    its cost cannot be bounded by a count, and SAT does not use it."""
    tag, body, end = _read(der, 0)
    if tag != _SEQUENCE or end != len(der):
        raise NotEncryptedPkcs8("not a DER SEQUENCE")
    algorithm, data = _items(body, 2)
    if data[0] != _OCTET_STRING:
        raise NotEncryptedPkcs8("no encrypted data")
    scheme, parameters = _algorithm(algorithm)
    if scheme == _PBES2:
        derivation, _encryption = _items(_expect(parameters, _SEQUENCE), 2)
        kdf, kdf_parameters = _algorithm(derivation)
        if kdf != _PBKDF2:
            raise NotEncryptedPkcs8("a key derivation other than PBKDF2")
        salt, count = _items(_expect(kdf_parameters, _SEQUENCE), 2, at_least=True)
    else:
        salt, count = _items(_expect(parameters, _SEQUENCE), 2)
    if salt[0] != _OCTET_STRING:
        raise NotEncryptedPkcs8("the salt is not an OCTET STRING")
    return _positive_integer(_expect(count, _INTEGER))


_Item = tuple[int, bytes]


def _read(data: bytes, offset: int) -> tuple[int, bytes, int]:
    """One TLV at ``offset``: its tag, its contents and where the next one starts."""
    if offset + 2 > len(data):
        raise NotEncryptedPkcs8("truncated")
    tag, length = data[offset], data[offset + 1]
    offset += 2
    if tag & 0x1F == 0x1F:
        raise NotEncryptedPkcs8("high tag number")
    if length & 0x80:
        count = length & 0x7F
        if not 0 < count <= _MAX_LENGTH_OCTETS or offset + count > len(data):
            raise NotEncryptedPkcs8("bad length")
        length = int.from_bytes(data[offset : offset + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise NotEncryptedPkcs8("truncated")
    return tag, data[offset:end], end


def _items(contents: bytes, count: int, *, at_least: bool = False) -> list[_Item]:
    """The first ``count`` elements of a SEQUENCE's contents (exactly ``count`` unless
    ``at_least``: PBKDF2's parameters may go on with a key length and a PRF)."""
    found: list[_Item] = []
    offset = 0
    while offset < len(contents):
        tag, value, offset = _read(contents, offset)
        found.append((tag, value))
    if len(found) < count or (len(found) > count and not at_least):
        raise NotEncryptedPkcs8("unexpected number of elements")
    return found[:count]


def _expect(item: _Item, tag: int) -> bytes:
    if item[0] != tag:
        raise NotEncryptedPkcs8("unexpected element")
    return item[1]


def _algorithm(item: _Item) -> tuple[bytes, _Item]:
    """An AlgorithmIdentifier with parameters: its OID's contents and the parameters."""
    oid, parameters = _items(_expect(item, _SEQUENCE), 2)
    return _expect(oid, _OID), parameters


def _positive_integer(contents: bytes) -> int:
    # Five octets hold any positive 32-bit count (a leading zero keeps the sign bit clear).
    if not 0 < len(contents) <= _MAX_LENGTH_OCTETS + 1:
        raise NotEncryptedPkcs8("iteration count out of range")
    value = int.from_bytes(contents, "big", signed=True)
    if value < 1:
        raise NotEncryptedPkcs8("iteration count out of range")
    return value
