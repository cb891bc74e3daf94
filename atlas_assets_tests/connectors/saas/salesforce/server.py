"""A local server speaking Salesforce's wire formats over HTTPS, for simple-salesforce pointed at it.

What it reproduces (Salesforce's SOAP partner login, OAuth 2.0 token endpoint, REST API and
Bulk API 2.0 references):

- `POST /services/Soap/u/{version}`: the SOAP `login` (password + security token appended),
  answered with `<sessionId>` and `<serverUrl>`, or a `LoginFault` (`INVALID_LOGIN`) with HTTP 500;
- `POST /services/oauth2/token`: the JWT bearer grant (an RS256 assertion with `iss`, `sub`,
  `aud`, `exp`, checked against the connected app's certificate) and the client credentials grant
  (HTTP Basic consumer key and secret), answered `{access_token, instance_url, …}` or
  `{error, error_description}` with HTTP 400;
- `GET /services/data/vXX.X/sobjects/{name}/describe` (`name`, `fields[]` with `name`, `type`,
  `precision`, `scale`, `length`, `compoundFieldName`), `/limits`;
- `GET …/query?q=` and `…/queryAll?q=` for the SOQL this connector writes (`SELECT fields|COUNT()
  FROM x WHERE a >= t AND a < t [AND IsDeleted = true] ORDER BY …`), `{totalSize, done,
  nextRecordsUrl, records: [{attributes: {type, url}, …}]}`, and `GET …/query/{locator}-{offset}`;
- Bulk 2.0 query jobs: `POST …/jobs/query`, `GET …/jobs/query/{id}` (`UploadComplete`, then
  `InProgress` as many polls as asked, then `JobComplete`), `GET …/jobs/query/{id}/results?
  locator=&maxRecords=` as CSV with `Sforce-Locator` (`null` on the last page) and
  `Sforce-NumberOfRecords`;
- bearer sessions the server can expire (`INVALID_SESSION_ID`, HTTP 401), error bodies
  `[{message, errorCode, fields}]`, `Sforce-Limit-Info: api-usage=N/M` on every API response.

Every request is recorded. Names are case-insensitive, as in Salesforce.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import decimal
import io
import itertools
import json
import re
import ssl
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from atlas_assets_tests.dagster_processes import free_port
from atlas_assets_tests.wire_server import WireHandler, serving

USERNAME = "integration@acme.test"
PASSWORD = "atlas-sf-password-0123456789"
SECURITY_TOKEN = "atlasSecurityTokenABCDEF123456"
CONSUMER_KEY = "3MVG9atlas.consumer.key"
CONSUMER_SECRET = "atlas-consumer-secret-9876543210FEDCBA"
MY_DOMAIN = "acme.my"
API_LIMIT = 15_000
REST_PAGE = 2_000
"""Salesforce's default REST query batch size."""

_PRIVATE_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PRIVATE_KEY_PEM = _PRIVATE_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
"""The connected app's private key (its certificate is what the server checks assertions with)."""

FIELD_TYPES = {
    "Id": "id",
    "Name": "string",
    "SystemModstamp": "datetime",
    "LastModifiedDate": "datetime",
    "IsDeleted": "boolean",
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: bytes
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)

    @property
    def soql(self) -> str:
        return self.query.get("q", "")


@dataclass
class Fault:
    status: int
    body: Any
    from_request: int = 1
    path_part: str = ""


@dataclass
class SObject:
    name: str
    fields: list[dict[str, Any]]
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)


