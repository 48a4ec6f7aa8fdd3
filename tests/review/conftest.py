from datetime import timedelta

import pytest
from sqlmodel import Session

from core.security import hash_password
from schema import Organization, OrganizationKind
from schema.base import utcnow
from tests.review.vendor import PASSWORD, RFC
from workflow.state_machine import Event, open_certification, transition
from workflow.testsets import create_test_set


@pytest.fixture
def folio(settings, engine) -> str:
    """The folio of a certification in `En espera de documentos` with its round-1 test set."""
    with Session(engine, expire_on_commit=False) as session:
        vendor = Organization(
            kind=OrganizationKind.DESARROLLADOR,
            rfc=RFC,
            razon_social="Nóminas Ñandú",
            email="certificacion@nandu.example",
            sia_password_hash=hash_password(PASSWORD),
        )
        session.add(vendor)
        session.flush()
        cert = open_certification(session, vendor, actor="test")
        now = utcnow()
        create_test_set(session, cert, vendor, 1, now)
        transition(
            session, cert, Event.TEST_SET_SENT, actor="test", deadline=now + timedelta(days=60)
        )
        session.commit()
        return cert.folio
