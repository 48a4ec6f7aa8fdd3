"""Read one file from a multipart upload without ever holding more than the limit.

Starlette's form parser spools whatever arrives to disk before a handler can look at its size;
here the body is parsed as it streams, and the request is refused the moment the file part
passes the limit (or the body passes the limit plus a little room for the other fields).
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from fastapi import HTTPException, Request, status
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from review.inputs import clean_filename

FORM_OVERHEAD = 64 * 1024  # other fields and part headers
FIELD_LIMIT = 4 * 1024  # a text field (RFC, password, folio) is short


class UploadTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            detail=f"El archivo excede el máximo de {limit // (1024 * 1024)} MiB (WB-SIZE).",
        )


class MisplacedFile(HTTPException):
    def __init__(self, field: str, got: str) -> None:
        super().__init__(
            status.HTTP_400_BAD_REQUEST,
            detail=f"Envíe el archivo en el campo «{field}» (se recibió en «{got}»).",
        )


class FieldTooLong(HTTPException):
    def __init__(self, field: str) -> None:
        super().__init__(
            status.HTTP_400_BAD_REQUEST,
            detail=f"El campo «{field}» excede {FIELD_LIMIT // 1024} KiB.",
        )


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    data: bytes
    fields: dict[str, str]


class _Collector:
    def __init__(self, field: str, limit: int) -> None:
        self.field, self.limit = field, limit
        self.header_name, self.header_value = b"", b""
        self.headers: list[tuple[str, str]] = []
        self.current: bytearray | None = None
        self.part_name: str | None = None
        self.filename: str | None = None
        self.data: bytes | None = None
        self.fields: dict[str, str] = {}
        self.problem: HTTPException | None = None

    def on_part_begin(self) -> None:
        self.headers, self.current, self.part_name = [], None, None

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers.append(
            (self.header_name.decode("latin-1"), self.header_value.decode("utf-8", "replace"))
        )
        self.header_name, self.header_value = b"", b""

    def on_headers_finished(self) -> None:
        message = Message()
        for header, value in self.headers:
            message[header] = value
        name = message.get_param("name", header="content-disposition")
        self.part_name = name if isinstance(name, str) else None
        filename = message.get_filename()
        if self.part_name == self.field:
            self.filename = filename if isinstance(filename, str) else ""
        elif filename is not None and self.problem is None:
            # A file in another field: say where it belongs, whatever its size.
            self.problem = MisplacedFile(self.field, self.part_name or "")
        self.current = bytearray()

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.current is None:
            return
        self.current += data[start:end]
        if self.problem is not None:
            self.current = bytearray()
        elif self.part_name == self.field and len(self.current) > self.limit:
            self.problem = UploadTooLarge(self.limit)
        elif self.part_name != self.field and len(self.current) > FIELD_LIMIT:
            self.problem = FieldTooLong(self.part_name or "")

    def on_part_end(self) -> None:
        if self.current is not None and self.problem is None and self.part_name:
            if self.part_name == self.field:
                if self.data is None:
                    self.data = bytes(self.current)
            else:
                self.fields.setdefault(self.part_name, self.current.decode("utf-8", "replace"))
        self.current = None


async def read_upload(request: Request, *, field: str, limit: int) -> UploadedFile:
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=f"Envíe el archivo como multipart/form-data en el campo «{field}».",
        )
    # A declared length over the limit is not refused before the parts' headers are read: a
    # file sent in the wrong field is told so whatever its size. The stream is cut off at the
    # limit all the same.
    collector = _Collector(field, limit)
    received = 0
    # FormParserError is the root of python-multipart's errors: the parser's own and the
    # constructor's (a boundary over 256 bytes), which used to escape as a 500.
    try:
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": collector.on_part_begin,
                "on_header_field": collector.on_header_field,
                "on_header_value": collector.on_header_value,
                "on_header_end": collector.on_header_end,
                "on_headers_finished": collector.on_headers_finished,
                "on_part_data": collector.on_part_data,
                "on_part_end": collector.on_part_end,
            },
        )
        async for chunk in request.stream():
            received += len(chunk)
            parser.write(chunk)
            if collector.problem is not None:
                raise collector.problem
            if received > limit + FORM_OVERHEAD:
                raise UploadTooLarge(limit)
        parser.finalize()
    except FormParserError:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail="El cuerpo multipart/form-data está mal formado."
        ) from None
    if collector.data is None:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail=f"Falta el archivo en el campo «{field}»."
        )
    # The name is metadata: cleaned rather than a reason to refuse the workbook.
    filename = clean_filename(collector.filename or "") or "evidencia"
    return UploadedFile(filename, collector.data, collector.fields)
