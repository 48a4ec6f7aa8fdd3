"""Reading a ``.cer``: DER or PEM, and the holder's identity from SAT's subject fields."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from efirma.certificate import MAX_CER_BYTES, certificate_number, load_certificate
from efirma.errors import EFirmaError, EFirmaReason
from tests.efirma.factory import (
    BRANCH,
    CERTIFICATE_NUMBER,
    COMPANY_NAME,
    COMPANY_RFC,
    PERSON_CURP,
    PERSON_NAME,
    PERSON_RFC,
    REPRESENTATIVE_CURP,
    REPRESENTATIVE_RFC,
    VALID_FROM,
    VALID_UNTIL,
    Lab,
    company_subject,
    pem,
    person_subject,
    serial_for,
)


@pytest.mark.parametrize("encoding", ["der", "pem"])
def test_a_company_certificate_names_the_company_and_its_representative(lab: Lab, encoding):
    files = lab.efirma(serial=serial_for(CERTIFICATE_NUMBER))
    data = files.cer if encoding == "der" else pem(files.certificate)
    read = load_certificate(data)
    assert read.rfc == COMPANY_RFC
    assert read.representative_rfc == REPRESENTATIVE_RFC
    assert read.curp == REPRESENTATIVE_CURP
    assert read.name == COMPANY_NAME
    assert read.certificate_number == CERTIFICATE_NUMBER
    assert (read.not_before, read.not_after) == (VALID_FROM, VALID_UNTIL)
    assert read.is_company and not read.is_csd and read.branch is None
    assert read.certificate == files.certificate


def test_a_person_certificate_holds_the_rfc_and_the_curp_alone(lab: Lab):
    read = load_certificate(lab.efirma(person_subject(), key=lab.person_key).cer)
    assert (read.rfc, read.representative_rfc, read.curp) == (PERSON_RFC, None, PERSON_CURP)
    assert read.name == PERSON_NAME
    assert not read.is_company


def test_a_pem_with_blank_lines_around_it_is_read(lab: Lab):
    files = lab.efirma()
    assert load_certificate(b"\r\n\n" + pem(files.certificate) + b"\n\n").rfc == COMPANY_RFC


def test_spacing_and_case_of_the_subject_fields_do_not_matter(lab: Lab):
    subject = company_subject(
        "aaa010101aaa", representative_rfc="hegt7610034s2  ", curp="hegt761003mdfrnn09"
    )
    read = load_certificate(lab.efirma(subject).cer)
    assert (read.rfc, read.representative_rfc, read.curp) == (
        COMPANY_RFC,
        REPRESENTATIVE_RFC,
        REPRESENTATIVE_CURP,
    )


def test_a_csd_is_told_by_the_ou_naming_its_branch(lab: Lab):
    read = load_certificate(lab.efirma(company_subject(branch=BRANCH)).cer)
    assert read.is_csd and read.branch == BRANCH
    assert read.rfc == COMPANY_RFC


def test_the_name_falls_back_to_the_organization(lab: Lab):
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "EMPRESA SIN CN SA DE CV"),
            x509.NameAttribute(NameOID.X500_UNIQUE_IDENTIFIER, "ESC010101AB1"),
        ]
    )
    read = load_certificate(lab.efirma(subject).cer)
    assert (read.name, read.curp, read.representative_rfc) == (
        "EMPRESA SIN CN SA DE CV",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("serial", "number"),
    [
        (serial_for("30001000000500003416"), "30001000000500003416"),
        (serial_for("00001000000413053762"), "00001000000413053762"),
        (0x1F2E3D, "1F2E3D"),  # not SAT's numbering: its hex, to name it anyway
        (serial_for("3000100000050000341"), "33303030313030303030303530303030333431"),
    ],
)
def test_certificate_number_is_the_serial_hex_read_as_ascii_digits(serial, number):
    assert certificate_number(serial) == number


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"esto no es un certificado",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        b"\x30\x82\x01\x00" + b"\x00" * 10,
    ],
    ids=["empty", "text", "bad-pem", "truncated-der"],
)
def test_what_is_not_a_certificate_is_unreadable(data):
    with pytest.raises(EFirmaError) as refused:
        load_certificate(data)
    assert refused.value.reason is EFirmaReason.CERTIFICATE_UNREADABLE


def test_a_truncated_certificate_is_unreadable(lab: Lab):
    with pytest.raises(EFirmaError) as refused:
        load_certificate(lab.efirma().cer[:-20])
    assert refused.value.reason is EFirmaReason.CERTIFICATE_UNREADABLE


def test_a_certificate_without_an_rfc_is_not_an_efirma(lab: Lab):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.example.mx")])
    with pytest.raises(EFirmaError) as refused:
        load_certificate(lab.efirma(subject).cer)
    assert refused.value.reason is EFirmaReason.CERTIFICATE_UNREADABLE


def test_a_certificate_of_another_key_type_is_not_an_efirma(lab: Lab):
    elliptic = ec.generate_private_key(ec.SECP256R1()).public_key()
    certificate = lab.sat.issue(company_subject(), elliptic)  # type: ignore[arg-type]
    with pytest.raises(EFirmaError) as refused:
        load_certificate(pem(certificate))
    assert refused.value.reason is EFirmaReason.CERTIFICATE_UNREADABLE


def test_an_oversized_file_is_not_parsed(lab: Lab):
    with pytest.raises(EFirmaError) as refused:
        load_certificate(lab.efirma().cer + b"\x00" * MAX_CER_BYTES)
    assert refused.value.reason is EFirmaReason.CERTIFICATE_UNREADABLE
