"""The upload body, decoded from ``multipart/form-data`` within fixed bounds.

werkzeug's sans-IO :class:`~werkzeug.sansio.multipart.MultipartDecoder` does the
parsing; the bounds are ours, so that a hostile body costs a constant amount of
work before it is refused, whatever it holds:

* the whole body: at most the upload limit plus :data:`BODY_OVERHEAD_BYTES` for the
  part headers and boundaries, refused before a byte is decoded (413 ``upload_too_large``);
* parts: at most ``max_files`` + :data:`EXTRA_PARTS` (400 ``too_many_parts``); decoding
  stops at the first part over the count, so 200,000 tiny parts cost as much as 15;
* each ``file`` part: at most the per-file limit, counted while it streams in
  (413 ``file_too_large``), and the files together at most the upload limit (413 ``upload_too_large``);
* every other part (``webhook_url``): at most :data:`FIELD_BYTES` (400 ``form_field_too_large``).

A ``file`` part is one that carries a file name, as browsers, curl ``-F file=@x``
and every HTTP client send files; files under other names are counted against the
bounds and dropped.
The caller checks the files' contents (PDF header, page count) afterwards.

Memory: the body arrives whole (the Functions worker hands it over as ``bytes``). The
decoder is fed ``memoryview`` slices of it, so nothing is copied to feed it, and a
file part is not collected from the decoder's events: its bytes are one slice of the
body, taken once the part ends, so a file costs exactly one copy of itself (before: a
growing ``bytearray`` plus a ``bytes`` copy of it, two copies at the end of each part).
The decoder's events are still checked against the body as they come, so the slice is what
the decoder read (each event's ends are compared with the body at its offset).
"""

from __future__ import annotations

from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from lib.domain.errors import InvalidRequest, PayloadTooLarge
from lib.domain.uploads import MB, UploadedFile, UploadForm, UploadLimits

FILE_FIELD = "file"
# Room for a few form fields (webhook_url) beside the files.
EXTRA_PARTS = 4
FIELD_BYTES = 4096
# Boundaries and part headers: a few hundred bytes per part at most.
BODY_OVERHEAD_BYTES = MB
# How much of the buffered body the decoder is handed at a time.
CHUNK_BYTES = 64 * 1024
# Bytes compared at each end of a decoder event to check that it lines up with the body.
_EDGE_BYTES = 32
# What a part is: one of the report's files, a text field, or a file under another name.
_FILE, _FIELD, _DROPPED = "file", "field", "dropped"


def max_body_bytes(limits: UploadLimits) -> int:
    """The largest body an upload within ``limits`` can need."""
    return limits.max_upload_bytes + BODY_OVERHEAD_BYTES


def read_upload_form(body: bytes, content_type: str | None, limits: UploadLimits) -> UploadForm:
    """Decode ``body`` within ``limits``; raise :class:`InvalidRequest` or :class:`PayloadTooLarge`.

    A body that is not ``multipart/form-data`` holds no files: the caller's
    ``missing_file`` check answers it.
    """
    if len(body) > max_body_bytes(limits):
        raise PayloadTooLarge(
            f"the request body is {len(body) / MB:.1f} MB; an upload may carry at most "
            f"{limits.max_upload_bytes / MB:g} MB of files",
            code="upload_too_large",
        )
    mimetype, options = parse_options_header(content_type or "")
    boundary = options.get("boundary", "")
    if mimetype != "multipart/form-data" or not boundary:
        return UploadForm((), {})
    return _Reader(limits).read(body, boundary.encode("latin-1", "replace"))


