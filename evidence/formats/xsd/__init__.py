"""SAT's XSD files for CFDI 4.0 with Nómina 1.2, kept here so validation never needs the network.

A package (rather than a bare folder) so that the project's ``*.xsd`` package data ships them;
README.md names their source.
"""
