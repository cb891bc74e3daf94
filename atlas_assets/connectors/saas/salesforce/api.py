"""One Salesforce org through the official `simple-salesforce`: login, describe, SOQL pages, Bulk 2.0.

Imported only when a run extracts, never at definitions load. Every request goes through the
shared retry loop one at a time, so a throttled page is retried alone: pages are read with
`query` / `query_more` (not `query_all_iter`, whose pages cannot be retried one by one).
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import requests
import tenacity
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce, SalesforceLogin
from simple_salesforce.exceptions import SalesforceExpiredSession
from simple_salesforce.util import call_salesforce

from atlas_assets.config.settings import RetryConfig
from atlas_assets.connectors.errors import PermanentSourceError, TransientSourceError
from atlas_assets.connectors.http.retries import call_sdk_with_retries, wait_counter
from atlas_assets.connectors.saas.salesforce.credentials import Credentials
from atlas_assets.connectors.saas.salesforce.errors import error_code, salesforce_errors

T = TypeVar("T")

BULK_RUNNING = ("UploadComplete", "InProgress")
"""Bulk 2.0 query job states before `JobComplete` (or `Failed` / `Aborted`)."""


class LoginRedirect(HTTPAdapter):
    """Sends requests for `https://<domain>.salesforce.com/…` to `login_url` instead.

    simple-salesforce builds its login URLs (SOAP login, OAuth2 token) from `domain` alone, always
    on salesforce.com; a proxy or a test server stands in for that host through this adapter,
    while the SDK still writes every login request itself.
    """

    def __init__(self, prefix: str, login_url: str):
        super().__init__(max_retries=0)
        self.prefix = prefix
        self.login_url = login_url.rstrip("/")

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = request.url or ""
        request.url = self.login_url + url[len(self.prefix) :]
        return super().send(request, **kwargs)


class SalesforceApi:
    """One org's session; counts requests, pages, re-logins, retries, Bulk polls and API usage into
    `stats`. A session that expires mid-extraction (`INVALID_SESSION_ID`) logs in again once and
    repeats the request; a second one in a row is permanent."""

    def __init__(
        self,
        credentials: Credentials,
        api_version: str,
        login_url: str | None,
        instance_url: str | None,
        retry: RetryConfig,
        stats: dict[str, int | str],
    ):
        self.credentials = credentials
        self.api_version = api_version
        self.instance_url = instance_url
        self.retry = retry
        self.stats = stats
        for counter in ("requests", "pages", "logins", "bulk_polls"):
            stats.setdefault(counter, 0)
        self._waited = wait_counter(stats)
        self.secrets = credentials.secrets()
        self.session = requests.Session()
        if login_url:
            prefix = f"https://{credentials.domain}.salesforce.com"
            self.session.mount(prefix, LoginRedirect(prefix, login_url))
        self.sf = self._logged_in()

    # --- endpoints ----------------------------------------------------------------------------

    def describe(self, sobject: str) -> dict[str, Any]:
        """`GET /sobjects/{sobject}/describe`: the sObject's name and `fields[]`."""
        return self._call(lambda sf: sf.restful(f"sobjects/{sobject}/describe"), sobject)

    def limits(self) -> dict[str, Any]:
        """`GET /limits`: the org's API limits (one authenticated call)."""
        return self._call(lambda sf: sf.limits(), None)

    def count(self, sobject: str, where: str) -> int:
        """Rows matching `where` (`SELECT COUNT() …`: one request, its `totalSize`)."""
        body = self._call(lambda sf: sf.query(f"SELECT COUNT() FROM {sobject} WHERE {where}"), sobject)
        return int(body["totalSize"])

    def query_pages(self, sobject: str, soql: str, include_deleted: bool = False) -> Iterator[list[dict]]:
        """Every page of `soql` (`/query`, or `/queryAll` with deleted rows), following `nextRecordsUrl`."""
        page = self._call(lambda sf: sf.query(soql, include_deleted=include_deleted), sobject)
        while True:
            self._count("pages")
            yield page.get("records", [])
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            next_url = page["nextRecordsUrl"]
            page = self._call(lambda sf, u=next_url: sf.query_more(u, identifier_is_url=True), sobject)

    def bulk_query(
        self, sobject: str, soql: str, page_size: int, poll_seconds: float, timeout: float
    ) -> Iterator[bytes]:
        """A Bulk 2.0 query job's results, one CSV page (`maxRecords` rows) at a time.

        The SDK's `bulk2.<sObject>.query` polls and pages inside one generator, so a throttled
        page could not be retried alone, nor a session renewed; its endpoints are therefore called
        here one request at a time through the SDK's session and error handling (`call_salesforce`).
        Only one page is ever held: memory is bounded by `page_size`, not by the job's size.
        """
        job = self._bulk(sobject, "POST", "", json={"operation": "query", "query": soql}).json()
        self._count("bulk_jobs")
        self.stats["bulk_job"] = str(job["id"])
        self._await_job(sobject, job["id"], poll_seconds, timeout)
        locator: str | None = None
        while True:
            params: dict[str, Any] = {"maxRecords": page_size}
            if locator:
                params["locator"] = locator
            response = self._bulk(sobject, "GET", f"/{job['id']}/results", params=params, csv=True)
            self._count("pages")
            yield response.content
            locator = response.headers.get("Sforce-Locator")
            if not locator or locator == "null":
                return

    # --- plumbing -----------------------------------------------------------------------------

    def _await_job(self, sobject: str, job_id: str, poll_seconds: float, timeout: float) -> None:
        def state() -> dict[str, Any]:
            self._count("bulk_polls")
            return self._bulk(sobject, "GET", f"/{job_id}").json()

        polling = tenacity.Retrying(
            retry=tenacity.retry_if_result(lambda job: job.get("state") in BULK_RUNNING),
            wait=tenacity.wait_fixed(poll_seconds),
            stop=tenacity.stop_after_delay(timeout),
            retry_error_callback=lambda attempt: attempt.outcome.result() if attempt.outcome else {},
        )
        job = polling(state)
        if job.get("state") in BULK_RUNNING:
            raise TransientSourceError(
                f"Salesforce {sobject}: Bulk 2.0 job {job_id} still {job.get('state')} after {timeout:g} s "
                "(bulk_timeout_seconds)"
            )
        if job.get("state") != "JobComplete":
            raise PermanentSourceError(
                f"Salesforce {sobject}: Bulk 2.0 job {job_id} {job.get('state')}: "
                f"{job.get('errorMessage') or 'no error message'}"
            )

    def _bulk(
        self, sobject: str, method: str, path: str, csv: bool = False, **kwargs: Any
    ) -> requests.Response:
        def send(sf: Salesforce) -> requests.Response:
            headers = {
                "Authorization": f"Bearer {sf.session_id}",
                "Content-Type": "application/json",
                "Accept": "text/csv" if csv else "application/json",
            }
            response = call_salesforce(f"{sf.bulk2_url}query{path}", method, sf.session, headers, **kwargs)
            self._record_usage(Salesforce.parse_api_usage(response.headers.get("Sforce-Limit-Info") or ""))
            return response

        return self._call(send, sobject)

    def _call(self, send: Callable[[Salesforce], T], sobject: str | None) -> T:
        """One request, retried per the policy; an expired session logs in again once."""

        def attempt() -> T:
            self._count("requests")
            try:
                result = send(self.sf)
            except SalesforceExpiredSession as exc:
                if error_code(exc) != "INVALID_SESSION_ID":
                    raise
                self.sf = self._login()
                self._count("requests")
                result = send(self.sf)  # a second expired session is permanent
            self._record_usage(self.sf.api_usage)
            return result

        policy = salesforce_errors(sobject)
        return call_sdk_with_retries(attempt, self.retry, policy, self._waited, self.secrets)

    def _logged_in(self) -> Salesforce:
        policy = salesforce_errors(None)
        return call_sdk_with_retries(self._login, self.retry, policy, self._waited, self.secrets)

    def _login(self) -> Salesforce:
        """A new session through the SDK's login (SOAP, JWT bearer or client credentials)."""
        c = self.credentials
        self._count("requests")
        session_id, instance = SalesforceLogin(
            username=c.username,
            password=c.password,
            security_token=c.security_token,
            consumer_key=c.consumer_key,
            consumer_secret=c.consumer_secret if c.private_key is None else None,
            privatekey=c.private_key,
            domain=c.domain,
            sf_version=self.api_version,
            session=self.session,
        )
        self._count("logins")
        self.secrets.append(session_id)
        return Salesforce(
            session_id=session_id,
            instance_url=self.instance_url or f"https://{instance}",
            version=self.api_version,
            session=self.session,
            # Numbers as Salesforce wrote them: currency and percent land as exact decimals.
            parse_float=decimal.Decimal,
            object_pairs_hook=None,  # plain dicts: OrderedDict costs time on every record
        )

    def _record_usage(self, usage: Any) -> None:
        api = usage.get("api-usage") if usage else None
        if api is not None:
            self.stats["api_usage"] = f"{api.used}/{api.total}"

    def _count(self, counter: str) -> None:
        self.stats[counter] = int(self.stats.get(counter, 0)) + 1