class _Reader:
    """One pass over the decoder's events, enforcing the bounds as the parts arrive."""

    def __init__(self, limits: UploadLimits) -> None:
        self.limits = limits
        self.files: list[UploadedFile] = []
        self.fields: dict[str, str] = {}
        self.parts = 0
        self.file_bytes = 0
        self.current_kind = _FIELD
        self.current_name = ""
        # The current part's data: it starts at ``current_start`` in the body and
        # ``current_end`` is where the decoder's events have reached so far.
        self.current_start: int | None = None
        self.current_end = 0
        self.at_part_start = False
        self.body = b""
        self.view = memoryview(b"")
        self.fed = 0

    def read(self, body: bytes, boundary: bytes) -> UploadForm:
        decoder = MultipartDecoder(boundary, max_form_memory_size=None)
        self.body, self.view = body, memoryview(body)
        try:
            for start in range(0, len(body), CHUNK_BYTES):
                chunk = self.view[start : start + CHUNK_BYTES]
                decoder.receive_data(chunk)  # type: ignore[arg-type]  # it extends a bytearray
                self.fed = start + len(chunk)
                if self._drain(decoder):
                    return self._form()
            decoder.receive_data(None)
            if not self._drain(decoder):
                raise _malformed()
        except ValueError:
            # The decoder's own complaints (a part without Content-Disposition, a body
            # cut short) carry nothing a client needs beyond "malformed".
            raise _malformed() from None
        return self._form()

    def _drain(self, decoder: MultipartDecoder) -> bool:
        """Handle every event the data so far yields; ``True`` once the closing boundary is seen."""
        while True:
            event = decoder.next_event()
            if isinstance(event, NeedData):
                return False
            if isinstance(event, Epilogue):
                return True
            if isinstance(event, (File, Field)):
                # The decoder has consumed the part's headers: what it has not consumed
                # yet starts with the part's data.
                self._start_part(event, self.fed - len(decoder.buffer))
            elif isinstance(event, Data):
                self._take(event)

    def _start_part(self, event: File | Field, data_start: int) -> None:
        self.parts += 1
        allowed = self.limits.max_files + EXTRA_PARTS
        if self.parts > allowed:
            raise InvalidRequest(
                f"the form has more than {allowed} parts; send at most {self.limits.max_files} "
                f"'{FILE_FIELD}' parts and the 'webhook_url' field",
                code="too_many_parts",
            )
        if isinstance(event, File):
            self.current_kind = _FILE if event.name == FILE_FIELD else _DROPPED
        else:
            self.current_kind = _FIELD
        self.current_name = event.name
        self.current_start = self.current_end = data_start
        self.at_part_start = True

    def _take(self, event: Data) -> None:
        assert self.current_start is not None  # the decoder yields Data only inside a part
        if self.at_part_start:
            # The data starts after the line break that ends the headers (the decoder skips it).
            self.at_part_start = False
            self.current_start = self.current_end = self.current_end + _line_break(
                self.body[self.current_end : self.current_end + 2]
            )
        end = self.current_end + len(event.data)
        if not _lines_up(self.body, self.current_end, event.data):
            # Our bookkeeping of the decoder's position, not the client's body, is wrong.
            raise RuntimeError("multipart reader out of step with its decoder")
        self.current_end = end
        size = end - self.current_start
        if self.current_kind != _FIELD:
            self._check_file_size(size, len(self.files) + 1)
        elif size > FIELD_BYTES:
            raise InvalidRequest(
                f"a form field is longer than {FIELD_BYTES} bytes",
                code="form_field_too_large",
            )
        if not event.more_data:
            self._end_part()

    def _check_file_size(self, size: int, number: int) -> None:
        if size > self.limits.max_file_bytes:
            raise PayloadTooLarge(
                f"file {number} is over {self.limits.max_file_bytes / MB:g} MB, the limit per file",
                code="file_too_large",
            )
        if self.file_bytes + size > self.limits.max_upload_bytes:
            raise PayloadTooLarge(
                f"the files add up to more than {self.limits.max_upload_bytes / MB:g} MB, the limit per report",
                code="upload_too_large",
            )

    def _end_part(self) -> None:
        assert self.current_start is not None
        # The one copy of the part: a slice of the body.
        data = self.body[self.current_start : self.current_end]
        if self.current_kind != _FIELD:
            self.file_bytes += len(data)
        if self.current_kind == _FILE:
            self.files.append(UploadedFile(data))
        elif self.current_kind == _FIELD and self.current_name not in self.fields:
            self.fields[self.current_name] = data.decode("utf-8", "replace")
        self.current_start = None

    def _form(self) -> UploadForm:
        return UploadForm(tuple(self.files), self.fields)


def _lines_up(body: bytes, at: int, data: bytes) -> bool:
    """Whether ``data`` sits at ``at`` in ``body``, judged by its ends (a shifted offset shows there).

    Comparing every byte would cost more than the decoding (memoryview comparisons go
    byte by byte); the ends are enough to catch bookkeeping that is out of step.
    """
    edge = min(len(data), _EDGE_BYTES)
    end = at + len(data)
    return body[at : at + edge] == data[:edge] and body[end - edge : end] == data[len(data) - edge :]


def _line_break(start: bytes) -> int:
    """The length of the line break ``start`` begins with (CRLF, CR or LF), as the decoder reads it."""
    if start == b"\r\n":
        return 2
    return 1 if start[:1] in (b"\r", b"\n") else 0


def _malformed() -> InvalidRequest:
    return InvalidRequest("the multipart/form-data body is malformed", code="malformed_multipart")
