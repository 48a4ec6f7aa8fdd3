"""Cross-cutting infrastructure: settings, database sessions, clocks and storage paths."""
