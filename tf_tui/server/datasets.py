"""Training examples: the built-in datasets, parsing of uploads, and the text a model trains on.

An example is an instruction/input/output record, the shape the deployed backend's datasets use.
Everything here is pure; storing datasets is the database's and the routes' job.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from dataclasses import dataclass

from tf_tui.server.json_input import JsonInputError, parse_json

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
EXAMPLE_FIELDS = ("instruction", "input", "output")

Example = dict[str, str]


class DatasetError(ValueError):
    """An upload that cannot become a dataset; the message is shown to the user as is."""


@dataclass(frozen=True)
class BuiltinDataset:
    id: str
    name: str
    examples: list[Example]


def format_example(example: Example) -> str:
    """The text one example contributes to training, in the usual instruction-tuning layout."""
    parts = [f"### Instruction:\n{example['instruction']}\n"]
    if example.get("input"):
        parts.append(f"### Input:\n{example['input']}\n")
    parts.append(f"### Response:\n{example['output']}\n\n")
    return "".join(parts)


# Bounded repetitions: an unbounded pattern backtracks quadratically on a long run of word characters.
_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}\.[\w.-]{2,63}")
_PHONE = re.compile(r"\+?\d[\d\s().-]{8,20}\d")


def contains_pii(examples: Iterable[Example]) -> bool:
    """A cheap screen for e-mail addresses and phone numbers, reported as `has_pii` on ingest."""
    return any(_EMAIL.search(value) or _PHONE.search(value) for example in examples for value in example.values())


def mask_pii(examples: list[Example]) -> list[Example]:
    """The examples with what `contains_pii` finds replaced by a placeholder: as the deployed backend does,
    an upload is stored masked, so a model never learns an address from it."""
    return [
        {field: _PHONE.sub("[PHONE]", _EMAIL.sub("[EMAIL]", value)) for field, value in example.items()}
        for example in examples
    ]


def parse_upload(filename: str, payload: bytes) -> list[Example]:
    """Turn an uploaded file into examples: a JSON list, JSON Lines, or plain text.

    The format follows the file name's extension when it has a known one, else the content.
    """
    if not payload.strip():
        raise DatasetError("the file is empty")
    if len(payload) > MAX_UPLOAD_BYTES:
        raise DatasetError(f"the file is {len(payload):,} bytes; the limit is {MAX_UPLOAD_BYTES:,} bytes")
    try:
        text = payload.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DatasetError(f"the file is not UTF-8 text (byte {error.start} is invalid)") from None
    if "\0" in text:
        raise DatasetError("the file is binary, not text")

    kind = _format_of(filename, text)
    if kind == "json":
        examples = _parse_json_list(text)
    elif kind == "jsonl":
        examples = _parse_json_lines(text)
    else:
        examples = _parse_plain_text(text)
    if not examples:
        raise DatasetError("the file holds no examples")
    return examples


def _format_of(filename: str, text: str) -> str:
    lowered = filename.lower()
    if lowered.endswith(".jsonl") or lowered.endswith(".ndjson"):
        return "jsonl"
    if lowered.endswith(".json"):
        return "json"
    if lowered.endswith(".txt") or lowered.endswith(".md"):
        return "text"
    stripped = text.lstrip()
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        return "jsonl"
    return "text"


def _parse_json_list(text: str) -> list[Example]:
    try:
        document = parse_json(text)
    except JsonInputError as error:
        raise DatasetError(f"invalid JSON: {error}") from None
    if isinstance(document, dict) and isinstance(document.get("examples"), list):
        document = document["examples"]
    if not isinstance(document, list):
        raise DatasetError("a JSON dataset must be a list of examples")
    return [_example_from(item, f"item {index}") for index, item in enumerate(document, start=1)]


def _parse_json_lines(text: str) -> list[Example]:
    examples = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = parse_json(line)
        except JsonInputError as error:
            raise DatasetError(f"invalid JSON on line {number}: {error.reason}") from None
        examples.append(_example_from(item, f"line {number}"))
    return examples


def _parse_plain_text(text: str) -> list[Example]:
    """Blank-line separated passages; each becomes an example asking to continue the text."""
    passages = [block.strip() for block in re.split(r"\n\s*\n", text) if block.strip()]
    return [{"instruction": "Continue the text.", "input": "", "output": passage} for passage in passages]


def _example_from(item: object, where: str) -> Example:
    if isinstance(item, str):
        if not item.strip():
            raise DatasetError(f"{where} is an empty string")
        return {"instruction": "Continue the text.", "input": "", "output": item}
    if not isinstance(item, dict):
        raise DatasetError(f"{where} is a {type(item).__name__}, not an example object")
    if "output" not in item and "text" in item:
        item = {"instruction": "Continue the text.", "output": item["text"]}
    missing = [field for field in ("instruction", "output") if not item.get(field)]
    if missing:
        raise DatasetError(f"{where} has no {' or '.join(missing)}")
    return {field: str(item.get(field) or "") for field in EXAMPLE_FIELDS}


def _arithmetic_examples() -> list[Example]:
    """The response repeats the problem before its answer ("23+45=68"): the models see at most 12 characters,
    so an answer is learnable only right after its operands. Thousands of problems, so that a model can learn
    to add rather than remember, and its held-out tenth is enough problems to measure that."""
    generator = random.Random(7)
    examples = []
    for _ in range(4000):
        left, right = generator.randint(0, 99), generator.randint(0, 99)
        operator = generator.choice("+-")
        answer = left + right if operator == "+" else left - right
        examples.append(
            {
                "instruction": "Compute the result.",
                "input": f"{left} {operator} {right}",
                "output": f"{left}{operator}{right}={answer}",
            }
        )
    return examples


_UNITS = (
    ("kilometres", "metres", 1000),
    ("metres", "centimetres", 100),
    ("hours", "minutes", 60),
    ("minutes", "seconds", 60),
    ("kilograms", "grams", 1000),
    ("days", "hours", 24),
)


def _unit_examples() -> list[Example]:
    generator = random.Random(11)
    examples = []
    for _ in range(300):
        large, small, factor = generator.choice(_UNITS)
        amount = generator.randint(1, 20)
        examples.append(
            {
                "instruction": f"Convert {large} to {small}.",
                "input": f"{amount} {large}",
                "output": f"{amount} {large} is {amount * factor} {small}.",
            }
        )
    return examples


_SHELL_TIPS = (
    ("List the files in a directory, newest first.", "ls -lt"),
    ("Show the disk usage of each folder here.", "du -sh *"),
    ("Find files named notes.txt below this folder.", "find . -name notes.txt"),
    ("Count the lines of a file.", "wc -l FILE"),
    ("Show the last 50 lines of a log and follow it.", "tail -n 50 -f LOG"),
    ("Search for a word in every Python file.", "grep -rn WORD --include='*.py' ."),
    ("Show which process listens on port 8084.", "ss -ltnp 'sport = :8084'"),
    ("Show free memory in human units.", "free -h"),
    ("Show the free space of every disk.", "df -h"),
    ("Make a compressed archive of a folder.", "tar czf folder.tar.gz folder"),
    ("Unpack a compressed archive.", "tar xzf folder.tar.gz"),
    ("Copy a folder to another machine.", "rsync -av folder/ host:folder/"),
    ("Show the running processes sorted by memory.", "ps aux --sort=-rss | head"),
    ("Stop a process politely.", "kill PID"),
    ("Run a command that survives logging out.", "nohup COMMAND &"),
    ("Open a terminal session that survives a dropped SSH connection.", "tmux new -s work"),
    ("Reattach to that terminal session.", "tmux attach -t work"),
    ("Show the current git branch and changes.", "git status"),
    ("Show the last five commits in one line each.", "git log --oneline -5"),
    ("Create a Python virtual environment.", "python3 -m venv .venv"),
    ("Show the GPU and its memory use.", "nvidia-smi"),
    ("Watch a command's output every two seconds.", "watch -n 2 COMMAND"),
    ("Show environment variables that mention python.", "env | grep -i python"),
    ("Make a folder and its parents.", "mkdir -p a/b/c"),
)


def _shell_examples() -> list[Example]:
    return [{"instruction": question, "input": "", "output": answer} for question, answer in _SHELL_TIPS]


BUILTIN_DATASETS = (
    BuiltinDataset("builtin-arithmetic", "Arithmetic (two-digit sums and differences)", _arithmetic_examples()),
    BuiltinDataset("builtin-units", "Unit conversions", _unit_examples()),
    BuiltinDataset("builtin-shell", "Shell one-liners", _shell_examples()),
)
