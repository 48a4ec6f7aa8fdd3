"""Fictitious but valid-looking Mexican identities, and validators for them.

The test sets name workers and employers that do not exist, yet a vendor's payroll system must
accept them: RFC and CURP carry their official check digits (SAT's and RENAPO's algorithms), the
RFC homoclave follows SAT's algorithm over the name, and the NSS carries IMSS's mod-10 digit.
NRP and número de crédito have no public check-digit algorithm, so only their shape is checked.

Generators take a ``random.Random`` so that a test set built from a seed is reproducible.
"""

from __future__ import annotations

import operator
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

# --- check digits ---------------------------------------------------------------------------

_RFC_DIGIT_ALPHABET = "0123456789ABCDEFGHIJKLMN&OPQRSTUVWXYZ Ñ"
_CURP_DIGIT_ALPHABET = "0123456789ABCDEFGHIJKLMNÑOPQRSTUVWXYZ"
_HOMOCLAVE_ALPHABET = "123456789ABCDEFGHIJKLMNPQRSTUVWXYZ"


def _homoclave_code(char: str) -> int:
    """SAT's table I: two-digit code of each character of the name."""
    if char.isdigit():
        return int(char)
    if char == "&":
        return 10
    if char == "Ñ":
        return 40
    if "A" <= char <= "I":
        return 11 + ord(char) - ord("A")
    if "J" <= char <= "R":
        return 21 + ord(char) - ord("J")
    if "S" <= char <= "Z":
        return 32 + ord(char) - ord("S")
    return 0  # space and anything SAT's table does not list


def homoclave(name: str) -> str:
    """The two-character RFC homoclave of *name* (``PATERNO MATERNO NOMBRES`` or razón social)."""
    digits = "0" + "".join(f"{_homoclave_code(c):02d}" for c in plain_upper(name))
    total = sum(int(digits[i : i + 2]) * int(digits[i + 1]) for i in range(len(digits) - 1))
    quotient, remainder = divmod(total % 1000, 34)
    return _HOMOCLAVE_ALPHABET[quotient] + _HOMOCLAVE_ALPHABET[remainder]


# Character values and position weights as tables: the import checks every aviso's identities,
# and looking a character up in a dict costs a fraction of ``str.index`` over the alphabet.
_RFC_VALUES = {char: value for value, char in enumerate(_RFC_DIGIT_ALPHABET)}
_CURP_VALUES = {char: value for value, char in enumerate(_CURP_DIGIT_ALPHABET)}
_RFC_WEIGHTS = tuple(range(13, 1, -1))
_CURP_WEIGHTS = tuple(range(18, 1, -1))
_DIGITS = {str(d): d for d in range(10)}
_DOUBLED_DIGITS = {str(d): 2 * d // 10 + 2 * d % 10 for d in range(10)}


def _values(table: dict[str, int], text: str) -> list[int]:
    try:
        return [table[char] for char in text]
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]!r} is not a character of the check-digit table") from None


def rfc_check_digit(rfc_body: str) -> str:
    """SAT's mod-11 check digit of the first 11 (moral) or 12 (física) characters of an RFC."""
    # A persona moral's RFC is one letter shorter; SAT pads it on the left with a space.
    values = _values(_RFC_VALUES, rfc_body.rjust(12))
    total = sum(map(operator.mul, values, _RFC_WEIGHTS))
    digit = (11 - total % 11) % 11
    return "A" if digit == 10 else str(digit)


def curp_check_digit(curp_body: str) -> str:
    """RENAPO's check digit of the first 17 characters of a CURP."""
    total = sum(map(operator.mul, _values(_CURP_VALUES, curp_body), _CURP_WEIGHTS))
    return str((10 - total % 10) % 10)


def nss_check_digit(nss_body: str) -> str:
    """IMSS's Luhn-style digit of the first 10 digits of an NSS (weights 1, 2, 1, 2, …; the
    digits of each product added)."""
    total = sum(_values(_DIGITS, nss_body[0::2])) + sum(_values(_DOUBLED_DIGITS, nss_body[1::2]))
    return str((10 - total % 10) % 10)


# --- validators -----------------------------------------------------------------------------

# ``re.ASCII``: \d would otherwise accept any script's digits, which no registry issues.
_RFC_RE = re.compile(r"^(?P<letters>[A-ZÑ&]{3,4})(?P<date>\d{6})[A-Z0-9]{2}[0-9A]$", re.ASCII)
_CURP_RE = re.compile(
    r"^[A-Z][AEIOUX][A-Z]{2}(?P<date>\d{6})[HMX](?P<state>[A-Z]{2})"
    r"[B-DF-HJ-NP-TV-Z]{3}(?P<diff>[A-Z0-9])\d$",
    re.ASCII,
)
_NSS_RE = re.compile(r"^\d{11}$", re.ASCII)
_NRP_RE = re.compile(r"^[A-Z0-9]\d{10}$", re.ASCII)
_CREDITO_RE = re.compile(r"^\d{10}$", re.ASCII)

