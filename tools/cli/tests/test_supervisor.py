"""The supervisor with stand-in services: ready, fail fast, restart, nothing left after stop."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import httpx
import pytest
from tradeplane.cli.probe import StartupError, free_port
from tradeplane.cli.services import service_specs
from tradeplane.cli.supervisor import Supervisor

WaitGone = Callable[[Iterable[int]], list[int]]
Command = Callable[[str], list[str]]


@pytest.fixture
def make_supervisor(tmp_path: Path, fake_command: Command) -> Iterator[Callable[..., Supervisor]]:
    made: list[Supervisor] = []

    def make(kinds: Iterable[str] = ("risk", "gateway"), env: dict[str, str] | None = None) -> Supervisor:
        specs = service_specs(list(kinds), port_of=lambda _: free_port(), env=env or {}, command=fake_command)
        supervisor = Supervisor(specs, output_for=lambda spec: tmp_path / f"{spec.name}.log", stop_timeout=5)
        made.append(supervisor)
        return supervisor

    yield make
    for supervisor in made:
        supervisor.stop()


@pytest.fixture
def started(make_supervisor: Callable[..., Supervisor]) -> Callable[..., Supervisor]:
    """`make_supervisor`, then start every service it runs."""

    def start(*args: object, **kwargs: object) -> Supervisor:
        supervisor = make_supervisor(*args, **kwargs)
        supervisor.start()
        return supervisor

    return start


def test_services_answer_readyz_once_waited_for(started: Callable[..., Supervisor]) -> None:
    supervisor = started()

    supervisor.wait_ready(30)

    assert httpx.get(supervisor.specs["gateway"].ready_url).status_code == 200


def test_wait_ready_keeps_polling_until_a_slow_service_is_ready(
    started: Callable[..., Supervisor],
) -> None:
    supervisor = started(["risk"], env={"FAKE_READY_AFTER": "0.5"})

    supervisor.wait_ready(30)

    assert httpx.get(supervisor.specs["risk"].ready_url).status_code == 200


def test_service_exiting_during_start_fails_fast_naming_it(
    started: Callable[..., Supervisor],
) -> None:
    supervisor = started(["pnl"], env={"FAKE_EXIT_AFTER": "0", "FAKE_READY_AFTER": "60"})

    with pytest.raises(StartupError, match="pnl exited with 3"):
        supervisor.wait_ready(30)


def test_exited_reports_a_service_that_died(started: Callable[..., Supervisor]) -> None:
    supervisor = started()
    supervisor.wait_ready(30)

    supervisor.kill("risk")

    exited = supervisor.exited()
    assert exited is not None and exited.name == "risk"


def test_restart_brings_a_killed_service_back_as_a_new_process(
    started: Callable[..., Supervisor],
) -> None:
    supervisor = started()
    supervisor.wait_ready(30)
    old_pid = supervisor.processes["risk"].pid
    supervisor.kill("risk")

    supervisor.restart("risk", 30)

    assert supervisor.processes["risk"].pid != old_pid and supervisor.exited() is None


def test_stop_leaves_no_service_process(started: Callable[..., Supervisor], wait_gone: WaitGone) -> None:
    supervisor = started(["risk", "execution", "gateway"])
    supervisor.wait_ready(30)
    pids = [proc.pid for proc in supervisor.processes.values()]

    supervisor.stop()

    assert wait_gone(pids) == []
