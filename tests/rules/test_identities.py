import random
from datetime import date

import pytest

from rules.identities import (
    Persona,
    curp,
    curp_check_digit,
    fake_empresa,
    fake_nrp,
    fake_nss,
    fake_numero_credito,
    fake_persona,
    homoclave,
    is_valid_curp,
    is_valid_nrp,
    is_valid_nss,
    is_valid_numero_credito,
    is_valid_rfc,
    nss_check_digit,
    rfc_check_digit,
    rfc_persona_fisica,
    rfc_persona_moral,
)

# Published RFCs and CURPs whose digits come from SAT and RENAPO, not from this code.
KNOWN_RFCS = ["SAT970701NN3", "EKU9003173C9", "IIA040805DZ4", "GODE561231GR8", "BAFJ701213SBA"]
KNOWN_CURPS = ["HEGG560427MVZRRL04", "MAHJ280603MSPRRV09"]


def _people(count: int = 40) -> list[Persona]:
    rng = random.Random(7)
    return [
        fake_persona(rng, born_from=date(1965, 1, 1), born_to=date(2005, 12, 31))
        for _ in range(count)
    ]


def _other_digit(char: str) -> str:
    return str((int(char) + 1 + random.Random(char).randrange(9)) % 10)


@pytest.mark.parametrize("rfc", KNOWN_RFCS)
def test_rfc_check_digit_matches_published_rfcs(rfc):
    assert rfc_check_digit(rfc[:-1]) == rfc[-1]
    assert is_valid_rfc(rfc)


def test_check_digit_ten_is_written_as_a():
    assert rfc_check_digit("BAFJ701213SB") == "A"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("GOMEZ DIAZ EMMA", "GR"),
        ("BARRIOS FERNANDEZ JUAN", "SB"),
        ("SERVICIO DE ADMINISTRACION TRIBUTARIA", "NN"),
        ("ESCUELA KEMPER URGATE", "3C"),
    ],
)
def test_homoclave_follows_sat_algorithm(name, expected):
    assert homoclave(name) == expected


def test_rfc_of_a_person_is_built_from_name_and_birth_date():
    assert rfc_persona_fisica("GÓMEZ", "DÍAZ", "EMMA", date(1956, 12, 31)) == "GODE561231GR8"


def test_rfc_of_a_company_skips_connecting_words():
    rfc = rfc_persona_moral("SERVICIO DE ADMINISTRACION TRIBUTARIA", date(1997, 7, 1))
    assert rfc == "SAT970701NN3"


def test_compound_given_name_takes_the_letter_of_the_second_name():
    rfc = rfc_persona_fisica("LÓPEZ", "RAMOS", "MARÍA GUADALUPE", date(1980, 5, 4))
    assert rfc.startswith("LORG800504")


def test_inconvenient_words_are_masked_with_x():
    born = date(1990, 1, 2)
    assert rfc_persona_fisica("PULIDO", "TORRES", "OSCAR", born).startswith("PUTX")
    assert curp("PULIDO", "TORRES", "OSCAR", born, "H", "DF", "0").startswith("PXTO")


@pytest.mark.parametrize("value", KNOWN_CURPS)
def test_curp_check_digit_matches_published_curps(value):
    assert curp_check_digit(value[:-1]) == value[-1]
    assert is_valid_curp(value)


def test_curp_is_built_from_name_birth_sex_and_state():
    built = curp("HERNÁNDEZ", "GARCÍA", "GLORIA", date(1956, 4, 27), "M", "VZ", "0")
    assert built == "HEGG560427MVZRRL04"


def test_nss_check_digit_weighs_digits_one_two_alternately():
    # 1 4 3 8 5 (12→3) 7 (16→7) 9 0 = 47 → 3
    assert nss_check_digit("1234567890") == "3"
    assert is_valid_nss("12345678903")


def test_generated_people_have_valid_rfc_and_curp():
    for person in _people():
        assert is_valid_rfc(person.rfc, kind="fisica"), person
        assert is_valid_curp(person.curp), person
        born = person.nacimiento.strftime("%y%m%d")
        assert person.rfc[4:10] == person.curp[4:10] == born


def test_generated_companies_have_valid_rfc_of_a_company():
    rng = random.Random(3)
    for _ in range(40):
        company = fake_empresa(rng, founded_from=date(1970, 1, 1), founded_to=date(2015, 1, 1))
        assert is_valid_rfc(company.rfc, kind="moral"), company
        assert not is_valid_rfc(company.rfc, kind="fisica")
        assert company.rfc[3:9] == company.constitucion.strftime("%y%m%d")


