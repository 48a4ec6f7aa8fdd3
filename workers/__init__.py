"""Celery app, its queues and schedule, and the tasks: thin shells around domain functions."""
