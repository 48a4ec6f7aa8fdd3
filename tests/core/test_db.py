"""The engine as every process makes it (``core.db.make_engine``)."""

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from schema.base import JSONType


def test_json_is_stored_exactly_whichever_encoder_writes_it(engine: Engine) -> None:
    written = [
        {"texto": "Ñandú ☃ \\u0041", "lista": [1.5, None, True, -(2**63), 2**64 - 1]},  # orjson
        {"n": 10**30, "m": -(10**25)},  # past 64 bits: the standard library
        {7: "clave numérica"},  # not text: the standard library, as "7"
    ]
    with engine.connect() as connection:
        read = [
            connection.execute(sa.select(sa.bindparam("v", value, type_=JSONType))).scalar_one()
            for value in written
        ]
    assert read == [written[0], written[1], {"7": "clave numérica"}]
