"""One reader per tab of the evidence workbook (DOMAIN §8)."""
