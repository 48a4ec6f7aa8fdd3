"""HTML pages: staff sign-in and the reviewer dashboard."""
