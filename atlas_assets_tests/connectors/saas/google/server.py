"""A local server speaking Google's OAuth token endpoint, Sheets API v4 and Drive API v3 wire formats.

What it reproduces (Google's OAuth 2.0 service-account flow and the Sheets v4 reference):
`POST /token` taking the JWT-bearer grant (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`,
`assertion=<signed JWT>`; the JWT's `iss` must be a known service account, the signature is not
checked) or a refresh grant, answering `{access_token, expires_in, token_type}` or 400
`{"error": "invalid_grant", "error_description"}`; bearer-token auth on the API (401
`UNAUTHENTICATED`); `GET /v4/spreadsheets/{id}` (metadata: `properties.timeZone`, each sheet's
`properties.sheetId/title/gridProperties`; with `includeGridData=true&ranges=` the cells'
`effectiveFormat.numberFormat.type`); `GET /v4/spreadsheets/{id}/values/{range}` answering
`{range, majorDimension, values}` with trailing blank cells and rows left out, as Sheets does;
error bodies `{"error": {code, message, status, errors: [{message, domain, reason}]}}`; quota
429s. Drive v3: `GET /drive/v3/files` (`files.list`: `q` with `'<id>' in parents`, `trashed =`,
`modifiedTime >=`/`<`; `pageSize`, opaque `pageToken`/`nextPageToken`; shared-drive items only
with `supportsAllDrives` and `includeItemsFromAllDrives`, and `corpora=drive&driveId=` for that
drive), `GET /drive/v3/files/{id}?alt=media` (streamed; a native Sheet is 403
`fileNotDownloadable`), `GET /drive/v3/files/{id}/export?mimeType=text/csv` (native Sheets only).
Every request is recorded.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from atlas_assets_tests.dagster_processes import free_port
from atlas_assets_tests.wire_server import WireHandler, serving

CLIENT_EMAIL = "atlas-loader@atlas-test.iam.gserviceaccount.com"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
USER_CLIENT_ID = "123456789-atlas.apps.googleusercontent.com"
USER_CLIENT_SECRET = "GOCSPX-atlas-local-client-secret"
USER_REFRESH_TOKEN = "1//atlas-local-refresh-token"
_A1 = re.compile(
    r"^(?:'(?P<quoted>(?:[^']|'')*)'|(?P<plain>[^!]+))!(?P<c0>[A-Z]+)(?P<r0>\d+):(?P<c1>[A-Z]+)(?P<r1>\d+)$"
)


def service_account_json(token_uri: str, client_email: str = CLIENT_EMAIL) -> str:
    """A service account's JSON key with a freshly generated RSA key (never a committed one)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "atlas-test",
            "private_key_id": "0123456789abcdef0123456789abcdef01234567",
            "private_key": pem,
            "client_email": client_email,
            "client_id": "100000000000000000001",
            "token_uri": token_uri,
        }
    )


def authorized_user_json(token_uri: str, refresh_token: str = USER_REFRESH_TOKEN) -> str:
    """An authorized user's JSON (what `gcloud auth application-default login` writes)."""
    return json.dumps(
        {
            "type": "authorized_user",
            "client_id": USER_CLIENT_ID,
            "client_secret": USER_CLIENT_SECRET,
            "refresh_token": refresh_token,
            "token_uri": token_uri,
        }
    )


def column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index


@dataclass
class Worksheet:
    """Cells by (row, column), 1-based; number formats by column."""

    sheet_id: int
    title: str
    row_count: int = 1000
    column_count: int = 26
    cells: dict[tuple[int, int], Any] = field(default_factory=dict)
    formats: dict[int, str] = field(default_factory=dict)

    def put_rows(self, first_row: int, rows: list[list[Any]], first_column: int = 1) -> None:
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None and value != "":
                    self.cells[(first_row + r, first_column + c)] = value
        self.row_count = max(self.row_count, first_row + len(rows) - 1)

    def values(self, r0: int, c0: int, r1: int, c1: int) -> list[list[Any]]:
        """Rows of the range, trailing blank cells and trailing blank rows left out."""
        rows: list[list[Any]] = []
        for r in range(r0, min(r1, self.row_count) + 1):
            row = [self.cells.get((r, c), "") for c in range(c0, min(c1, self.column_count) + 1)]
            while row and row[-1] == "":
                row.pop()
            rows.append(row)
        while rows and not rows[-1]:
            rows.pop()
        return rows


