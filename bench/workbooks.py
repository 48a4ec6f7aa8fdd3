"""The evidence workbooks the benches upload, read and check, built from a real round.

``realistic_workbook`` is what a vendor near the 5 MiB upload limit sends: on tab 1 a zip of
200 responses of the round, each signed with the round's key (the full download and narrower
consultas of it, as repeated downloads give), so the check verifies 200 Ed25519 signatures; on
tab 2 every correct row of the round plus ~7,000 rows of the vendor's own payroll run (1,250
workers of four subperiods each and 2,000 evaluación totals, under case ids of no test set, so
each worker is one T2-UNKNOWN-CASE finding and the check walks the whole tab); on tab 3 eight
1280×800 screenshots with a photo-like panel (what makes real ones heavy); on tab 4 the CFDI.
``small_workbook`` is the correct workbook of the same round, a few KiB. ``round_documents``
is what the production path checks them against.
"""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from PIL import Image, ImageDraw

from evidence.examination import RoundDocuments
from evidence.limits import MIB, WORKBOOK_MAX_BYTES
from rules.signing import sign_document
from rules.testsets.generate import GeneratedTestSet
from rules.workbook_template import HEADING_EVALUACION

RESPONSES = 200
EXTRA_WORKERS = 1_250  # muestra workers of the payroll run, four subperiods each
SUBPERIODS = 4
EXTRA_TOTALS = 2_000  # evaluación rows of the payroll run
EXTRA_ROWS = EXTRA_WORKERS * SUBPERIODS + EXTRA_TOTALS
# Each worker of the payroll run is one finding: its case is not one of the round's.
PLANTED_FINDINGS = EXTRA_WORKERS + EXTRA_TOTALS
SCREENSHOTS = ("png", "jpeg", "png", "jpeg", "png", "jpeg", "png", "png")
MIN_BYTES = int(4.5 * MIB)


@functools.cache
def _screenshot(seed: int, kind: str) -> bytes:
    """A 1280×800 screen: flat window chrome and text, plus a photo-like (noisy) panel."""
    rng = random.Random(seed)
    image = Image.new("RGB", (1280, 800), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 1279, 40], fill=(0, 90, 160))
    for line in range(30):
        draw.text(
            (20, 60 + 24 * line),
            f"Aviso {rng.randrange(10**10):010d} NSS {rng.randrange(10**11):011d}",
            fill="black",
        )
    # The noisy panel stands for photos and gradients, which is what makes real screenshots heavy.
    panel = Image.effect_noise((640, 450), 48).convert("RGB")
    image.paste(panel, (620, 80))
    out = io.BytesIO()
    image.save(out, "PNG" if kind == "png" else "JPEG", quality=85)
    return out.getvalue()


def _responses(gen: GeneratedTestSet, private_key: Ed25519PrivateKey) -> list[Mapping[str, Any]]:
    """The round's responses, then narrower consultas of the first, signed anew, up to 200."""
    responses: list[Mapping[str, Any]] = list(gen.avisos)
    full = gen.avisos[0]
    avisos = full["avisos"]
    for i in range(len(responses), RESPONSES):
        narrowed = {**full, "folioConsulta": f"{i:010d}", "avisos": avisos[i % len(avisos) :]}
        responses.append(sign_document(narrowed, private_key))
    return responses


