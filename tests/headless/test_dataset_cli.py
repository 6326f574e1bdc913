"""`tf-tui datasets` and `tf-tui dataset upload` as a user runs them: real processes against the real server
(a scripted one only for a 415 and a server that dies mid-upload, which the reference server never does)."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import struct
import subprocess
import termios

import pytest

from tests.conftest import cli_environment, tf_tui_command
from tests.faulty_http import Fault, faulty_http
from tests.headless.test_headless_cli import assert_no_traceback, read_terminal
from tf_tui.server.datasets import MAX_UPLOAD_BYTES


def jsonl_file(path, count: int = 200):
    path.write_text("".join(json.dumps({"instruction": "Echo", "output": f"word {n}"}) + "\n" for n in range(count)))
    return path


def listed(cli, url: str) -> dict[str, dict]:
    result = cli("datasets", "--json", url=url)
    assert result.returncode == 0, result.stderr
    return {entry["id"]: entry for entry in json.loads(result.stdout)}


def test_an_uploaded_jsonl_file_is_listed_and_trained_on(server, cli, tmp_path):
    upload = cli("dataset", "upload", str(jsonl_file(tmp_path / "echo.jsonl")), "--name", "Echo", url=server.url)
    assert upload.returncode == 0, upload.stderr
    (line,) = upload.stdout.splitlines()  # not a terminal: no progress bar, one line
    assert line.startswith("Uploaded: dataset ") and line.endswith(", 200 rows, no PII found")
    dataset_id = line.split()[2].rstrip(",")
    entry = listed(cli, server.url)[dataset_id]
    assert (entry["name"], entry["rows"], entry["source"], entry["pii_masked"]) == ("Echo", 200, "upload", False)

    table = cli("datasets", url=server.url)
    assert table.stdout.split()[:6] == ["ID", "NAME", "SOURCE", "ROWS", "PII", "MASKED"]
    (row,) = [row for row in table.stdout.splitlines() if row.startswith(dataset_id)]
    assert row.split()[1:5] == ["Echo", "upload", "200", "no"]

    trained = cli("start", "--model", "tiny", "--dataset", dataset_id, "--param", "max_steps=50", "--watch",
                  url=server.url)  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert "completed 100%" in trained.stdout.splitlines()[-1]


def test_json_upload_of_several_files_makes_one_dataset(server, cli, tmp_path):
    contacts = tmp_path / "contacts.txt"
    contacts.write_text("Write to ada@example.org.\n\nOr call +44 20 7946 0958.")
    result = cli("dataset", "upload", str(jsonl_file(tmp_path / "a.jsonl", 3)), str(contacts), "--json",
                 url=server.url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    reply = json.loads(result.stdout)  # the whole of stdout: no progress bar with --json
    assert reply["filename"] == "Multi-file dataset (2 files)" and reply["rows"] == 5 and reply["has_pii"] is True
    assert [each["filename"] for each in reply["processed_files"]] == ["a.jsonl", "contacts.txt"]
    assert listed(cli, server.url)[reply["dataset_id"]]["pii_masked"] is True


def test_on_a_terminal_a_bar_shows_the_bytes_sent(server, tmp_path):
    master, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
    # 1.4 MB: the bytes column says MB whatever the machine's speed (20,000 rows were 949 kB, and the MB the
    # test saw was the speed column's, which a loaded machine made kB/s).
    big = jsonl_file(tmp_path / "big.jsonl", 30_000)
    uploading = subprocess.Popen(
        tf_tui_command(server.url, "dataset", "upload", str(big)),
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.DEVNULL,
        env=cli_environment(tmp_path, {"TERM": "xterm-256color"}),
    )
    os.close(terminal)
    try:
        shown = read_terminal(master, lambda text: "Uploaded:" in text)
    finally:
        uploading.wait(timeout=60)
        os.close(master)
    assert "Uploading" in shown and "/1.4 MB" in shown and "%" in shown  # rich's bar, the percentage, the bytes
    assert "30000 rows" in shown
    assert uploading.returncode == 0


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda path: path, "no such file"),
        (lambda path: path.mkdir() or path, "is a directory"),
        (lambda path: path.write_bytes(b"") or path, "is empty"),
        (lambda path: os.mkfifo(path) or path, "not a regular file"),
    ],
    ids=["missing", "directory", "empty", "fifo"],
)
def test_a_path_that_cannot_be_uploaded_is_said_before_anything_is_sent(cli, tmp_path, make, words):
    with faulty_http() as backend:
        path = make(tmp_path / "data.jsonl")
        result = cli("dataset", "upload", str(path), url=backend.url)
        assert backend.requests == []
    assert result.returncode == 2
    assert words in result.stderr and str(path) in result.stderr
    assert_no_traceback(result)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_said_before_anything_is_sent(cli, tmp_path):
    secret = jsonl_file(tmp_path / "secret.jsonl")
    secret.chmod(0)
    with faulty_http() as backend:
        result = cli("dataset", "upload", str(secret), url=backend.url)
        assert backend.requests == []
    assert result.returncode == 2 and "permission denied" in result.stderr


def test_the_servers_refusals_are_said_in_words(server, cli, tmp_path):
    before = set(listed(cli, server.url))
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * (MAX_UPLOAD_BYTES + 1))
    binary = tmp_path / "weights.bin"
    binary.write_bytes(b"\x00\x01\x02\xff")
    # Over the limit by a byte: refused before it is sent, both sizes exact, since rounded they read the same.
    over = "huge.txt is 10,485,761 bytes; this server takes at most 10,485,760 bytes"
    for path, words in ((huge, (over,)), (binary, ("HTTP 422", "weights.bin", "not UTF-8"))):
        result = cli("dataset", "upload", str(path), url=server.url)
        assert result.returncode == 1, result.stdout
        assert all(word in result.stderr for word in words), result.stderr
        assert_no_traceback(result)
    assert set(listed(cli, server.url)) == before


def test_a_refused_file_type_is_said(cli, tmp_path):
    refused = Fault("415", 415, json.dumps({"detail": "Unsupported file type: application/pdf"}))
    with faulty_http() as backend:
        backend.fail("/dataset/ingest-single", refused)
        result = cli("dataset", "upload", str(jsonl_file(tmp_path / "a.pdf", 3)), url=backend.url)
    assert result.returncode == 1
    assert "HTTP 415" in result.stderr and "Unsupported file type: application/pdf" in result.stderr


def test_a_server_that_dies_mid_upload_is_said_and_the_upload_is_not_sent_again(cli, tmp_path):
    big = jsonl_file(tmp_path / "big.jsonl", 60_000)  # megabytes: the connection dies while it is sent
    with faulty_http() as backend:
        backend.fail("/dataset/ingest-single", Fault("die", action="die"))
        result = cli("dataset", "upload", str(big), url=backend.url)
        # The limit read first (none stated), then the upload once: never retried.
        assert backend.requests == ["GET /health", "POST /dataset/ingest-single"]
    assert result.returncode == 1
    assert "broke before the answer" in result.stderr and "not sent again" in result.stderr
    assert_no_traceback(result)


STATED_LIMIT = json.dumps({"status": "healthy", "service": "Talent Factory", "max_upload_bytes": MAX_UPLOAD_BYTES})


def test_a_file_over_the_stated_limit_is_refused_before_a_byte_is_sent(cli, tmp_path):
    big = tmp_path / "big.csv"
    with big.open("wb") as sparse:  # 200 MB on the file system's word, none of it written
        sparse.truncate(200_000_000)
    with faulty_http() as backend:
        backend.fail("/health", Fault("limit", 200, STATED_LIMIT))
        result = cli("dataset", "upload", str(big), url=backend.url)
        assert backend.requests == ["GET /health"]  # the limit read, nothing sent
    assert result.returncode == 1
    assert "big.csv is 200 MB; this server takes at most 10.5 MB" in result.stderr, result.stderr
    assert_no_traceback(result)


def test_a_413_anyway_names_the_sizes_it_knows(cli, tmp_path):
    data = jsonl_file(tmp_path / "a.jsonl", 2000)  # 92.9 kB
    too_large = Fault("413", 413, "Content Too Large", "text/plain")
    with faulty_http() as backend:
        backend.fail("/dataset/ingest-single", too_large)
        unstated = cli("dataset", "upload", str(data), url=backend.url)
        backend.fail("/health", Fault("limit", 200, STATED_LIMIT))
        stated = cli("dataset", "upload", str(data), url=backend.url)
    assert unstated.returncode == stated.returncode == 1
    assert (
        "a.jsonl is 92.9 kB; the server refused it as too large: POST /dataset/ingest-single: HTTP 413"
    ) in unstated.stderr, unstated.stderr
    assert "a.jsonl is 92.9 kB; the server refused it as too large (it says it takes at most 10.5 MB)" in stated.stderr
