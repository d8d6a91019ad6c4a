"""Development secrets: generated once, private, stable across starts, overridable by the environment."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

from tradeplane.cli import devsecrets
from tradeplane.contracts import permissions
from tradeplane.runtime import crypto


def test_first_start_writes_every_secret_readable_only_by_owner(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    devsecrets.load_or_create(path, overrides={})

    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_later_starts_reuse_the_same_secrets(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    first = devsecrets.load_or_create(path, overrides={})

    assert devsecrets.load_or_create(path, overrides={}) == first


def test_master_key_decodes_to_32_bytes(tmp_path: Path) -> None:
    secrets = devsecrets.load_or_create(tmp_path / "secrets.env", overrides={})

    assert len(base64.urlsafe_b64decode(secrets["TP_MASTER_KEY"])) == 32


def test_missing_secret_is_added_without_changing_the_others(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    path.write_text("TP_JWT_SECRET=kept\n")

    secrets = devsecrets.load_or_create(path, overrides={})

    expected = set(devsecrets.GENERATORS) | {devsecrets.EXECUTION_PUBLIC_KEY}
    assert secrets["TP_JWT_SECRET"] == "kept" and set(secrets) == expected


def test_environment_value_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    devsecrets.load_or_create(path, overrides={})

    secrets = devsecrets.load_or_create(path, overrides={"TP_ADMIN_PASSWORD": "from-env"})

    assert secrets["TP_ADMIN_PASSWORD"] == "from-env"


def test_every_nats_user_gets_its_own_password(tmp_path: Path) -> None:
    secrets = devsecrets.load_or_create(tmp_path / "secrets.env", overrides={})

    passwords = devsecrets.nats_passwords(secrets)

    assert set(passwords) == set(permissions.ALL_USERS)
    assert len(set(passwords.values())) == len(passwords)


def test_the_gateway_gets_the_public_key_that_opens_with_executions_private_key(tmp_path: Path) -> None:
    secrets = devsecrets.load_or_create(tmp_path / "secrets.env", overrides={})

    sealed = crypto.seal(secrets[devsecrets.EXECUTION_PUBLIC_KEY], b"api secret")

    assert crypto.open_sealed(secrets[devsecrets.EXECUTION_PRIVATE_KEY], sealed) == b"api secret"