class SalesforceServer:
    """In-memory Salesforce org: sObjects, their rows, sessions, Bulk jobs, faults, a request log."""

    def __init__(self, tmp: Path) -> None:
        self.sobjects: dict[str, SObject] = {}
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.sessions: set[str] = set()
        self.rest_page = REST_PAGE
        self.bulk_in_progress_polls = 0
        """Polls of a new Bulk job answered `InProgress` before it is `JobComplete`."""
        self.bulk_fails_with: str | None = None
        """A Bulk job's `errorMessage` when it should end `Failed`."""
        self.expire_sessions_at: int | None = None
        """Before serving request number N (from 1), every session expires (as after a timeout)."""
        self.api_used = 0
        self.jobs: dict[str, dict[str, Any]] = {}
        self._cursors: dict[str, tuple[list[dict[str, Any]], list[str], str, bool]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.advertised_url = self.url
        """The instance logins send clients to (`serverUrl`, `instance_url`)."""
        self.ca = trustme.CA()
        self.ca_bundle = tmp / "salesforce-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_bundle))
        self.public_key = _PRIVATE_KEY.public_key()

    # --- data -------------------------------------------------------------------------------

    def define(self, sobject: str, **fields: str) -> None:
        """An sObject and its fields beyond the standard ones, e.g. `Amount="currency(18,2)"`,
        `BillingAddress="address"`, `BillingCity="string:BillingAddress"` (a compound's component)."""
        described = [_describe_field(n, t) for n, t in {**FIELD_TYPES, **fields}.items()]
        self.sobjects[sobject.lower()] = SObject(sobject, described)

    def put(self, sobject: str, record_id: str, modstamp: dt.datetime, deleted: bool = False, **values: Any):
        """Store a row; `modstamp` is both its SystemModstamp and LastModifiedDate."""
        obj = self.sobjects[sobject.lower()]
        row = {
            "Id": record_id,
            "SystemModstamp": modstamp,
            "LastModifiedDate": modstamp,
            "IsDeleted": deleted,
        }
        row.update(values)
        with self._lock:
            obj.rows[record_id] = row

    def fail_next(
        self, status: int, error_code: str, message: str, from_request: int = 1, path_part: str = ""
    ) -> None:
        """The next request (numbered from 1, not before `from_request`, whose path holds `path_part`)
        gets this error, as Salesforce writes it."""
        self.faults.append(
            Fault(
                status, [{"message": message, "errorCode": error_code, "fields": []}], from_request, path_part
            )
        )

    def of(self, method: str, path_part: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    def queries(self, include: str = "") -> list[str]:
        return [r.soql for r in self.requests if r.soql and include in r.soql]

    # --- serving ----------------------------------------------------------------------------

    @contextmanager
    def running(self) -> Iterator[SalesforceServer]:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        with serving(_handler(self), self.port, tls=context):
            yield self

    def respond(self, request: Request) -> tuple[int, bytes, dict[str, str], str]:
        with self._lock:
            self.requests.append(request)
            number = len(self.requests)
            if self.expire_sessions_at is not None and number >= self.expire_sessions_at:
                self.sessions.clear()
                self.expire_sessions_at = None
            fault = next(
                (f for f in self.faults if f.from_request <= number and f.path_part in request.path), None
            )
            if fault is not None:
                self.faults.remove(fault)
        if fault is not None:
            return _json(fault.status, fault.body)
        path = request.path
        if path.startswith("/services/Soap/u/"):
            return self._soap_login(request.body)
        if path == "/services/oauth2/token":
            return self._token(request)
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.sessions:
            return _json(401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}])
        self.api_used += 1
        status, body, headers, kind = self._api(request)
        return status, body, {**headers, "Sforce-Limit-Info": f"api-usage={self.api_used}/{API_LIMIT}"}, kind

    def _api(self, request: Request) -> tuple[int, bytes, dict[str, str], str]:
        match = re.match(r"^/services/data/v(\d+\.\d)/(.*)$", request.path)
        if not match:
            return _json(
                404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
            )
        rest = match.group(2).rstrip("/")
        parts = rest.split("/")
        if parts[0] == "limits":
            return _json(
                200, {"DailyApiRequests": {"Max": API_LIMIT, "Remaining": API_LIMIT - self.api_used}}
            )
        if parts[0] == "sobjects" and len(parts) == 3 and parts[2] == "describe":
            obj = self.sobjects.get(parts[1].lower())
            if obj is None:
                return _json(
                    404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
                )
            return _json(200, {"name": obj.name, "queryable": True, "fields": obj.fields})
        if parts[0] in ("query", "queryAll") and len(parts) == 1:
            return self._query(request.soql, parts[0] == "queryAll")
        if parts[0] in ("query", "queryAll") and len(parts) == 2:
            return self._page(parts[1])
        if parts[:2] == ["jobs", "query"]:
            return self._bulk(request, parts[2:])
        return _json(404, [{"message": f"no resource {rest}", "errorCode": "NOT_FOUND"}])

    # --- login --------------------------------------------------------------------------------

    def _soap_login(self, body: bytes) -> tuple[int, bytes, dict[str, str], str]:
        ns = {"n": "urn:partner.soap.sforce.com"}
        root = ET.fromstring(body)
        username = root.findtext(".//n:username", namespaces=ns)
        password = root.findtext(".//n:password", namespaces=ns)
        if (username, password) != (USERNAME, PASSWORD + SECURITY_TOKEN):
            fault = (
                '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
                'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
                'xmlns:sf="urn:fault.partner.soap.sforce.com" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>'
                "<faultcode>INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, "
                "password, security token; or user locked out.</faultstring><detail>"
                '<sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode>'
                "<sf:exceptionMessage>Invalid username, password, security token; or user locked out."
                "</sf:exceptionMessage></sf:LoginFault></detail></soapenv:Fault></soapenv:Body>"
                "</soapenv:Envelope>"
            )
            return 500, fault.encode(), {}, "text/xml; charset=utf-8"
        session = self._new_session()
        response = (
            '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
            'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result>'
            f"<metadataServerUrl>{self.advertised_url}/services/Soap/m/62.0/00D000000000001</metadataServerUrl>"
            "<passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
            f"<serverUrl>{self.advertised_url}/services/Soap/u/62.0/00D000000000001</serverUrl>"
            f"<sessionId>{session}</sessionId><userId>005000000000001AAA</userId>"
            "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
        )
        return 200, response.encode(), {}, "text/xml; charset=utf-8"

    def _token(self, request: Request) -> tuple[int, bytes, dict[str, str], str]:
        form = {k: v[0] for k, v in parse_qs(request.body.decode()).items()}
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            try:
                claims = jwt.decode(
                    form.get("assertion", ""),
                    self.public_key,
                    algorithms=["RS256"],
                    audience="https://login.salesforce.com",
                )
            except jwt.PyJWTError as exc:
                return _json(
                    400, {"error": "invalid_grant", "error_description": f"invalid assertion: {exc}"}
                )
            if (claims.get("iss"), claims.get("sub")) != (CONSUMER_KEY, USERNAME):
                return _json(
                    400, {"error": "invalid_grant", "error_description": "user hasn't approved this consumer"}
                )
        elif grant == "client_credentials":
            expected = base64.b64encode(f"{CONSUMER_KEY}:{CONSUMER_SECRET}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {expected}":
                return _json(
                    400, {"error": "invalid_client", "error_description": "invalid client credentials"}
                )
        else:
            return _json(
                400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
            )
        body = {
            "access_token": self._new_session(),
            "instance_url": self.advertised_url,
            "id": f"{self.url}/id/00D000000000001/005000000000001AAA",
            "token_type": "Bearer",
            "issued_at": str(int(time.time() * 1000)),
            "signature": "c2lnbmF0dXJl",
        }
        return _json(200, body)

    def _new_session(self) -> str:
        session = f"00D000000000001!AR{uuid.uuid4().hex}"
        self.sessions.add(session)
        return session

    # --- SOQL ---------------------------------------------------------------------------------

    def _select(
        self, soql: str, include_deleted: bool
    ) -> tuple[SObject, list[str] | None, list[dict]] | tuple:
        match = _SOQL.match(soql.strip())
        if not match:
            return _json(400, [{"message": f"unexpected token: {soql[:40]}", "errorCode": "MALFORMED_QUERY"}])
        obj = self.sobjects.get(match.group("obj").lower())
        if obj is None:
            message = (
                f"\n{soql[:60]}\n^\nERROR at Row:1:Column:1\nsObject type '{match.group('obj')}' is not "
                "supported. If you are attempting to use a custom object, be sure to append the '__c' "
                "after the entity name."
            )
            return _json(400, [{"message": message, "errorCode": "INVALID_TYPE"}])
        known = {f["name"].lower(): f["name"] for f in obj.fields}
        selected = None
        if match.group("fields").strip() != "COUNT()":
            selected = []
            for name in (n.strip() for n in match.group("fields").split(",")):
                if name.lower() not in known:
                    message = (
                        f"\n{soql[:60]}\n^\nERROR at Row:1:Column:8\nNo such column '{name}' on entity "
                        f"'{obj.name}'. If you are attempting to use a custom field, be sure to append the "
                        "'__c' after the custom field name."
                    )
                    return _json(400, [{"message": message, "errorCode": "INVALID_FIELD"}])
                selected.append(known[name.lower()])
        conditions = []
        for term in (match.group("where") or "").split(" AND "):
            if not term.strip():
                continue
            name, op, value = re.match(r"^\s*(\w+)\s*(>=|<=|<|>|=)\s*(\S+)\s*$", term).groups()
            conditions.append((known[name.lower()], op, _literal(value)))
        rows = [
            r
            for r in obj.rows.values()
            if (include_deleted or not r["IsDeleted"])
            and all(_compare(r.get(n), op, v) for n, op, v in conditions)
        ]
        order = [o.strip().split()[0] for o in (match.group("order") or "").split(",") if o.strip()]
        rows.sort(
            key=lambda r: tuple((r.get(known[o.lower()]) is None, r.get(known[o.lower()])) for o in order)
        )
        return obj, selected, rows

    def _query(self, soql: str, include_deleted: bool) -> tuple[int, bytes, dict[str, str], str]:
        selected = self._select(soql, include_deleted)
        if len(selected) == 4:
            return selected
        obj, names, rows = selected
        if names is None:
            return _json(200, {"totalSize": len(rows), "done": True, "records": []})
        locator = f"01g{uuid.uuid4().hex[:15]}"
        self._cursors[locator] = (rows, names, obj.name, include_deleted)
        return self._page(f"{locator}-0")

    def _page(self, ref: str) -> tuple[int, bytes, dict[str, str], str]:
        locator, _, offset = ref.rpartition("-")
        if locator not in self._cursors:
            return _json(400, [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}])
        rows, names, sobject, deleted = self._cursors[locator]
        start = int(offset)
        page = rows[start : start + self.rest_page]
        body: dict[str, Any] = {
            "totalSize": len(rows),
            "done": start + self.rest_page >= len(rows),
            "records": [_record(sobject, r, names) for r in page],
        }
        if not body["done"]:
            endpoint = "queryAll" if deleted else "query"
            body["nextRecordsUrl"] = f"/services/data/v62.0/{endpoint}/{locator}-{start + self.rest_page}"
        return _json(200, body)

    # --- Bulk 2.0 -----------------------------------------------------------------------------

    def _bulk(self, request: Request, parts: list[str]) -> tuple[int, bytes, dict[str, str], str]:
        if not parts and request.method == "POST":
            spec = json.loads(request.body)
            selected = self._select(spec["query"], spec.get("operation") == "queryAll")
            if len(selected) == 4:
                return selected
            _obj, names, rows = selected
            job_id = f"750{next(self._ids):015d}"
            self.jobs[job_id] = {"rows": rows, "names": names, "polls": 0, "spec": spec}
            return _json(200, self._job_info(job_id, "UploadComplete"))
        job = self.jobs.get(parts[0]) if parts else None
        if job is None:
            return _json(
                404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
            )
        if len(parts) == 1:
            job["polls"] += 1
            if job["polls"] <= self.bulk_in_progress_polls:
                return _json(200, self._job_info(parts[0], "InProgress"))
            if self.bulk_fails_with:
                return _json(
                    200, {**self._job_info(parts[0], "Failed"), "errorMessage": self.bulk_fails_with}
                )
            return _json(200, self._job_info(parts[0], "JobComplete"))
        if parts[1:] == ["results"]:
            if job["polls"] <= self.bulk_in_progress_polls:
                return _json(400, [{"message": "job not complete", "errorCode": "INVALIDJOBSTATE"}])
            query = request.query
            start = int(base64.b64decode(query["locator"]).decode()) if query.get("locator") else 0
            size = int(query.get("maxRecords", 50_000))
            page = job["rows"][start : start + size]
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(job["names"])
            writer.writerows([_csv_value(r.get(n)) for n in job["names"]] for r in page)
            more = start + size < len(job["rows"])
            locator = base64.b64encode(str(start + size).encode()).decode() if more else "null"
            headers = {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(page))}
            return 200, out.getvalue().encode(), headers, "text/csv"
        return _json(404, [{"message": "no such resource", "errorCode": "NOT_FOUND"}])

    def _job_info(self, job_id: str, state: str) -> dict[str, Any]:
        return {
            "id": job_id,
            "operation": self.jobs[job_id]["spec"].get("operation", "query"),
            "object": "",
            "createdById": "005000000000001AAA",
            "state": state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": 62.0,
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
        }


