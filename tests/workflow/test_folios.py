from sqlmodel import Session

from workflow.folios import issue_folio


def test_folios_are_ten_digits_unique_and_increasing(engine):
    with Session(engine) as session:
        folios = [issue_folio(session, "prueba") for _ in range(50)]
        session.commit()
    assert all(len(f) == 10 and f.isdigit() for f in folios)
    assert len(set(folios)) == 50 and folios == sorted(folios)
    with Session(engine) as session:
        later = issue_folio(session, "prueba")
        session.commit()
    assert later > folios[-1]