@dataclass
class Spreadsheet:
    spreadsheet_id: str
    time_zone: str = "UTC"
    sheets: list[Worksheet] = field(default_factory=list)

    def sheet(self, title: str) -> Worksheet:
        return next(s for s in self.sheets if s.title == title)


SHEET_MIME = "application/vnd.google-apps.spreadsheet"


@dataclass
class DriveItem:
    """A Drive file: its metadata and its bytes (or chunks made on demand, for huge files)."""

    id: str
    name: str
    parent: str
    modified: str
    mime_type: str = "text/csv"
    version: int = 1
    content: bytes | Callable[[], Iterator[bytes]] = b""
    size: int = 0
    trashed: bool = False
    drive_id: str | None = None

    def metadata(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "drive#file",
            "id": self.id,
            "name": self.name,
            "mimeType": self.mime_type,
            "modifiedTime": self.modified,
            "version": str(self.version),
            "trashed": self.trashed,
            "parents": [self.parent],
        }
        if self.mime_type != SHEET_MIME:  # Docs Editors files have no size or checksum
            body["size"] = str(self.size)
            body["md5Checksum"] = f"{self.id}-{self.version}"
        if self.drive_id:
            body["driveId"] = self.drive_id
        return body


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class Fault:
    path_prefix: str
    status: int
    times: int
    retry_after: str | None = None