def _payroll_rows(gen: GeneratedTestSet, rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Tab 2 with the payroll run's rows added to both sections, values varied as real ones."""
    rng = random.Random(7)
    heading = next(i for i, row in enumerate(rows) if row[:1] == [HEADING_EVALUACION])
    # A real muestra row lends its period and discount to the payroll run's.
    first = next(case["caso"] for case in gen.test_set["casos"] if case["seccion"] == "muestra")
    template = next(row for row in rows[:heading] if row[:1] == [first])
    muestras: list[list[Any]] = []
    for worker in range(EXTRA_WORKERS):
        nss = f"{rng.randrange(10**11):011d}"
        for subperiod in range(SUBPERIODS):
            amount = Decimal(rng.randrange(100_00, 900_000)) / 100
            last = subperiod == SUBPERIODS - 1
            muestras.append(
                [
                    f"X{worker:04d}",
                    nss,
                    *template[2:8],
                    (amount / 15).quantize(Decimal("0.01")),
                    amount,
                    None,
                    amount,
                    Decimal("15.00") if last else None,
                    amount + 15 if last else None,
                ]
            )
    totals: list[list[Any]] = [
        [
            f"Y{i:04d}",
            f"{rng.randrange(10**11):011d}",
            Decimal(rng.randrange(100_00, 900_000)) / 100,
        ]
        for i in range(EXTRA_TOTALS)
    ]
    # Before the blank row that precedes the evaluación heading, and at the end of the tab.
    return [*map(list, rows[: heading - 1]), *muestras, *map(list, rows[heading - 1 :]), *totals]


def realistic_workbook(gen: GeneratedTestSet, private_key: Ed25519PrivateKey) -> bytes:
    """The ≥ 4.5 MiB workbook of the round ``gen``; ``private_key`` signed its responses."""
    # The builders come from the test fixtures; imported here so that measuring processes that
    # only read the file do not load them.
    from tests.evidence.checks.builder import avisos_zip, evidence_spec
    from tests.evidence.fixtures.build import EmbeddedObject, build_xlsx

    spec = evidence_spec(gen)
    zipped = avisos_zip(_responses(gen, private_key))
    spec[0] = replace(spec[0], objects=[EmbeddedObject("respuestas.zip", zipped)])
    spec[1] = replace(spec[1], rows=_payroll_rows(gen, spec[1].rows))
    spec[2] = replace(spec[2], images=[_screenshot(i, k) for i, k in enumerate(SCREENSHOTS)])
    data = build_xlsx(spec)
    if not MIN_BYTES <= len(data) <= WORKBOOK_MAX_BYTES:
        raise RuntimeError(f"the bench workbook is {len(data):,} bytes, not 4.5–5 MiB")
    return data


def small_workbook(gen: GeneratedTestSet) -> bytes:
    """The correct workbook of the round ``gen``, as the checks' tests build it."""
    from tests.evidence.checks.builder import evidence_spec
    from tests.evidence.fixtures.build import build_xlsx

    return build_xlsx(evidence_spec(gen))


def round_documents(gen: GeneratedTestSet, public_key: Ed25519PublicKey) -> RoundDocuments:
    """What production checks an upload of the round ``gen`` against."""
    return RoundDocuments(
        gen.test_set,
        gen.answers,
        gen.avisos,
        public_key.public_bytes(Encoding.Raw, PublicFormat.Raw),
    )


def bench_round() -> tuple[bytes, RoundDocuments]:
    """The realistic workbook of a fixed generated round, and that round's documents."""
    from tests.evidence.checks.builder import PRIVATE_KEY, generated

    gen = generated("bench-evidencias")
    return realistic_workbook(gen, PRIVATE_KEY), round_documents(gen, PRIVATE_KEY.public_key())


def describe(data: bytes) -> str:
    return (
        f"{len(data) / MIB:.2f} MiB: {RESPONSES} signed responses zipped on tab 1, "
        f"the round's rows plus {EXTRA_ROWS:,} payroll rows on tab 2 "
        f"({PLANTED_FINDINGS:,} workers of no test set), {len(SCREENSHOTS)} screenshots, 1 CFDI"
    )


def only_planted(codes: Sequence[str]) -> bool:
    """Whether the finding codes of the realistic workbook's check are exactly the planted ones:
    one T2-UNKNOWN-CASE per payroll worker, nothing on the signed responses, screens or CFDI."""
    return len(codes) == PLANTED_FINDINGS and set(codes) == {"T2-UNKNOWN-CASE"}