RfcKind = Literal["moral", "fisica"]


def _is_yymmdd(text: str) -> bool:
    # The century is not part of the code; 2000 is a leap year, so Feb 29 is always accepted.
    try:
        date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
    except ValueError:
        return False
    return True


def is_valid_rfc(value: str, *, kind: RfcKind | None = None) -> bool:
    """Shape, date and check digit of an RFC (12 characters: moral; 13: física)."""
    match = _RFC_RE.match(value)
    if match is None or not _is_yymmdd(match["date"]):
        return False
    actual: RfcKind = "moral" if len(match["letters"]) == 3 else "fisica"
    if kind is not None and kind != actual:
        return False
    return rfc_check_digit(value[:-1]) == value[-1]


def is_valid_curp(value: str) -> bool:
    """Shape, date, state and check digit of a CURP."""
    match = _CURP_RE.match(value)
    if match is None or match["state"] not in _STATES or not _is_yymmdd(match["date"]):
        return False
    return curp_check_digit(value[:-1]) == value[-1]


def is_valid_nss(value: str) -> bool:
    """Eleven digits whose last is IMSS's check digit."""
    return _NSS_RE.match(value) is not None and nss_check_digit(value[:-1]) == value[-1]


def is_valid_nrp(value: str) -> bool:
    """Shape of a registro patronal: a letter or digit and ten digits (e.g. ``Y5412345107``)."""
    return _NRP_RE.match(value) is not None


def is_valid_numero_credito(value: str) -> bool:
    """Shape of an INFONAVIT número de crédito: ten digits."""
    return _CREDITO_RE.match(value) is not None


# --- names ----------------------------------------------------------------------------------


def plain_upper(text: str) -> str:
    """Upper case without accents, keeping Ñ (as RFC and CURP are written)."""
    out = []
    for char in text.upper():
        if char == "Ñ":
            out.append(char)
        else:
            out.append(unicodedata.normalize("NFD", char)[0])
    return "".join(out)


