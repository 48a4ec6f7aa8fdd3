"""Relaciones de confianza: a patrón's trust in a certified vendor."""
