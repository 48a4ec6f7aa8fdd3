"""Named queues: mail and evidence reading get their own, so a burst of one never delays
the other."""

from __future__ import annotations

from kombu import Exchange, Queue

DEFAULT = "default"
MAIL = "mail"
EVIDENCE = "evidence"
ALL = (DEFAULT, MAIL, EVIDENCE)

TASK_QUEUES = tuple(Queue(name, Exchange(name, type="direct"), routing_key=name) for name in ALL)
