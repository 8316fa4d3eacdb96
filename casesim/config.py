"""Where the simulator finds each LA's shared secrets.

In order, the first that is set wins:
1. a JSON file given with `--secrets FILE`, or named by CASESIM_SECRETS_FILE;
2. the JSON itself in CASESIM_SECRETS;
3. `<instance>/casesim-secrets.json`, if it exists;
4. the development secrets below (Northshire 938 and Southmoor 939, as in `demo seed`), which
   are printed in this source file and therefore only for a laptop.

The JSON maps LA codes to one secret, or to a list of two during a rotation:
    {"938": "…at least 32 characters…", "939": ["…old…", "…new…"]}
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path

from portal.connector.signing import check_secret

SECRETS_FILE_NAME = "casesim-secrets.json"
DATABASE_FILE_NAME = "casesim.sqlite3"

# Development only: `make demo` points the demo LAs at the simulator with these same values.
DEV_SECRETS: dict[str, tuple[str, ...]] = {
    "938": ("casesim-development-secret-938-not-for-production",),
    "939": ("casesim-development-secret-939-not-for-production",),
}


class SecretsError(ValueError):
    pass


def parse_secrets(data) -> dict[str, tuple[str, ...]]:
    """Check and normalise a mapping of LA code to secret(s). Messages never contain a secret."""
    if not isinstance(data, Mapping) or not data:
        raise SecretsError("the secrets must be a JSON object mapping LA codes to secrets")
    result = {}
    for la_code, value in data.items():
        if not isinstance(la_code, str) or not re.fullmatch(r"\d{3}", la_code):
            raise SecretsError("each key must be a 3-digit LA code")
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not 1 <= len(values) <= 2 or not all(isinstance(v, str) for v in values):
            raise SecretsError(f"LA {la_code}: give one secret, or a list of two during a rotation")
        try:
            result[la_code] = tuple(check_secret(v) for v in values)
        except ValueError as error:
            raise SecretsError(f"LA {la_code}: {error}") from None
    return result


def load_secrets(
    instance_path: Path,
    secrets_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[dict[str, tuple[str, ...]], str]:
    """The secrets and a few words saying where they came from (for the start-up message)."""
    environ = os.environ if environ is None else environ
    path = secrets_file or (Path(environ["CASESIM_SECRETS_FILE"]) if environ.get("CASESIM_SECRETS_FILE") else None)
    if path is not None:
        return parse_secrets(_read_json(path)), f"file {path}"
    if environ.get("CASESIM_SECRETS"):
        try:
            data = json.loads(environ["CASESIM_SECRETS"])
        except ValueError:
            raise SecretsError("CASESIM_SECRETS is not valid JSON") from None
        return parse_secrets(data), "CASESIM_SECRETS"
    default = Path(instance_path) / SECRETS_FILE_NAME
    if default.exists():
        return parse_secrets(_read_json(default)), f"file {default}"
    return dict(DEV_SECRETS), "the development secrets (not for production)"


def _read_json(path: Path):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SecretsError(f"secrets file not found: {path}") from None
    except ValueError:
        raise SecretsError(f"secrets file is not valid JSON: {path}") from None