_SOQL = re.compile(
    r"^SELECT (?P<fields>.+?) FROM (?P<obj>\w+)(?: WHERE (?P<where>.+?))?(?: ORDER BY (?P<order>.+))?$"
)


def _describe_field(name: str, kind: str) -> dict[str, Any]:
    """A describe `fields[]` entry from `type`, `type(p,s)` or `type:CompoundName`."""
    kind, _, compound = kind.partition(":")
    precision = scale = 0
    if "(" in kind:
        kind, _, args = kind.partition("(")
        precision, scale = (int(a) for a in args.rstrip(")").split(","))
    return {
        "name": name,
        "label": name,
        "type": kind,
        "soapType": f"xsd:{kind}",
        "precision": precision,
        "scale": scale,
        "length": 255 if kind in ("string", "textarea", "picklist") else 0,
        "digits": 0,
        "compoundFieldName": compound or None,
        "nillable": name != "Id",
        "custom": name.endswith("__c"),
        "filterable": kind not in ("address", "location"),
    }


def _literal(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _compare(value: Any, op: str, want: Any) -> bool:
    if value is None:
        return False
    return {
        ">=": value >= want,
        "<": value < want,
        ">": value > want,
        "<=": value <= want,
        "=": value == want,
    }[op]


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return (
            value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(_json_value(value))


def _record(sobject: str, row: dict[str, Any], names: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {
        "attributes": {"type": sobject, "url": f"/services/data/v62.0/sobjects/{sobject}/{row['Id']}"}
    }
    record.update({n: _json_value(row.get(n)) for n in names})
    return record


class _Encoder(json.JSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, decimal.Decimal):
            return float(o)
        return super().default(o)


def _json(status: int, body: Any) -> tuple[int, bytes, dict[str, str], str]:
    return status, json.dumps(body, cls=_Encoder).encode(), {}, "application/json;charset=UTF-8"


def _handler(server: SalesforceServer) -> type[WireHandler]:
    class Handler(WireHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def _serve(self) -> None:
            raw = self.read_body()
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            status, data, extra, content_type = server.respond(
                Request(self.command, url.path, query, raw, self.lower_headers())
            )
            self.reply(status, data, {"Content-Type": content_type, **extra})

    return Handler
