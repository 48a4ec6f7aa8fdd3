"""e.firma (SAT's advanced electronic signature, DOMAIN §11): read a ``.cer`` and its ``.key``,
validate the pair for an account, sign a cadena original and verify a sello.

Pure: only the standard library and ``cryptography``; the caller supplies the moment, the trust
store and the expected RFC.
"""