# fmt: off
_MALE_NAMES = (
    "JOSÉ LUIS", "JUAN", "MIGUEL ÁNGEL", "FRANCISCO", "JESÚS", "ALEJANDRO", "ROBERTO", "CARLOS",
    "EDUARDO", "FERNANDO", "JORGE", "RICARDO", "ANTONIO", "RAÚL", "SERGIO", "HÉCTOR", "ARTURO",
    "JOSÉ MANUEL", "DANIEL", "ÓSCAR", "GERARDO", "RAFAEL", "MARIO", "ENRIQUE", "VÍCTOR", "IVÁN",
)
_FEMALE_NAMES = (
    "MARÍA GUADALUPE", "GUADALUPE", "MARÍA FERNANDA", "JUANA", "VERÓNICA", "PATRICIA", "LETICIA",
    "ROSA MARÍA", "ALEJANDRA", "GABRIELA", "ADRIANA", "CLAUDIA", "SANDRA", "LAURA", "ELIZABETH",
    "MÓNICA", "ANA KAREN", "DANIELA", "XIMENA", "SOFÍA", "ARACELI", "BEATRIZ", "NORMA", "SILVIA",
)
_SURNAMES = (
    "HERNÁNDEZ", "GARCÍA", "MARTÍNEZ", "LÓPEZ", "GONZÁLEZ", "RODRÍGUEZ", "PÉREZ", "SÁNCHEZ",
    "RAMÍREZ", "CRUZ", "FLORES", "GÓMEZ", "MORALES", "VÁZQUEZ", "REYES", "JIMÉNEZ", "TORRES",
    "DÍAZ", "GUTIÉRREZ", "RUIZ", "MENDOZA", "AGUILAR", "ORTIZ", "MORENO", "CASTILLO", "ROMERO",
    "ÁLVAREZ", "MÉNDEZ", "CHÁVEZ", "RIVERA", "JUÁREZ", "RAMOS", "DOMÍNGUEZ", "HERRERA", "MEDINA",
    "CASTRO", "VARGAS", "GUZMÁN", "VELÁZQUEZ", "MUÑOZ", "ROJAS", "CONTRERAS", "SALAZAR", "LUNA",
    "ORTEGA", "SANTIAGO", "GUERRERO", "ESTRADA", "BAUTISTA", "CORTÉS", "SOTO", "ALVARADO",
    "ESPINOZA", "LARA", "ÁVILA", "RÍOS", "CERVANTES", "SILVA", "DELGADO", "VEGA", "MÁRQUEZ",
    "SANDOVAL", "CARRILLO", "LEÓN", "MEJÍA", "SOLÍS", "IBARRA", "NÚÑEZ", "CAMPOS", "ROSAS",
    "PEÑA", "NAVARRO", "ACOSTA", "ZÚÑIGA", "IBÁÑEZ", "OROZCO", "PACHECO", "FIGUEROA", "MOLINA",
)
_COMPANY_HEADS = (
    "SERVICIOS", "COMERCIALIZADORA", "DISTRIBUIDORA", "CONSTRUCTORA", "MANUFACTURAS",
    "TRANSPORTES", "ALIMENTOS", "INDUSTRIAS", "TEXTILES", "GRUPO", "LOGÍSTICA", "FERRETERÍA",
    "PROCESADORA", "IMPULSORA", "MAQUILADORA", "EDIFICACIONES",
)
_COMPANY_TAILS = (
    "DEL BAJÍO", "DEL NORTE", "DEL PACÍFICO", "DEL GOLFO", "INTEGRALES", "INDUSTRIALES",
    "DEL SURESTE", "ALTIPLANO", "OCCIDENTE", "PENINSULARES", "MONTERREY", "LAGUNA",
)
_COMPANY_TYPES = ("S.A. DE C.V.", "S. DE R.L. DE C.V.", "S.A.P.I. DE C.V.")
# Words SAT skips when it takes the letters of a company's RFC from its name.
_COMPANY_STOP_WORDS = frozenset(
    {"DE", "DEL", "LA", "LAS", "LOS", "EL", "Y", "EN", "CON", "PARA", "POR", "A", "COMPAÑIA",
     "SOCIEDAD", "CIA", "SC", "SA", "CV", "RL"}
)
# RENAPO's and SAT's "palabras inconvenientes": such first four letters get an X.
_INCONVENIENT = frozenset(
    (
        "BACA", "BAKA", "BUEI", "BUEY", "CACA", "CACO", "CAGA", "CAGO", "CAKA", "CAKO", "COGE",
        "COGI", "COJA", "COJE", "COJI", "COJO", "COLA", "CULO", "FALO", "FETO", "GETA", "GUEI",
        "GUEY", "JETA", "JOTO", "KACA", "KACO", "KAGA", "KAGO", "KAKA", "KAKO", "KOGE", "KOGI",
        "KOJA", "KOJE", "KOJI", "KOJO", "KOLA", "KULO", "LILO", "LOCA", "LOCO", "LOKA", "LOKO",
        "MAME", "MAMO", "MEAR", "MEAS", "MEON", "MIAR", "MION", "MOCO", "MOKO", "MULA", "MULO",
        "NACA", "NACO", "PEDA", "PEDO", "PENE", "PIPI", "PITO", "POPO", "PUTA", "PUTO", "QULO",
        "RATA", "ROBA", "ROBE", "ROBO", "RUIN", "SENO", "TETA", "VACA", "VAGA", "VAGO", "VAKA",
        "VUEI", "VUEY", "WUEI", "WUEY",
    )
)
_STATES = (
    "AS", "BC", "BS", "CC", "CL", "CM", "CS", "CH", "DF", "DG", "GT", "GR", "HG", "JC", "MC",
    "MN", "MS", "NT", "NL", "OC", "PL", "QT", "QR", "SP", "SL", "SR", "TC", "TS", "TL", "VZ",
    "YN", "ZS", "NE",
)
# fmt: on
_VOWELS = "AEIOU"


def _first_internal(word: str, *, vowel: bool) -> str:
    for char in word[1:]:
        if (char in _VOWELS) == vowel and char.isalpha():
            return char
    return "X"


def _given_name_for_initials(nombres: str) -> str:
    # A compound name starting with MARÍA or JOSÉ takes its letters from the second name.
    parts = nombres.split()
    if len(parts) > 1 and parts[0] in {"MARIA", "MA.", "MA", "JOSE", "J.", "J"}:
        return parts[1]
    return parts[0]


@dataclass(frozen=True, slots=True)
class Persona:
    """A fictitious worker: name as written by IMSS (upper case), birth data and ids."""

    nombres: str
    paterno: str
    materno: str
    sexo: Literal["H", "M"]
    nacimiento: date
    entidad: str
    rfc: str
    curp: str

    @property
    def nombre_completo(self) -> str:
        return f"{self.nombres} {self.paterno} {self.materno}"


@dataclass(frozen=True, slots=True)
class Empresa:
    """A fictitious employer (persona moral)."""

    razon_social: str
    constitucion: date
    rfc: str


def _persona_letters(paterno: str, materno: str, nombres: str) -> str:
    p, m = plain_upper(paterno), plain_upper(materno)
    given = _given_name_for_initials(plain_upper(nombres))
    return p[0] + _first_internal(p, vowel=True) + m[0] + given[0]


