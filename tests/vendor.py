"""A vendor whose certification waits for evidence, as the review tests need it."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "evidence" / "fixtures"
GOOD = (FIXTURES / "excel_package.xlsx").read_bytes()
RFC, PASSWORD = "CAC840428RH1", "contraseña-sia-del-desarrollador"
