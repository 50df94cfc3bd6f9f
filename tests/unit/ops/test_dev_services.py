"""The dev-services launcher's own logic, with real processes but no Kafka or Elasticsearch."""

import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from newswire.settings import DevServicesSettings
from newswire_ops.cli import main
from newswire_ops.dev_services.java import JavaNotFoundError, find_java_home, java_major_version
from newswire_ops.dev_services.kafka_server import KafkaServer, new_cluster_id
from newswire_ops.dev_services.processes import ManagedProcess, is_alive, service_marker
from newswire_ops.dev_services.server import DevServiceError, port_is_free


def _sleeper(marker_name: str, ignore_term: bool = False) -> list[str]:
    script = ("trap '' TERM; " if ignore_term else "") + "sleep 60 & wait"
    return ["sh", "-c", script, service_marker(marker_name)]


def test_a_started_process_is_tracked_by_its_pid_file_and_stopped_with_its_children(
    tmp_path: Path,
) -> None:
    process = ManagedProcess("sleeper", tmp_path)
    pid = process.start(_sleeper("sleeper"), env={"PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    children = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    ).stdout.split()

    assert process.running_pid() == pid
    assert process.stop(grace_s=5) is True
    assert not is_alive(pid)
    assert children, "the shell should have started its sleep child"
    assert not any(is_alive(int(child)) for child in children)
    assert not process.pid_file.exists()
    assert process.stop() is False


def test_a_process_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    process = ManagedProcess("stubborn", tmp_path)
    pid = process.start(_sleeper("stubborn", ignore_term=True), env={}, cwd=tmp_path)
    assert process.stop(grace_s=0.5) is True
    assert not is_alive(pid)


def test_a_pid_file_naming_a_stranger_process_is_treated_as_stale(tmp_path: Path) -> None:
    stranger = subprocess.Popen(["sleep", "30"])
    process = ManagedProcess("kafka", tmp_path)
    process.pid_file.write_text(f"{stranger.pid}\n")
    try:
        assert process.running_pid() is None
        assert not process.pid_file.exists()
        assert process.stop() is False
        assert is_alive(stranger.pid), "down must never signal a process it did not start"
    finally:
        stranger.kill()
        stranger.wait()


def test_a_restart_keeps_the_previous_log(tmp_path: Path) -> None:
    process = ManagedProcess("echoer", tmp_path)
    for word in ("first", "second"):
        pid = process.start(
            ["sh", "-c", f"echo {word}", service_marker("echoer")], env={}, cwd=tmp_path
        )
        while is_alive(pid):  # subprocess may reap it itself, so poll rather than waitpid
            time.sleep(0.01)
    assert process.log_file.with_name("echoer.log.1").read_text().strip() == "first"


def test_kafka_cluster_ids_are_22_url_safe_characters_not_starting_with_a_dash() -> None:
    for _ in range(200):
        cluster_id = new_cluster_id()
        assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_-]{21}", cluster_id)


def test_kafka_listens_on_loopback_only_with_single_replica_internal_topics(
    tmp_path: Path,
) -> None:
    settings = DevServicesSettings(home=tmp_path, kafka_port=19092, kafka_controller_port=19093)
    properties = dict(
        line.split("=", 1) for line in KafkaServer(settings).server_properties().splitlines()
    )
    assert properties["listeners"] == ("PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093")
    assert properties["process.roles"] == "broker,controller"
    assert properties["log.dirs"] == str(tmp_path / "kafka" / "data")
    assert properties["offsets.topic.replication.factor"] == "1"
    assert properties["transaction.state.log.replication.factor"] == "1"
    assert properties["group.initial.rebalance.delay.ms"] == "0"


def test_java_is_found_by_version_and_a_too_old_configured_jdk_is_refused() -> None:
    home = find_java_home(17)
    assert (java_major_version(home) or 0) >= 17
    with pytest.raises(JavaNotFoundError, match="Java 999"):
        find_java_home(999)
    with pytest.raises(JavaNotFoundError, match="is Java"):
        find_java_home(999, preferred=home)


def test_up_refuses_a_port_that_another_process_holds(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy_port = holder.getsockname()[1]
        assert not port_is_free(busy_port)
        settings = DevServicesSettings(home=tmp_path, kafka_port=busy_port)
        with pytest.raises(DevServiceError, match=f"{busy_port}"):
            KafkaServer(settings).up()


def test_status_exits_3_when_no_server_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NEWSWIRE_DEV_HOME", str(tmp_path))
    assert main(["dev-services", "status"]) == 3
    assert capsys.readouterr().out.splitlines() == ["kafka: stopped", "elasticsearch: stopped"]