class GoogleServer:
    """In-memory Google: service accounts, tokens, spreadsheets, faults and a request log."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token_uri = f"{self.url}/token"
        self.service_accounts: set[str] = {CLIENT_EMAIL}
        self.tokens: set[str] = set()
        self.spreadsheets: dict[str, Spreadsheet] = {}
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self.drive: dict[str, DriveItem] = {}
        self.drive_page_size: int | None = None
        """Caps `pageSize`, so tests see many pages of a few files."""
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # --- test-facing --------------------------------------------------------------------------

    def spreadsheet(self, spreadsheet_id: str, time_zone: str = "UTC") -> Spreadsheet:
        return self.spreadsheets.setdefault(spreadsheet_id, Spreadsheet(spreadsheet_id, time_zone))

    def worksheet(self, spreadsheet_id: str, title: str, sheet_id: int = 0, **size: int) -> Worksheet:
        sheet = Worksheet(sheet_id, title, **size)
        self.spreadsheet(spreadsheet_id).sheets.append(sheet)
        return sheet

    def upload(
        self,
        folder: str,
        name: str,
        content: bytes | Callable[[], Iterator[bytes]],
        modified: str,
        *,
        mime_type: str = "text/csv",
        drive_id: str | None = None,
        size: int | None = None,
    ) -> DriveItem:
        """A new file in `folder` (content may be a callable yielding chunks, with its `size`)."""
        if size is None:
            size = len(content) if isinstance(content, bytes) else 0
        item = DriveItem(f"1drv{next(self._ids):06d}", name, folder, modified, mime_type, 1, content, size)
        item.drive_id = drive_id
        self.drive[item.id] = item
        return item

    def reupload(self, item: DriveItem, content: bytes, modified: str) -> None:
        """A new revision of the file: new bytes, a higher version, a later modifiedTime."""
        item.content, item.size, item.modified, item.version = (
            content,
            len(content),
            modified,
            item.version + 1,
        )

    def fail(
        self, path_prefix: str, status: int = 429, times: int = 1, retry_after: str | None = None
    ) -> None:
        """The next `times` requests whose path starts with `path_prefix` fail with `status`."""
        self.faults.append(Fault(path_prefix, status, times, retry_after))

    def of(self, method: str, path_prefix: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    @contextmanager
    def running(self) -> Iterator[GoogleServer]:
        with serving(_handler(self), self.port):
            yield self

    # --- wire ---------------------------------------------------------------------------------

    def handle(self, request: Request) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.requests.append(request)
            for fault in self.faults:
                if fault.times and request.path.startswith(fault.path_prefix):
                    fault.times -= 1
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    return fault.status, headers, _error(fault.status)
        if request.path == "/token":
            return self._token(request)
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.tokens:
            return 401, {}, _error(401)
        if request.path.startswith("/v4/spreadsheets/"):
            return self._sheets(request)
        if request.path == "/drive/v3/files":
            return self._files_list(request)
        if request.path.startswith("/drive/v3/files/"):
            return self._file_content(request)
        return 404, {}, _error(404, f"no such path {request.path}")

    def _token(self, request: Request) -> tuple[int, dict[str, str], Any]:
        grant = (request.form.get("grant_type") or [""])[0]
        if grant == "refresh_token":
            return self._refresh(request)
        if grant != JWT_BEARER:
            return 400, {}, {"error": "unsupported_grant_type", "error_description": grant}
        assertion = (request.form.get("assertion") or [""])[0]
        try:
            payload = assertion.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError):
            return 400, {}, {"error": "invalid_grant", "error_description": "Invalid JWT."}
        if claims.get("iss") not in self.service_accounts:
            return 400, {}, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        token = f"ya29.local-{next(self._ids)}"
        self.tokens.add(token)
        return 200, {}, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _refresh(self, request: Request) -> tuple[int, dict[str, str], Any]:
        def field(name: str) -> str:
            return (request.form.get(name) or [""])[0]

        known = (USER_CLIENT_ID, USER_CLIENT_SECRET, USER_REFRESH_TOKEN)
        if (field("client_id"), field("client_secret"), field("refresh_token")) != known:
            return (
                400,
                {},
                {"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
            )
        token = f"ya29.local-user-{next(self._ids)}"
        self.tokens.add(token)
        return (
            200,
            {},
            {"access_token": token, "expires_in": 3599, "token_type": "Bearer", "scope": field("scope")},
        )

    def _files_list(self, request: Request) -> tuple[int, dict[str, str], Any]:
        return _drive_list(self, request)

    def _file_content(self, request: Request) -> tuple[int, dict[str, str], Any]:
        return _drive_content(self, request)

    def _sheets(self, request: Request) -> tuple[int, dict[str, str], Any]:
        rest = request.path.removeprefix("/v4/spreadsheets/")
        spreadsheet_id, _, values_range = rest.partition("/values/")  # the path is unquoted
        book = self.spreadsheets.get(spreadsheet_id)
        if book is None:
            return 404, {}, _error(404, "Requested entity was not found.")
        if values_range:
            return self._values(book, values_range, request)
        if (request.query.get("includeGridData") or ["false"])[0] == "true":
            return self._grid_formats(book, request)
        return (
            200,
            {},
            {
                "spreadsheetId": book.spreadsheet_id,
                "properties": {"title": book.spreadsheet_id, "timeZone": book.time_zone},
                "sheets": [
                    {
                        "properties": {
                            "sheetId": s.sheet_id,
                            "title": s.title,
                            "index": i,
                            "sheetType": "GRID",
                            "gridProperties": {"rowCount": s.row_count, "columnCount": s.column_count},
                        }
                    }
                    for i, s in enumerate(book.sheets)
                ],
            },
        )

    def _range(self, book: Spreadsheet, text: str) -> tuple[Worksheet, int, int, int, int] | None:
        match = _A1.match(text)
        if not match:
            return None
        title = (
            match.group("quoted").replace("''", "'")
            if match.group("quoted") is not None
            else match.group("plain")
        )
        sheet = next((s for s in book.sheets if s.title == title), None)
        if sheet is None:
            return None
        return (
            sheet,
            int(match.group("r0")),
            column_index(match.group("c0")),
            int(match.group("r1")),
            column_index(match.group("c1")),
        )

    def _values(self, book: Spreadsheet, text: str, request: Request) -> tuple[int, dict[str, str], Any]:
        found = self._range(book, text)
        if found is None:
            return 400, {}, _error(400, f"Unable to parse range: {text}")
        sheet, r0, c0, r1, c1 = found
        body: dict[str, Any] = {"range": text, "majorDimension": "ROWS"}
        values = sheet.values(r0, c0, r1, c1)
        if (request.query.get("valueRenderOption") or ["FORMATTED_VALUE"])[0] != "UNFORMATTED_VALUE":
            values = [[str(v) for v in row] for row in values]
        if values:
            body["values"] = values
        return 200, {}, body

    def _grid_formats(self, book: Spreadsheet, request: Request) -> tuple[int, dict[str, str], Any]:
        text = (request.query.get("ranges") or [""])[0]
        found = self._range(book, text)
        if found is None:
            return 400, {}, _error(400, f"Unable to parse range: {text}")
        sheet, r0, c0, r1, c1 = found

        def cell(c: int) -> dict[str, Any]:
            kind = sheet.formats.get(c)
            return {"effectiveFormat": {"numberFormat": {"type": kind}}} if kind else {}

        rows = [{"values": [cell(c) for c in range(c0, c1 + 1)]} for _ in range(r0, r1 + 1)]
        return 200, {}, {"sheets": [{"data": [{"startRow": r0 - 1, "startColumn": c0 - 1, "rowData": rows}]}]}


_CLAUSE = re.compile(
    r"^(?:'(?P<parent>[^']+)' in parents|trashed = (?P<trashed>true|false)"
    r"|modifiedTime (?P<op>>=|<) '(?P<time>[^']+)')$"
)


def _drive_list(server: GoogleServer, request: Request) -> tuple[int, dict[str, str], Any]:
    def arg(name: str, default: str = "") -> str:
        return (request.query.get(name) or [default])[0]

    items = list(server.drive.values())
    for clause in filter(None, arg("q").split(" and ")):
        match = _CLAUSE.match(clause.strip())
        if match is None:
            return 400, {}, _error(400, f"Invalid Value: q clause {clause!r}")
        if match.group("parent"):
            items = [i for i in items if i.parent == match.group("parent")]
        elif match.group("trashed"):
            items = [i for i in items if i.trashed == (match.group("trashed") == "true")]
        elif match.group("op") == ">=":
            items = [i for i in items if _instant(i.modified) >= _instant(match.group("time"))]
        else:
            items = [i for i in items if _instant(i.modified) < _instant(match.group("time"))]
    all_drives = arg("supportsAllDrives") == "true" and arg("includeItemsFromAllDrives") == "true"
    drive_id = arg("driveId") if arg("corpora") == "drive" else None
    items = [
        i
        for i in items
        if (i.drive_id is None and drive_id is None) or (all_drives and i.drive_id == drive_id)
    ]
    items.sort(key=lambda i: i.id)
    size = min(int(arg("pageSize", "100")), server.drive_page_size or 1000)
    offset = int(base64.urlsafe_b64decode(arg("pageToken")).decode()) if arg("pageToken") else 0
    body: dict[str, Any] = {
        "kind": "drive#fileList",
        "files": [i.metadata() for i in items[offset : offset + size]],
    }
    if offset + size < len(items):
        body["nextPageToken"] = base64.urlsafe_b64encode(str(offset + size).encode()).decode()
    return 200, {}, body


def _instant(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _drive_content(server: GoogleServer, request: Request) -> tuple[int, dict[str, str], Any]:
    file_id, _, action = request.path.removeprefix("/drive/v3/files/").partition("/")
    item = server.drive.get(file_id)
    if item is None:
        return 404, {}, _error(404, f"File not found: {file_id}.")
    is_sheet = item.mime_type == SHEET_MIME
    if action == "export":
        if not is_sheet:
            return 403, {}, _error(403, "Export only supports Docs Editors files.")
        return 200, {"Content-Type": "text/csv"}, item.content
    if (request.query.get("alt") or [""])[0] != "media":
        return 200, {}, item.metadata()
    if is_sheet:
        return (
            403,
            {},
            _error(
                403, "Only files with binary content can be downloaded. Use Export with Docs Editors files."
            ),
        )
    return 200, {"Content-Type": item.mime_type, "Content-Length": str(item.size)}, item.content


_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


def _error(status: int, message: str | None = None) -> dict[str, Any]:
    message = message or {
        401: "Request had invalid authentication credentials. Expected OAuth 2 access token.",
        429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user'.",
    }.get(status, "Internal error encountered.")
    reason = {429: "rateLimitExceeded", 401: "authError", 404: "notFound"}.get(status, "backendError")
    return {
        "error": {
            "code": status,
            "message": message,
            "status": _STATUS.get(status, "UNKNOWN"),
            "errors": [{"message": message, "domain": "global", "reason": reason}],
        }
    }


def _handler(server: GoogleServer) -> type[WireHandler]:
    class Handler(WireHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            url = urlsplit(self.path)
            raw = self.read_body().decode()
            request = Request(
                method, unquote(url.path), parse_qs(url.query), parse_qs(raw), self.lower_headers()
            )
            status, headers, body = server.handle(request)
            if callable(body):  # a huge file: chunks made as they are sent
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                for chunk in body():
                    self.wfile.write(chunk)
                return
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers = {"Content-Type": "application/json; charset=UTF-8", **headers}
            headers.pop("Content-Length", None)  # the reply counts the bytes it sends
            self.reply(status, data, headers)

    return Handler
