"""JSON API, versioned under /api/v1."""
