"""A certification as the real flow makes it: requested, then its test set dispatched, at a
chosen moment (the clock travels there)."""

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.clock import travel_to
from workflow.certifications import request_certification
from workflow.dispatch import dispatch_test_set


def request_and_dispatch(
    engine: Engine, rfc: str, at: datetime, razon_social: str | None = None
) -> int:
    """The id of a certification `En espera de documentos` whose evidence term began ``at``."""
    with travel_to(at), Session(engine, expire_on_commit=False) as session:
        cert = request_certification(
            session,
            rfc=rfc,
            email=f"{rfc.lower()}@nandu.example",
            razon_social=razon_social,
            actor="test",
        )
        session.commit()
        assert cert.id is not None
        dispatch_test_set(session, cert.id)
        session.commit()
        return cert.id
