"""The reference server under a maintained API fuzzer: schemathesis generates requests from the server's
own OpenAPI schema, valid and invalid, and every answer must be no 5xx and match the schema.

A short run here, a long one under `make soak`. Neither may leave training going: the fuzzer's server
trains one run at a time, every run it started is stopped after each operation, and the server itself
is stopped at the end (which ends whatever is left).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
)

from tests.conftest import DEADLINE_S
from tf_tui.core.local_server import ServerProcess

SHORT_EXAMPLES = 12  # per operation: about 350 requests in all, in about 12 s
SOAK_EXAMPLES = 2_000
# Fewer answered requests than this means the fuzzer hardly ran, and its silence proves nothing.
MIN_REQUESTS = 300
# A request outside the schema must be refused too; but not a multipart one: every part of a form is text,
# and the fuzzer's "a boolean where a file was due" is a file holding the word `true`, which is a dataset.
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
JSON_CHECKS = [*CHECKS, negative_data_rejection]
ACCESS_LINE = re.compile(r'HTTP/1\.1" \d{3}')
FUZZ_SETTINGS = {"deadline": None, "suppress_health_check": list(HealthCheck), "derandomize": False}


@pytest.fixture(scope="module")
def fuzzed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("fuzzed"), max_concurrent=1)
    process.start(timeout=DEADLINE_S)
    try:
        yield process
    finally:
        process.stop()
    made = requests_made(process.log_path)
    print(f"\nThe fuzzer made {made:,} requests", file=sys.stderr)  # seen with -s; docs/RELIABILITY.md has them
    assert made >= MIN_REQUESTS


@pytest.fixture
def fuzzed_schema(fuzzed_server: ServerProcess) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_url(f"{fuzzed_server.url}/openapi.json")


@pytest.fixture(autouse=True)
def no_run_left_going(fuzzed_server: ServerProcess) -> Iterator[None]:
    yield
    with httpx.Client(base_url=fuzzed_server.url, trust_env=False, timeout=DEADLINE_S) as client:
        for train_id in client.get("/train/active").json()["active_trainings"]:
            client.post(f"/train/stop/{train_id}")


schema = schemathesis.pytest.from_fixture("fuzzed_schema")


@schema.parametrize()
@settings(max_examples=SHORT_EXAMPLES, **FUZZ_SETTINGS)
def test_the_fuzzer_finds_no_server_error_and_no_answer_outside_the_schema(case, fuzzed_server):
    fuzz(case, fuzzed_server)


@pytest.mark.soak
@schema.parametrize()
@settings(max_examples=SOAK_EXAMPLES, **FUZZ_SETTINGS)
def test_the_fuzzer_at_length_finds_no_server_error_and_no_answer_outside_the_schema(case, fuzzed_server):
    fuzz(case, fuzzed_server)


def fuzz(case: schemathesis.Case, server: ServerProcess) -> None:
    checks = CHECKS if case.media_type == "multipart/form-data" else JSON_CHECKS
    case.call_and_validate(base_url=server.url, checks=checks)


def requests_made(log: Path) -> int:
    """The requests the fuzzer's server answered, counted from its access log."""
    return len(ACCESS_LINE.findall(log.read_text(errors="replace")))