def rfc_persona_fisica(paterno: str, materno: str, nombres: str, nacimiento: date) -> str:
    """SAT's RFC of a person: four letters, birth date, homoclave, check digit."""
    letters = _persona_letters(paterno, materno, nombres)
    if letters in _INCONVENIENT:
        letters = letters[:3] + "X"
    full_name = f"{paterno} {materno} {nombres}"
    body = letters + nacimiento.strftime("%y%m%d") + homoclave(full_name)
    return body + rfc_check_digit(body)


def curp(
    paterno: str,
    materno: str,
    nombres: str,
    nacimiento: date,
    sexo: str,
    entidad: str,
    diferenciador: str,
) -> str:
    """RENAPO's CURP of a person, with the given homonym differentiator (18th-but-one char)."""
    letters = _persona_letters(paterno, materno, nombres).replace("Ñ", "X")
    if letters in _INCONVENIENT:
        letters = letters[0] + "X" + letters[2:]
    p, m = plain_upper(paterno), plain_upper(materno)
    given = _given_name_for_initials(plain_upper(nombres))
    consonants = "".join(_first_internal(w, vowel=False) for w in (p, m, given))
    body = (
        letters
        + nacimiento.strftime("%y%m%d")
        + sexo
        + entidad
        + consonants.replace("Ñ", "X")
        + diferenciador
    )
    return body + curp_check_digit(body)


def _company_letters(name: str) -> str:
    words = [w for w in plain_upper(name).replace(",", " ").split() if w not in _COMPANY_STOP_WORDS]
    if len(words) >= 3:
        return "".join(w[0] for w in words[:3])
    if len(words) == 2:
        return words[0][0] + words[1][:2]
    return words[0][:3].ljust(3, "X")


def rfc_persona_moral(nombre: str, constitucion: date) -> str:
    """SAT's RFC of a company from its name (without the company type) and constitution date."""
    body = _company_letters(nombre) + constitucion.strftime("%y%m%d") + homoclave(nombre)
    return body + rfc_check_digit(body)


# --- generators -----------------------------------------------------------------------------


def _random_date(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def fake_persona(rng: random.Random, *, born_from: date, born_to: date) -> Persona:
    sexo: Literal["H", "M"] = rng.choice(("H", "M"))
    nombres = plain_upper(rng.choice(_MALE_NAMES if sexo == "H" else _FEMALE_NAMES))
    paterno, materno = (plain_upper(rng.choice(_SURNAMES)) for _ in range(2))
    nacimiento = _random_date(rng, born_from, born_to)
    entidad = rng.choice(_STATES[:-1])
    # RENAPO uses a digit for people born before 2000 and a letter from 2000 on.
    diferenciador = rng.choice("0123456789" if nacimiento.year < 2000 else "ABCDEFGHIJ")
    return Persona(
        nombres=nombres,
        paterno=paterno,
        materno=materno,
        sexo=sexo,
        nacimiento=nacimiento,
        entidad=entidad,
        rfc=rfc_persona_fisica(paterno, materno, nombres, nacimiento),
        curp=curp(paterno, materno, nombres, nacimiento, sexo, entidad, diferenciador),
    )


def fake_empresa(rng: random.Random, *, founded_from: date, founded_to: date) -> Empresa:
    tail = rng.choice((*_COMPANY_TAILS, rng.choice(_SURNAMES)))
    nombre = plain_upper(f"{rng.choice(_COMPANY_HEADS)} {tail}")
    constitucion = _random_date(rng, founded_from, founded_to)
    return Empresa(
        razon_social=f"{nombre}, {rng.choice(_COMPANY_TYPES)}",
        constitucion=constitucion,
        rfc=rfc_persona_moral(nombre, constitucion),
    )


def fake_nss(rng: random.Random, *, nacimiento: date) -> str:
    """Subdelegación, year of affiliation, year of birth, sequence, check digit."""
    afiliacion = rng.randint(nacimiento.year + 16, max(nacimiento.year + 16, 2023))
    body = (
        f"{rng.randint(1, 99):02d}{afiliacion % 100:02d}{nacimiento.year % 100:02d}"
        f"{rng.randint(0, 9999):04d}"
    )
    return body + nss_check_digit(body)


def fake_nrp(rng: random.Random) -> str:
    return rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") + f"{rng.randint(0, 10**10 - 1):010d}"


def fake_numero_credito(rng: random.Random, *, otorgado: date) -> str:
    """Ten digits; the first two are the year the credit was granted, as INFONAVIT's are."""
    return f"{otorgado.year % 100:02d}{rng.randint(0, 10**8 - 1):08d}"
