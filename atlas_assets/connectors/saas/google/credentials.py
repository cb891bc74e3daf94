"""Google credentials from the source's `credentials` secret: a JSON key file's path or its JSON.

A service account's key (`"type": "service_account"`) is exchanged for access tokens by a
signed JWT at its `token_uri`; an authorized user's (`"type": "authorized_user"`, what
`gcloud auth application-default login` writes) by its refresh token. Nothing of the JSON ever
reaches a message: errors say what is wrong with it, not what it holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from google.auth.credentials import Credentials

from atlas_assets.connectors.errors import PermanentSourceError

READONLY_SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets.readonly",
    "https://www.googleapis.com/auth/drive.readonly",
)


def credentials_info(text: str) -> dict[str, Any]:
    """The credentials JSON, read from the file `text` names unless `text` is the JSON itself."""
    if not text.lstrip().startswith("{"):
        path = Path(text).expanduser()
        try:
            text = path.read_text()
        except OSError as exc:
            raise PermanentSourceError(
                f"credentials: cannot read the key file {path}: {exc.strerror or exc}"
            ) from None
    try:
        info = json.loads(text)
    except ValueError:
        raise PermanentSourceError(
            "credentials: not valid JSON (give a service account's or authorized user's JSON key, "
            "or its path)"
        ) from None
    if not isinstance(info, dict):
        raise PermanentSourceError("credentials: the JSON is not an object")
    return info


def google_credentials(text: str) -> Credentials:
    """Read-only Sheets and Drive credentials from the `credentials` secret's text."""
    from google.oauth2 import credentials as user_credentials
    from google.oauth2 import service_account

    info = credentials_info(text)
    kind = info.get("type")
    try:
        if kind == "service_account":
            return service_account.Credentials.from_service_account_info(info, scopes=READONLY_SCOPES)
        if kind == "authorized_user":
            user = user_credentials.Credentials.from_authorized_user_info(info, scopes=READONLY_SCOPES)
            # google-auth sets Google's token endpoint whatever the JSON says; a JSON that names
            # its own (`Credentials.to_json()` writes it) is honoured, as a service account's is.
            return user.with_token_uri(info["token_uri"]) if info.get("token_uri") else user
    except (ValueError, KeyError) as exc:
        # google-auth names the missing fields or a key it cannot load, never their values.
        raise PermanentSourceError(f"credentials: {kind} JSON is not usable: {exc}") from None
    raise PermanentSourceError(
        f"credentials: `type` is {kind!r}; expected 'service_account' or 'authorized_user'"
    )


def secrets_in(text: str) -> list[str]:
    """The values a message must never show: the JSON, its private key and refresh token."""
    try:
        info = credentials_info(text)
    except PermanentSourceError:
        return [text]
    parts = [info.get(key) for key in ("private_key", "private_key_id", "client_secret", "refresh_token")]
    return [text, *(str(p) for p in parts if p)]
