"""Test sets (DOMAIN §7), one module a concern.

``generate`` is the entry point (:func:`~rules.testsets.generate.generate_test_set`, the file
names and :func:`~rules.testsets.generate.write_test_set`); ``cases`` plans and builds the cases,
``periods`` draws payroll periods, ``avisos`` writes each worker's §5 avisos, ``answers`` computes
the expected answers and ``features`` proves what a set covers from its data.
"""
