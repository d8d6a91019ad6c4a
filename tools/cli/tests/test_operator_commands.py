"""Operator commands: arguments, delegation to the services, partitions and where URLs come from."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from uuid import UUID

import pytest
from tradeplane.cli import delegate, main
from tradeplane.cli.delegate import KillswitchAction, killswitch_argv, user_create_argv
from tradeplane.cli.migrate import migrate_argv, migrations_dir
from tradeplane.cli.operator import database_url, nats_credentials, nats_url, operator_env
from tradeplane.cli.services import SERVICES
from tradeplane.cli.settings import StackSettings
from typer.testing import CliRunner

USER = UUID("1b2c3d4e-0000-4000-8000-000000000001")
runner = CliRunner()


class Delegated:
    """Stands in for the child process: records the command and environment instead of running it."""

    def __init__(self) -> None:
        self.argv: list[str] = []
        self.env: dict[str, str] = {}

    def __call__(self, argv: list[str], env: Mapping[str, str]) -> int:
        self.argv, self.env = argv, dict(env)
        return 0


@pytest.fixture
def delegated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Delegated:
    fake = Delegated()
    monkeypatch.setattr(delegate, "run", fake)
    monkeypatch.setenv("TP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("TP_NEW_USER_PASSWORD", raising=False)
    return fake


def test_partitions_prints_those_congruent_to_the_ordinal() -> None:
    result = runner.invoke(main.app, ["partitions", "--ordinal", "1", "--executors", "4"])

    assert (result.exit_code, result.output.strip()) == (0, "1,5,9,13")


def test_partitions_of_a_single_executor_is_the_whole_range() -> None:
    result = runner.invoke(
        main.app, ["partitions", "--ordinal", "0", "--executors", "1", "--partitions", "8"]
    )

    assert result.output.strip() == "0-7"


def test_partitions_refuses_an_executor_that_would_own_nothing() -> None:
    result = runner.invoke(main.app, ["partitions", "--ordinal", "17", "--executors", "20"])

    assert result.exit_code == 2


def test_partitions_refuses_an_ordinal_beyond_the_executor_count() -> None:
    result = runner.invoke(main.app, ["partitions", "--ordinal", "4", "--executors", "4"])

    assert result.exit_code == 2


def test_killswitch_delegates_to_the_risk_service_command() -> None:
    argv = killswitch_argv(KillswitchAction.ENGAGE, USER, "runaway bot", 5.0)

    assert argv == [
        sys.executable,
        "-m",
        "tradeplane.risk",
        "killswitch",
        "engage",
        "--user",
        str(USER),
        "--reason",
        "runaway bot",
        "--timeout",
        "5.0",
    ]


def test_global_killswitch_status_names_no_user_and_no_reason() -> None:
    argv = killswitch_argv(KillswitchAction.STATUS, None, None, 2.0)

    assert argv[4:] == ["status", "--timeout", "2.0"]


def test_killswitch_engage_without_reason_is_refused_before_asking_risk(delegated: Delegated) -> None:
    result = runner.invoke(main.app, ["killswitch", "engage"])

    assert result.exit_code == 2
    assert delegated.argv == []


def test_killswitch_rejects_an_unknown_action(delegated: Delegated) -> None:
    result = runner.invoke(main.app, ["killswitch", "pause", "--reason", "x"])

    assert result.exit_code == 2


def test_killswitch_rejects_a_user_that_is_not_a_uuid(delegated: Delegated) -> None:
    result = runner.invoke(main.app, ["killswitch", "status", "--user", "alice"])

    assert result.exit_code == 2


def test_killswitch_release_runs_risk_with_the_operator_environment(delegated: Delegated) -> None:
    result = runner.invoke(main.app, ["killswitch", "release", "--user", str(USER), "--reason", "fixed"])

    assert result.exit_code == 0
    assert delegated.argv[2:6] == ["tradeplane.risk", "killswitch", "release", "--user"]
    assert delegated.env["TP_NATS_URL"].startswith("nats://")


def test_user_create_builds_the_gateway_command_without_the_password() -> None:
    argv = user_create_argv("ann@example.com", "Ann", admin=True)

    assert argv[1:] == [
        "-m",
        "tradeplane.gateway",
        "user-create",
        "--email",
        "ann@example.com",
        "--name",
        "Ann",
        "--admin",
    ]


def test_user_create_prompts_twice_and_hands_the_password_over_in_the_environment(
    delegated: Delegated,
) -> None:
    result = runner.invoke(
        main.app, ["user", "create", "--email", "ann@example.com"], input="s3cret-Passw0rd\ns3cret-Passw0rd\n"
    )

    assert result.exit_code == 0
    assert delegated.env["TP_NEW_USER_PASSWORD"] == "s3cret-Passw0rd"
    assert "s3cret-Passw0rd" not in delegated.argv


def test_user_create_takes_the_password_from_the_environment_without_prompting(
    delegated: Delegated, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TP_NEW_USER_PASSWORD", "from-the-env-Passw0rd")

    result = runner.invoke(main.app, ["user", "create", "--email", "ann@example.com", "--admin"])

    assert result.exit_code == 0
    assert delegated.env["TP_NEW_USER_PASSWORD"] == "from-the-env-Passw0rd"
    assert delegated.argv[-1] == "--admin"


def test_user_create_requires_an_email(delegated: Delegated) -> None:
    result = runner.invoke(main.app, ["user", "create"])

    assert result.exit_code == 2


def test_migrate_rejects_an_unknown_service() -> None:
    result = runner.invoke(main.app, ["migrate", "billing"])

    assert result.exit_code == 2


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_ships_its_migrations_folder(service: str) -> None:
    folder = migrations_dir(service)

    assert folder is not None and (folder / "versions").is_dir()


def test_migrate_finds_no_folder_for_a_package_that_is_not_installed() -> None:
    assert migrations_dir("no_such_service") is None


def test_migration_command_keeps_the_database_url_out_of_argv() -> None:
    argv = migrate_argv(Path("/srv/migrations"))

    assert argv[0] == sys.executable and argv[-1] == "/srv/migrations"
    assert not any("postgresql" in part for part in argv)


def test_urls_default_to_the_embedded_stack(tmp_path: Path) -> None:
    settings = StackSettings(nats_url=None, database_url=None, nats_port=14222, postgres_port=15432)
    environ = {"TP_SECRETS_DIR": str(tmp_path)}

    assert nats_url(settings, environ) == "nats://127.0.0.1:14222"
    assert database_url(settings, environ) == "postgresql+psycopg://postgres@127.0.0.1:15432/tradeplane"


def test_database_url_comes_from_a_mounted_secret_file_when_not_in_the_environment(tmp_path: Path) -> None:
    (tmp_path / "TP_DATABASE_URL").write_text("postgresql://app:pw@db-rw:5432/tradeplane\n")
    settings = StackSettings(database_url=None)

    url = database_url(settings, {"TP_SECRETS_DIR": str(tmp_path)})

    assert url == "postgresql+psycopg://app:pw@db-rw:5432/tradeplane"


def test_environment_beats_development_secrets_file(tmp_path: Path) -> None:
    (tmp_path / "secrets.env").write_text("TP_JWT_SECRET=from-file\nTP_MASTER_KEY=file-key\n")
    settings = StackSettings(data_dir=tmp_path)

    env = operator_env(settings, {"TP_JWT_SECRET": "from-env", "TP_SECRETS_DIR": str(tmp_path / "none")})

    assert (env["TP_JWT_SECRET"], env["TP_MASTER_KEY"]) == ("from-env", "file-key")


def test_operator_env_does_not_create_a_development_secrets_file(tmp_path: Path) -> None:
    operator_env(StackSettings(data_dir=tmp_path), {"TP_SECRETS_DIR": str(tmp_path / "none")})

    assert not (tmp_path / "secrets.env").exists()


def test_delegated_commands_connect_to_nats_as_the_operator(tmp_path: Path) -> None:
    (tmp_path / "secrets.env").write_text("TP_NATS_PASSWORD_OPERATOR=op-pw\nTP_NATS_PASSWORD_RISK=risk-pw\n")

    env = operator_env(StackSettings(data_dir=tmp_path), {"TP_SECRETS_DIR": str(tmp_path / "none")})

    assert (env["TP_NATS_USER"], env["TP_NATS_PASSWORD"]) == ("operator", "op-pw")


def test_given_nats_credentials_win_over_the_development_operator(tmp_path: Path) -> None:
    (tmp_path / "secrets.env").write_text("TP_NATS_PASSWORD_OPERATOR=op-pw\n")
    environ = {"TP_NATS_USER": "ops", "TP_NATS_PASSWORD": "given", "TP_SECRETS_DIR": str(tmp_path / "none")}

    assert nats_credentials(StackSettings(data_dir=tmp_path), environ) == ("ops", "given")


def test_nats_credentials_come_from_mounted_secret_files_in_a_pod(tmp_path: Path) -> None:
    (tmp_path / "TP_NATS_PASSWORD_OPERATOR").write_text("mounted\n")
    environ = {"TP_SECRETS_DIR": str(tmp_path)}

    assert nats_credentials(StackSettings(data_dir=tmp_path / "data"), environ) == ("operator", "mounted")
