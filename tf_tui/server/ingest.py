"""Uploaded files made into examples for `/dataset/ingest-*`: size-checked, parsed and PII-masked."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fastapi import HTTPException, UploadFile

from tf_tui.server.datasets import MAX_UPLOAD_BYTES, DatasetError, Example, contains_pii, mask_pii, parse_upload
from tf_tui.server.errors import unprocessable


@dataclass(frozen=True)
class IngestedFile:
    filename: str
    mime_type: str
    examples: list[Example]  # masked when `has_pii`
    has_pii: bool


async def ingested(file: UploadFile, field: str) -> IngestedFile:
    """One uploaded file (of the form field `field`) as examples, PII masked; a 413 or 422 that names the
    file when it cannot be."""
    filename = file.filename or "upload"
    payload = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(payload) > MAX_UPLOAD_BYTES:
        raise HTTPException(413, f"{filename} is larger than the {MAX_UPLOAD_BYTES // (1024 * 1024)} MB limit")
    try:
        # Off the event loop: parsing 10 MB must not stall other requests and the progress frames.
        examples, has_pii = await asyncio.to_thread(_parse_and_screen, filename, payload)
    except DatasetError as error:
        raise unprocessable(("body", field), f"Cannot ingest {filename}: {error}") from None
    return IngestedFile(filename, file.content_type or "application/octet-stream", examples, has_pii)


def _parse_and_screen(filename: str, payload: bytes) -> tuple[list[Example], bool]:
    examples = parse_upload(filename, payload)
    has_pii = contains_pii(examples)
    return (mask_pii(examples) if has_pii else examples), has_pii
