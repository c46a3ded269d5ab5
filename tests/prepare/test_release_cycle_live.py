"""plan reads the live release-cycle data; the bundled snapshot is the offline fallback,
said with a notice (a banner in release mode)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

import pytest

from cpython_release import phase

Cli = Callable[..., Any]
COMMIT = "a" * 40
SNAPSHOT = json.loads((resources.files("cpython_release") / "data/release-cycle.json").read_text())


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """A local stand-in for peps.python.org; ``answer`` says what it serves."""
    answer: dict[str, Any] = {"status": 200, "body": b""}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(answer["status"])
            self.send_header("Content-Length", str(len(answer["body"])))
            self.end_headers()
            self.wfile.write(answer["body"])

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(
        phase,
        "RELEASE_CYCLE_URL",
        f"http://127.0.0.1:{server.server_address[1]}/release-cycle.json",
    )
    monkeypatch.delenv(phase.ENV_VAR, raising=False)
    try:
        yield answer
    finally:
        server.shutdown()
        server.server_close()


def plan(cli: Cli, *extra: str) -> tuple[dict[str, Any], str]:
    r = cli("plan", "3.13.6", "--commit", COMMIT, *extra)
    assert r.code == 0, r.err
    return json.loads(r.out), r.err


def test_the_live_data_decides_the_phase(cli: Cli, served: dict[str, Any]) -> None:
    assert SNAPSHOT["3.13"]["status"] != "bugfix"  # so the phase shows which data was read
    live = {**SNAPSHOT, "3.13": {**SNAPSHOT["3.13"], "status": "bugfix"}}
    served["body"] = json.dumps(live).encode()
    data, err = plan(cli)
    assert data["phase"] == "bugfix"
    assert data["release_cycle"] == {"source": phase.RELEASE_CYCLE_URL, "notice": None}
    assert "snapshot" not in err


@pytest.mark.parametrize("trouble", ["error page", "not json", "unreachable"])
def test_the_snapshot_stands_in_loudly_in_release_mode(
    cli: Cli, served: dict[str, Any], monkeypatch: pytest.MonkeyPatch, trouble: str
) -> None:
    if trouble == "error page":
        served.update(status=503, body=b"busy")
    elif trouble == "not json":
        served["body"] = b"<html>maintenance</html>"
    else:
        monkeypatch.setattr(phase, "RELEASE_CYCLE_URL", "http://127.0.0.1:9/release-cycle.json")
    data, err = plan(cli)
    assert data["phase"] == SNAPSHOT["3.13"]["status"]
    assert "RELEASE MODE WITHOUT LIVE RELEASE-CYCLE DATA" in err and "!!!!" in err
    assert "bundled snapshot, which may be out of date" in err
    _, err = plan(cli, "--mode", "rehearsal")
    assert err.startswith("NOTICE: the live release-cycle data") and "!!!!" not in err


def test_bundled_names_the_snapshot(cli: Cli, served: dict[str, Any]) -> None:
    served.update(status=500)
    data, err = plan(cli, "--release-cycle", "bundled")
    assert data["phase"] == SNAPSHOT["3.13"]["status"] and "live" not in err


def test_an_oversized_answer_falls_back_to_the_snapshot(
    cli: Cli, served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(phase, "LIVE_MAX_BYTES", 1000)
    live = {**SNAPSHOT, "3.13": {**SNAPSHOT["3.13"], "status": "bugfix"}}
    served["body"] = json.dumps(live).encode()
    assert len(served["body"]) > 1000
    data, err = plan(cli, "--mode", "rehearsal")
    assert data["phase"] == SNAPSHOT["3.13"]["status"] and "more than 1000 bytes" in err


def test_a_slow_trickle_is_cut_by_the_total_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each read is quick (no per-read timeout fires), the whole is not: the snapshot."""

    class Trickle:
        def __enter__(self) -> Trickle:
            return self

        def __exit__(self, *a: object) -> None:
            pass

        def raise_for_status(self) -> None:
            pass

        def iter_content(self, _n: int) -> Iterator[bytes]:
            while True:
                clock[0] += 5.0  # five seconds per chunk
                yield b" "

    clock = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(
        "cpython_release.http.session",
        lambda **_k: type("S", (), {"get": lambda self, *a, **k: Trickle()})(),
    )
    monkeypatch.delenv(phase.ENV_VAR, raising=False)
    cycle, notice = phase.ReleaseCycle.load_live()
    assert cycle.source == "the bundled snapshot" and "not read within 20 s" in notice
    assert clock[0] <= phase.LIVE_DEADLINE + 5


def test_the_offline_notice_is_one_clean_line_and_part_of_the_plan(
    cli: Cli, served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unreachable: the reason is urllib3's innermost one, not its retry wrapper cut off."""
    monkeypatch.setattr(phase, "RELEASE_CYCLE_URL", "http://127.0.0.1:9/release-cycle.json")
    data, err = plan(cli, "--mode", "rehearsal")
    notice = data["release_cycle"]["notice"]  # in the plan itself (JSON, the step output)
    assert data["release_cycle"]["source"] == "the bundled snapshot"
    assert notice == (
        "the live release-cycle data could not be read from "
        "http://127.0.0.1:9/release-cycle.json (Failed to establish a new connection: "
        "[Errno 111] Connection refused); the release phase comes from the bundled "
        "snapshot, which may be out of date"
    )
    assert err.splitlines()[0] == f"NOTICE: {notice}"
    text = cli("plan", "3.13.6", "--commit", COMMIT, "--mode", "rehearsal", "--format", "text")
    assert text.code == 0 and "notice: the live release-cycle data" in text.out
    assert "NOTICE" not in text.err  # said once, with the plan


def test_quiet_silences_the_notice_but_not_the_release_warning(
    cli: Cli, served: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    served.update(status=503, body=b"busy")
    data, err = plan(cli, "-q", "--mode", "rehearsal")
    assert err == "" and "503 Server Error" in data["release_cycle"]["notice"]
    data, err = plan(cli, "-q")  # release mode: a warning is not a progress note
    lines = err.splitlines()
    assert len(lines) == 1 and "!!!!" not in err
    assert lines[0].startswith("warning: RELEASE MODE WITHOUT LIVE RELEASE-CYCLE DATA: the live")
    assert data["release_cycle"]["notice"].startswith("the live release-cycle data")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    _, err = plan(cli, "-q")
    assert "::warning title=Release-cycle data from the bundled snapshot::the live" in err
    assert summary.read_text().startswith("> **Warning:** the live release-cycle data")
