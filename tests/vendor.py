"""The people the tests act as: a vendor whose certification waits for evidence, a reviewer."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "evidence" / "fixtures"
GOOD = (FIXTURES / "excel_package.xlsx").read_bytes()
RFC, PASSWORD = "CAC840428RH1", "contraseña-sia-del-desarrollador"
STAFF_EMAIL, STAFF_PASSWORD = "revisora@infonavit.example", "contraseña-de-prueba-larga"