def test_generated_nss_nrp_and_credit_numbers_are_valid():
    rng = random.Random(5)
    for person in _people():
        assert is_valid_nss(fake_nss(rng, nacimiento=person.nacimiento))
        assert is_valid_nrp(fake_nrp(rng))
        credit = fake_numero_credito(rng, otorgado=date(2021, 6, 1))
        assert is_valid_numero_credito(credit)
        assert credit.startswith("21")


def test_rfc_validator_rejects_any_changed_digit():
    rfcs = [person.rfc for person in _people()] + KNOWN_RFCS
    for rfc in rfcs:
        for i, char in enumerate(rfc):
            if char.isdigit():
                changed = rfc[:i] + _other_digit(char) + rfc[i + 1 :]
                assert not is_valid_rfc(changed), (rfc, changed)


def test_nss_validator_rejects_any_changed_digit():
    rng = random.Random(11)
    for person in _people():
        nss = fake_nss(rng, nacimiento=person.nacimiento)
        for i, char in enumerate(nss):
            assert not is_valid_nss(nss[:i] + _other_digit(char) + nss[i + 1 :]), nss


def test_curp_validator_rejects_a_changed_check_digit_or_letter():
    # RENAPO's digit is mod 10: it misses changes whose weighted difference is a multiple of 10
    # (any change of the first birth-day digit, weight 10), so it is checked where it can see.
    for value in [person.curp for person in _people()] + KNOWN_CURPS:
        assert not is_valid_curp(value[:-1] + _other_digit(value[-1])), value
        letter = "A" if value[0] == "Z" else chr(ord(value[0]) + 1)  # weight 18, difference 1
        assert not is_valid_curp(letter + value[1:]), value


@pytest.mark.parametrize(
    "value",
    ["", "sat970701nn3", "SAT971301NN3", "SAT970230NN3", "SAT970701NN", "SAT97070A1NN3", "XAXX"],
)
def test_rfc_validator_rejects_malformed_values(value):
    assert not is_valid_rfc(value)


@pytest.mark.parametrize(
    "value",
    ["HEGG560427MVZRRL0", "HEGG560427MZZRRL04", "HEGG561327MVZRRL04", "HEGG560427MVZAAA04"],
)
def test_curp_validator_rejects_malformed_values(value):
    assert not is_valid_curp(value)


def test_shape_validators_of_nrp_nss_and_credit_number():
    assert is_valid_nrp("Y5412345107")
    assert not is_valid_nrp("Y541234510")
    assert not is_valid_nrp("y5412345107")
    assert not is_valid_nss("1234567890")
    assert not is_valid_nss("1234567890A")
    assert is_valid_numero_credito("1234567890")
    assert not is_valid_numero_credito("123456789")
    assert not is_valid_numero_credito("12345678901")


def _reference_weighted(alphabet: str, body: str, top: int) -> int:
    # The published algorithms, written the plain way, against the tables of the module.
    return sum(alphabet.index(c) * (top - i) for i, c in enumerate(body))


@pytest.mark.parametrize("seed", range(5))
def test_check_digits_agree_with_the_plain_algorithms(seed):
    rng = random.Random(seed)
    rfc_alphabet = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
    curp_alphabet = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
    for _ in range(200):
        body = "".join(rng.choice(rfc_alphabet) for _ in range(12))
        digit = (11 - _reference_weighted(rfc_alphabet, body, 13) % 11) % 11
        assert rfc_check_digit(body) == ("A" if digit == 10 else str(digit))
        body = "".join(rng.choice(curp_alphabet) for _ in range(17))
        assert curp_check_digit(body) == str(
            (10 - _reference_weighted(curp_alphabet, body, 18) % 10) % 10
        )
        body = "".join(rng.choice("0123456789") for _ in range(10))
        total = sum(int(c) * (2 if i % 2 else 1) // 10 + int(c) * (2 if i % 2 else 1) % 10
                    for i, c in enumerate(body))  # fmt: skip
        assert nss_check_digit(body) == str((10 - total % 10) % 10)


def test_digits_of_other_scripts_are_refused_not_crashed_on():
    arabic = "".join(chr(0x0660 + int(c)) for c in "12345678903")
    assert not is_valid_nss(arabic) and not is_valid_nrp("Y" + arabic[:10])
    assert not is_valid_numero_credito(arabic[:10])
    person = _people(1)[0]
    for valid, check in ((person.rfc, is_valid_rfc), (person.curp, is_valid_curp)):
        assert check(valid)
        swapped = "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in valid)
        assert not check(swapped)
    with pytest.raises(ValueError):
        nss_check_digit(arabic[:10])
