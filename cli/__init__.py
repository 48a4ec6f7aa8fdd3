"""The ``sia`` command line: one module per command group."""
