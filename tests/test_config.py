"""entragit.yaml: round trip, clouds, environment overrides, refusal of secrets and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from entragit import config
from entragit.config import Config, ConfigError

# `entragit init` takes GUIDs (or a domain name for the tenant) only: issue 8, item 5.
TENANT = "3f6a1c2e-8b4d-4e7a-9c1f-5d2b8a6e4c90"
CLIENT = "7d1f3e5a-2c4b-4a9e-8f6d-0b1c2d3e4f5a"


def test_round_trip_keeps_every_setting(tmp_path: Path) -> None:
    cfg = Config(
        tenant_id="t-1",
        client_id="c-1",
        auth="certificate",
        cloud="usgov",
        include_types=["users", "groups"],
        exclude_types=["oauth2PermissionGrants"],
        exclude_attributes={"users": ["employeeId"]},
    )
    config.save(tmp_path, cfg)
    assert config.load(tmp_path) == cfg


@pytest.mark.parametrize(
    ("cloud", "graph", "authority"),
    [
        ("global", "https://graph.microsoft.com", "https://login.microsoftonline.com"),
        ("usgov", "https://graph.microsoft.us", "https://login.microsoftonline.us"),
        ("china", "https://microsoftgraph.chinacloudapi.cn", "https://login.chinacloudapi.cn"),
    ],
)
def test_cloud_sets_graph_and_authority_hosts(cloud: str, graph: str, authority: str) -> None:
    cfg = Config(tenant_id="t", client_id="c", cloud=cloud)
    assert cfg.effective_graph_url == graph
    assert cfg.effective_authority_host == authority


def test_environment_overrides_the_file() -> None:
    cfg = Config(tenant_id="t", client_id="c", cloud="china")
    env = {
        "ENTRAGIT_GRAPH_URL": "https://127.0.0.1:8443/",
        "AZURE_AUTHORITY_HOST": "https://127.0.0.1:8443",
        "AZURE_TENANT_ID": "t-env",
        "AZURE_CLIENT_ID": "c-env",
    }
    eff = cfg.with_env(env)
    assert eff.effective_graph_url == "https://127.0.0.1:8443"
    assert eff.effective_authority_host == "https://127.0.0.1:8443"
    assert (eff.tenant_id, eff.client_id) == ("t-env", "c-env")
    assert cfg.with_env({}).effective_graph_url == "https://microsoftgraph.chinacloudapi.cn"


@pytest.mark.parametrize("key", ["client_secret", "password", "AZURE_CLIENT_SECRET", "access_token"])
def test_a_secret_in_the_file_is_refused(tmp_path: Path, key: str) -> None:
    (tmp_path / "entragit.yaml").write_text(f"tenant_id: t\nclient_id: c\n{key}: hunter2\n")
    with pytest.raises(ConfigError) as err:
        config.load(tmp_path)
    msg = str(err.value)
    assert "entragit.yaml" in msg and key in msg and "secret" in msg
    assert "hunter2" not in msg


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("tenant_id: [unclosed\n", "not valid YAML"),
        ("- a\n- b\n", "mapping"),
        ("client_id: c\n", "tenant_id is missing"),
        ("tenant_id: t\nclient_id: c\nauth: kerberos\n", "auth must be one of"),
        ("tenant_id: t\nclient_id: c\ncloud: mars\n", "cloud must be one of"),
        ("tenant_id: t\nclient_id: c\ncolour: blue\n", "unknown key 'colour'"),
        ("tenant_id: t\nclient_id: c\nexclude_types: users\n", "exclude_types must be a list"),
    ],
)
def test_bad_file_is_one_line_naming_the_file(tmp_path: Path, text: str, problem: str) -> None:
    (tmp_path / "entragit.yaml").write_text(text)
    with pytest.raises(ConfigError) as err:
        config.load(tmp_path)
    msg = str(err.value)
    assert "entragit.yaml" in msg and problem in msg
    assert "\n" not in msg


def test_missing_file_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="entragit init"):
        config.load(tmp_path)


def test_saved_file_lists_the_tenant_first_and_init_twice_is_fine(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from entragit.cli import cli

    args = ["init", "--repo", str(tmp_path / "r"), "--tenant-id", TENANT, "--client-id", CLIENT]
    assert CliRunner().invoke(cli, args).exit_code == 0
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0, again.output
    text = (tmp_path / "r" / "entragit.yaml").read_text()
    assert [ln.split(":")[0] for ln in text.splitlines()[1:3]] == ["tenant_id", "client_id"]
    assert "secret" not in text.split("\n", 1)[1].replace("auth: secret", "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tenant_id: [oops\n", r"entragit.yaml: not valid YAML: line 2, column 1: expected ',' or '\]'"),
        ("", "entragit.yaml: is empty; run `entragit init`"),
        (
            "tenant_id: t\nclient_id: c\nexclude_types: [userz]\n",
            "exclude_types: unknown type 'userz'; valid types include users; ",
        ),
        ("tenant_id: t\nclient_id: c\ninclude_types: [Users]\n", "include_types: unknown type 'Users'"),
        (
            "tenant_id: t\nclient_id: c\nexclude_attributes: {userz: [mobilePhone]}\n",
            "exclude_attributes: unknown type 'userz'",
        ),
        (
            "tenant_id: t\nclient_id: c\nexclude_attributes: {users: [mobilephone]}\n",
            "users has no backed-up attribute 'mobilephone'",
        ),
        (
            "tenant_id: t\nclient_id: c\nexclude_attributes: {users: [userPrincipalName]}\n",
            "users.userPrincipalName identifies the object",
        ),
    ],
)
def test_a_broken_entragit_yaml_is_one_line_naming_the_file_and_the_key(
    tmp_path: Path, text: str, expected: str
) -> None:
    """A misspelt type or attribute would otherwise silently back up what the admin meant to leave out."""
    (tmp_path / "entragit.yaml").write_text(text)
    with pytest.raises(ConfigError, match=expected) as err:
        config.load(tmp_path)
    assert "\n" not in str(err.value) and len(str(err.value)) < 400


def test_excluding_a_relationship_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "entragit.yaml").write_text(
        "tenant_id: t\nclient_id: c\nexclude_attributes: {groups: [owners]}\n"
    )
    assert config.load(tmp_path).exclude_attributes == {"groups": ["owners"]}


def test_a_restore_app_signs_in_with_its_own_prefixed_credentials(tmp_path: Path) -> None:
    """Least privilege (issue 10): restore_client_id/restore_auth name the restore app; its credentials are
    the usual variables with a RESTORE_ prefix, and the backup app's are not passed on to it."""
    restore_app = "0f1e2d3c-4b5a-4969-8877-665544332211"
    cfg = Config(
        tenant_id=TENANT, client_id=CLIENT, restore_client_id=restore_app, restore_auth="certificate"
    )
    config.save(tmp_path, cfg)
    assert config.load(tmp_path) == cfg
    env = {
        "AZURE_CLIENT_SECRET": "backup-secret",
        "RESTORE_AZURE_CLIENT_CERTIFICATE_PATH": "/keys/restore.pem",
        "AZURE_AUTHORITY_HOST": "https://login.example",
    }
    restoring, restore_env = cfg.for_restore(env)
    assert (restoring.client_id, restoring.auth) == (restore_app, "certificate")
    assert restore_env == {
        "AZURE_CLIENT_CERTIFICATE_PATH": "/keys/restore.pem",
        "AZURE_AUTHORITY_HOST": "https://login.example",
        "RESTORE_AZURE_CLIENT_CERTIFICATE_PATH": "/keys/restore.pem",
    }
    plain = Config(tenant_id=TENANT, client_id=CLIENT)
    assert plain.for_restore(env) == (plain, env)  # no restore app: the backup app restores
    by_env, _ = plain.for_restore({**env, "RESTORE_AZURE_CLIENT_ID": restore_app})
    assert by_env.with_env(_).client_id == restore_app
    (tmp_path / "entragit.yaml").write_text(
        f"tenant_id: {TENANT}\nclient_id: {CLIENT}\nrestore_auth: magic\n"
    )
    with pytest.raises(ConfigError, match="restore_auth must be one of"):
        config.load(tmp_path)
