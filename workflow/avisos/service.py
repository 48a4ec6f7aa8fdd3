"""One page of a patrón's avisos for the production service (DOMAIN §5): filtered by date of
the aviso, worker (NSS) and class, in the order they were imported, after a cursor; signed as
the sandbox signs, and recorded (who, for whom, which avisos, when) in the same transaction.

The cursor («siguiente», in every page, with «hayMas») is the last aviso's id, signed and bound
to the query it belongs to. Ids become
visible in increasing order (imports are serialized, ``workflow.avisos.imports``), so paging
with it never skips nor repeats an aviso, even while new ones are imported: those come after.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

import orjson
import sqlalchemy as sa
from sqlmodel import Session, col

from core.clock import utcnow
from core.config import get_settings
from core.keys import avisos_keypair
from core.tokens import TokenError, issue_token, read_token
from rules.signing import signed_json
from schema import Aviso, AvisoClase, AvisoDownload
from workflow.avisos.gate import Pair
from workflow.folios import issue_folio
from workflow.refusals import GateReason, GateRefused

DEFAULT_PAGE = 100
MAX_PAGE = 1000
CURSOR_SCOPE = "cursor-avisos"
# A cursor is a place in the patrón's avisos, not a credential: it stays good for years, so a
# payroll system can resume from the last one it kept.
CURSOR_SECONDS = 10 * 366 * 24 * 3600


@dataclass(frozen=True)
class AvisosQuery:
    desde: date | None = None
    hasta: date | None = None
    nss: str | None = None
    clase: AvisoClase | None = None
    limite: int = DEFAULT_PAGE
    cursor: str | None = None

    def digest(self, nrp: str) -> str:
        """What a cursor is bound to: the patrón and the filters (not the page size)."""
        text = "|".join(
            (nrp, str(self.desde or ""), str(self.hasta or ""), self.nss or "", self.clase or "")
        )
        return hashlib.sha256(text.encode()).hexdigest()[:24]


def _bad(message: str) -> GateRefused:
    return GateRefused(GateReason.BAD_QUERY, message)


def _after(query: AvisosQuery, nrp: str) -> int:
    if not query.cursor:
        return 0
    try:
        payload = read_token(CURSOR_SCOPE, query.cursor[:500], CURSOR_SECONDS)
    except TokenError:
        raise _bad("El cursor no es válido; use el valor «siguiente» de una respuesta.") from None
    if payload.get("q") != query.digest(nrp) or not isinstance(payload.get("id"), int):
        raise _bad(
            "El cursor pertenece a otra consulta: use los mismos filtros (desde, hasta, nss, "
            "clase) con los que se obtuvo."
        )
    after: int = payload["id"]
    return after


def check_query(query: AvisosQuery) -> None:
    if not 1 <= query.limite <= MAX_PAGE:
        raise _bad(f"«limite» debe ser un número de 1 a {MAX_PAGE}.")
    if query.desde and query.hasta and query.hasta < query.desde:
        raise _bad("«hasta» es anterior a «desde».")


_Page = sa.Select[int | None, str, str]  # id, folio, content as text


@cache
def _page_select(nss: bool, clase: bool, desde: bool, hasta: bool) -> _Page:
    # One statement object per combination of filters, so that SQLAlchemy compiles each once and
    # every page only binds values. The content comes as its text, parsed by orjson: the JSON
    # type's own parsing was a good part of a page's CPU.
    nrp, id_ = col(Aviso.patron_nrp), col(Aviso.id)
    statement = sa.select(id_, col(Aviso.folio), sa.cast(col(Aviso.content), sa.Text))
    if nss:
        # One worker's avisos: few among the patrón's, so no plan but the (patrón, NSS, id)
        # index looks cheap.
        statement = statement.where(
            nrp == sa.bindparam("nrp"),
            col(Aviso.nss) == sa.bindparam("nss"),
            id_ > sa.bindparam("after"),
        )
    else:
        # "patrón = nrp and id > after" said as a range of (patrón, id) that ends at the patrón:
        # with an equality the planner knows the order by patrón is constant and may walk the
        # primary key in id order, filtering by patrón; on a small table its estimates prefer
        # that for a heavy patrón, and for one whose avisos came late in a large table that walk
        # reads millions of rows. Nothing but the (patrón, id) index gives this range in order.
        statement = statement.where(
            sa.tuple_(nrp, id_)
            > sa.tuple_(
                sa.bindparam("nrp", type_=sa.String()), sa.bindparam("after", type_=sa.BigInteger())
            ),
            nrp <= sa.bindparam("nrp"),
        )
    if clase:
        statement = statement.where(col(Aviso.clase) == sa.bindparam("clase"))
    if desde:
        statement = statement.where(col(Aviso.fecha_aviso) >= sa.bindparam("desde"))
    if hasta:
        statement = statement.where(col(Aviso.fecha_aviso) <= sa.bindparam("hasta"))
    return statement.order_by(nrp, id_).limit(sa.bindparam("limit", type_=sa.Integer))


def page_select(query: AvisosQuery) -> _Page:
    """The statement of a page with ``query``'s filters: bind ``nrp``, ``after``, ``limit``
    (``limite`` + 1, to know whether there are more) and each filter given."""
    return _page_select(bool(query.nss), bool(query.clase), bool(query.desde), bool(query.hasta))


def _page_parameters(nrp: str, after: int, query: AvisosQuery) -> dict[str, Any]:
    given = {"nss": query.nss, "clase": query.clase, "desde": query.desde, "hasta": query.hasta}
    return {"nrp": nrp, "after": after, "limit": query.limite + 1} | {
        name: value for name, value in given.items() if value
    }


# Compiled once: the parameters name the columns.
_RECORD = sa.insert(AvisoDownload)


def avisos_page(
    session: Session, pair: Pair, query: AvisosQuery, now: datetime | None = None
) -> bytes:
    """The signed page as JSON text; the download is recorded in the caller's transaction."""
    check_query(query)
    nrp = pair.patron_nrp
    after = _after(query, nrp)
    # Core on the session's connection: the same transaction, without the ORM's unit of work.
    connection = session.connection()
    rows = connection.execute(page_select(query), _page_parameters(nrp, after, query)).all()
    page = rows[: query.limite]
    # Where to resume, even past the last aviso: asked again later with the same filters, it
    # gives only what was imported since.
    last = page[-1][0] if page else after
    following = issue_token(CURSOR_SCOPE, {"id": last, "q": query.digest(nrp)})
    moment = now or utcnow()
    folio = issue_folio(session, "consulta_avisos")
    document = {
        "version": "1.0",
        "folioConsulta": folio,
        "registroPatronal": nrp,
        "desarrollador": pair.vendor_rfc,
        "generado": moment.astimezone(get_settings().tz).isoformat(timespec="seconds"),
        "desde": query.desde.isoformat() if query.desde else None,
        "hasta": query.hasta.isoformat() if query.hasta else None,
        "avisos": [orjson.loads(content) for _, _, content in page],
        "siguiente": following,
        "hayMas": len(rows) > query.limite,
    }
    private_key, _ = avisos_keypair()
    # Every aviso was checked by ``imports.AvisoLinea`` (amounts as text, integers small), the
    # only way into the table: no float needs the canonical form's walk.
    signed = signed_json(document, private_key, json_without_floats=True)
    connection.execute(
        _RECORD,
        {
            "at": moment,
            "vendor_id": pair.vendor_id,
            "patron_id": pair.patron_id,
            "relationship_id": pair.relationship_id,
            "folio_consulta": folio,
            "query": {
                "desde": document["desde"],
                "hasta": document["hasta"],
                "nss": query.nss,
                "clase": query.clase.value if query.clase else None,
                "despues_de": after or None,
                "limite": query.limite,
            },
            "folios": [aviso_folio for _, aviso_folio, _ in page],
            "count": len(page),
        },
    )
    return signed
