"""Web: the reviewer dashboard, the vendor portal and the JSON API (FastAPI + Jinja2)."""
