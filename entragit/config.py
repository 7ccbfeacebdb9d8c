"""The backup repository's `entragit.yaml`: which tenant, which app, which cloud, what to leave out.

The file is committed with the backups, so it must never hold a secret: keys that look like one are refused
when loading and when saving, and credentials come only from the azure-identity environment variables.
Environment variables override the file so that one repository can be pointed at another endpoint (the
sandbox, a sovereign cloud) without editing it.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from entragit import yamlscreen
from entragit.errors import EntragitError

CONFIG_FILE = "entragit.yaml"

AUTH_METHODS = ("secret", "certificate", "federated", "managed-identity", "device-code")


@dataclass(frozen=True)
class Cloud:
    graph_url: str
    authority_host: str


CLOUDS: dict[str, Cloud] = {
    "global": Cloud("https://graph.microsoft.com", "https://login.microsoftonline.com"),
    "usgov": Cloud("https://graph.microsoft.us", "https://login.microsoftonline.us"),
    "china": Cloud("https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
}

# A key matching this is a credential that belongs in the environment, not in a git repository.
_SECRET_KEY = re.compile(
    r"secret|password|passwd|token|credential|private[_-]?key|api[_-]?key|assertion", re.I
)

_KNOWN_KEYS = (
    "tenant_id",
    "client_id",
    "auth",
    "cloud",
    "graph_url",
    "authority_host",
    "include_types",
    "exclude_types",
    "exclude_attributes",
    "attribution",
    "restore_client_id",
    "restore_auth",
    "custom_security_attributes",
    "pim_groups",
)

# A separate restore app (least privilege: the backup app needs no write permission) reads its credentials
# from the same variables as the backup app, each with this prefix: RESTORE_AZURE_CLIENT_SECRET, ...
RESTORE_PREFIX = "RESTORE_"
CREDENTIAL_VARIABLES = (
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
)


_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# A DNS name of at least two labels ending in a letters-only top-level label, as Entra's verified domains are.
_DOMAIN = re.compile(r"(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.I)


def is_guid(value: str) -> bool:
    return _GUID.fullmatch(value) is not None


def is_tenant(value: str) -> bool:
    """A tenant as the Microsoft identity platform accepts it: its directory id (a GUID) or one of its
    verified domain names (contoso.onmicrosoft.com, contoso.com)."""
    return is_guid(value) or _DOMAIN.fullmatch(value) is not None


class ConfigError(EntragitError):
    """entragit.yaml is missing, malformed or holds something it must not."""


@dataclass
class Config:
    """Settings of one backup repository; `graph_url`/`authority_host` left empty follow the cloud."""

    tenant_id: str
    client_id: str
    auth: str = "secret"
    cloud: str = "global"
    graph_url: str = ""
    authority_host: str = ""
    include_types: list[str] = field(default_factory=list)
    exclude_types: list[str] = field(default_factory=list)
    exclude_attributes: dict[str, list[str]] = field(default_factory=dict)
    attribution: bool = True  # each change committed as the actor the audit log names (attribution.py)
    restore_client_id: str = ""  # a separate app for restore and apply; empty: the backup app
    restore_auth: str = ""  # its auth method; empty: the backup app's
    # The values of custom security attributes on users and service principals: they gate access, so they are
    # backed up only when asked for (their sets and definitions always are).
    custom_security_attributes: bool = False
    # Object ids of groups under PIM for Groups that are not role-assignable: Graph v1.0 lists no groups under
    # PIM and lists their schedules one group at a time, so a backup reads the role-assignable groups' and
    # these (catalog `Scopes.named_by`).
    pim_groups: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for key, value in (("auth", self.auth), ("restore_auth", self.restore_auth or self.auth)):
            if value not in AUTH_METHODS:
                raise ConfigError(
                    f"{CONFIG_FILE}: {key} must be one of {', '.join(AUTH_METHODS)}, not {value!r}"
                )
        if self.cloud not in CLOUDS:
            raise ConfigError(f"{CONFIG_FILE}: cloud must be one of {', '.join(CLOUDS)}, not {self.cloud!r}")

    @property
    def effective_graph_url(self) -> str:
        return (self.graph_url or CLOUDS[self.cloud].graph_url).rstrip("/")

    @property
    def effective_authority_host(self) -> str:
        return (self.authority_host or CLOUDS[self.cloud].authority_host).rstrip("/")

    def with_env(self, env: Mapping[str, str] | None = None) -> Config:
        """A copy with the documented environment overrides applied (they win over the file)."""
        env = os.environ if env is None else env
        return Config(
            tenant_id=env.get("AZURE_TENANT_ID") or self.tenant_id,
            client_id=env.get("AZURE_CLIENT_ID") or self.client_id,
            auth=self.auth,
            cloud=self.cloud,
            graph_url=env.get("ENTRAGIT_GRAPH_URL") or self.graph_url,
            authority_host=env.get("AZURE_AUTHORITY_HOST") or self.authority_host,
            include_types=list(self.include_types),
            exclude_types=list(self.exclude_types),
            exclude_attributes={k: list(v) for k, v in self.exclude_attributes.items()},
            attribution=self.attribution,
            restore_client_id=self.restore_client_id,
            restore_auth=self.restore_auth,
            custom_security_attributes=self.custom_security_attributes,
            pim_groups=list(self.pim_groups),
        )

    @property
    def opted_in(self) -> frozenset[str]:
        """The settings that add sensitive properties to the backup (catalog `OptIn.setting`)."""
        return frozenset({"custom_security_attributes"} if self.custom_security_attributes else ())

    @property
    def signs_in_user(self) -> bool:
        """Whether the tokens are a signed-in user's (delegated) rather than the app's own: what the types
        Graph admits for users only (catalog `delegated_only`) need."""
        return self.auth == "device-code"

    def for_restore(self, env: Mapping[str, str] | None = None) -> tuple[Config, dict[str, str]]:
        """The settings and environment restore connects with: the restore app's client id, auth method and
        RESTORE_-prefixed credentials when a restore app is named (in the file or by
        RESTORE_AZURE_CLIENT_ID), else the backup app's. The backup app's credentials are then left out, so
        a missing restore credential fails as missing instead of signing in as the wrong app."""
        env = dict(os.environ if env is None else env)
        if not (self.restore_client_id or env.get(RESTORE_PREFIX + "AZURE_CLIENT_ID")):
            return self, env
        out = {k: v for k, v in env.items() if k not in CREDENTIAL_VARIABLES}
        for name in CREDENTIAL_VARIABLES:
            if RESTORE_PREFIX + name in env:
                out[name] = env[RESTORE_PREFIX + name]
        cfg = Config(
            **{
                **self.to_dict(),
                "client_id": self.restore_client_id or self.client_id,
                "auth": self.restore_auth or self.auth,
                "restore_client_id": "",
                "restore_auth": "",
            }
        )
        return cfg, out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "auth": self.auth,
            "cloud": self.cloud,
        }
        if self.graph_url:
            out["graph_url"] = self.graph_url
        if self.authority_host:
            out["authority_host"] = self.authority_host
        out["include_types"] = list(self.include_types)
        out["exclude_types"] = list(self.exclude_types)
        out["exclude_attributes"] = {k: list(v) for k, v in sorted(self.exclude_attributes.items())}
        if not self.attribution:
            out["attribution"] = False
        if self.restore_client_id:
            out["restore_client_id"] = self.restore_client_id
        if self.restore_auth:
            out["restore_auth"] = self.restore_auth
        if self.custom_security_attributes:
            out["custom_security_attributes"] = True
        if self.pim_groups:
            out["pim_groups"] = list(self.pim_groups)
        return out


def _yaml() -> YAML:
    y = YAML(typ="safe", pure=True)
    y.default_flow_style = False
    y.width = 4096
    y.representer.sort_base_mapping_type_on_output = False  # keep tenant_id, client_id... first
    return y


def _check_no_secrets(data: Mapping[str, Any], where: str) -> None:
    for key, value in data.items():
        if _SECRET_KEY.search(str(key)):
            raise ConfigError(
                f"{where}: key {key!r} looks like a secret; keep credentials in the environment "
                "(AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH, ...), never in the repository"
            )
        if isinstance(value, Mapping):
            _check_no_secrets(value, where)


def _str_list(data: Mapping[str, Any], key: str) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{CONFIG_FILE}: {key} must be a list of type names")
    return list(value)


def _unknown_type(name: str, valid: Mapping[str, Any]) -> str:
    """One line for a misspelt type: the closest valid names, and where the whole list is (two dozen
    names no longer fit one readable line)."""
    lower = {n.lower(): n for n in valid}
    close = [lower[m] for m in difflib.get_close_matches(name.lower(), list(lower), n=3, cutoff=0.6)]
    hint = f"valid types include {', '.join(close)}; " if close else ""
    return f"unknown type {name!r}; {hint}`entragit permissions --by-type` lists them all"


def _check_type_names(data: Mapping[str, Any], attrs: Mapping[str, Any]) -> None:
    """A misspelt type or attribute name must not silently back up (or skip) what the admin meant."""
    from entragit import catalog

    valid = {t.name: t for t in catalog.CATALOG}
    for key in ("include_types", "exclude_types"):
        for name in _str_list(data, key):
            if name not in valid:
                raise ConfigError(f"{CONFIG_FILE}: {key}: {_unknown_type(name, valid)}")
    for name, props in attrs.items():
        t = valid.get(str(name))
        if t is None:
            raise ConfigError(f"{CONFIG_FILE}: exclude_attributes: {_unknown_type(str(name), valid)}")
        known = {p.split(".")[0] for p in t.select} | {r.name for r in t.relationships}
        for prop in props:
            if prop not in known:
                raise ConfigError(
                    f"{CONFIG_FILE}: exclude_attributes: {name} has no backed-up attribute {prop!r}"
                )
            if prop in t.identity:
                raise ConfigError(
                    f"{CONFIG_FILE}: exclude_attributes: {name}.{prop} identifies the object (always kept)"
                )


def from_dict(data: Any) -> Config:
    """Validate a parsed entragit.yaml; every problem is one line naming the file and the key."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{CONFIG_FILE}: expected a mapping of settings at the top level")
    _check_no_secrets(data, CONFIG_FILE)
    unknown = [str(k) for k in data if k not in _KNOWN_KEYS]
    if unknown:
        raise ConfigError(f"{CONFIG_FILE}: unknown key {unknown[0]!r} (known: {', '.join(_KNOWN_KEYS)})")
    for key in ("tenant_id", "client_id"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ConfigError(f"{CONFIG_FILE}: {key} is missing or empty")
    for key in ("auth", "cloud", "graph_url", "authority_host", "restore_client_id", "restore_auth"):
        if key in data and not isinstance(data[key], str):
            raise ConfigError(f"{CONFIG_FILE}: {key} must be a string")
    attrs = data.get("exclude_attributes") or {}
    if not isinstance(attrs, Mapping) or not all(
        isinstance(v, list) and all(isinstance(a, str) for a in v) for v in attrs.values()
    ):
        raise ConfigError(
            f"{CONFIG_FILE}: exclude_attributes must map a type name to a list of attribute names"
        )
    _check_type_names(data, attrs)
    for key in ("attribution", "custom_security_attributes"):
        if not isinstance(data.get(key, key == "attribution"), bool):
            raise ConfigError(f"{CONFIG_FILE}: {key} must be true or false")
    return Config(
        tenant_id=data["tenant_id"].strip(),
        client_id=data["client_id"].strip(),
        auth=data.get("auth", "secret"),
        cloud=data.get("cloud", "global"),
        graph_url=data.get("graph_url", ""),
        authority_host=data.get("authority_host", ""),
        include_types=_str_list(data, "include_types"),
        exclude_types=_str_list(data, "exclude_types"),
        exclude_attributes={str(k): list(v) for k, v in attrs.items()},
        attribution=data.get("attribution", True),
        restore_client_id=data.get("restore_client_id", "").strip(),
        restore_auth=data.get("restore_auth", ""),
        custom_security_attributes=data.get("custom_security_attributes", False),
        pim_groups=_object_ids(data, "pim_groups"),
    )


def _object_ids(data: Mapping[str, Any], key: str) -> list[str]:
    """A list of object ids (GUIDs), lower case; anything else is one line naming the key and the value."""
    ids = _str_list(data, key)
    for value in ids:
        try:
            uuid.UUID(value)
        except ValueError:
            raise ConfigError(f"{CONFIG_FILE}: {key}: {value!r} is not an object id (a GUID)") from None
    return [i.strip().lower() for i in ids]


def load(repo_dir: str | Path) -> Config:
    """Read `entragit.yaml` from a backup repository (without environment overrides)."""
    path = Path(repo_dir) / CONFIG_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: not found; run `entragit init` in the backup repository first") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    unsafe = yamlscreen.problem(text)
    if unsafe is not None:
        raise ConfigError(f"{CONFIG_FILE}: {unsafe}")
    try:
        data = _yaml().load(text)
    except YAMLError as exc:
        raise ConfigError(f"{CONFIG_FILE}: not valid YAML: {_yaml_problem(exc)}") from None
    if data is None:
        raise ConfigError(f"{CONFIG_FILE}: is empty; run `entragit init` to write it again")
    return from_dict(data)


def _yaml_problem(exc: YAMLError) -> str:
    """`line L, column C: what` — the parser's own text spans several lines and repeats the input."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return where + " ".join(str(problem).split())


def dumps(config: Config) -> str:
    data = config.to_dict()
    _check_no_secrets(data, CONFIG_FILE)
    buf = io.StringIO()
    buf.write("# entragit backup settings. Never put a secret here: credentials come from the environment.\n")
    _yaml().dump(data, buf)
    return buf.getvalue()


def save(repo_dir: str | Path, config: Config) -> Path:
    path = Path(repo_dir) / CONFIG_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(dumps(config), encoding="utf-8")
    os.replace(tmp, path)
    return path
