"""The datasets a run can train on: `/datasets/available` and the uploads, `/dataset/ingest-single` and
`/dataset/ingest-multiple`."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, File, Form, UploadFile

from tf_tui.server.dependencies import get_services
from tf_tui.server.ingest import ingested
from tf_tui.server.json_route import CheckedJsonRoute
from tf_tui.server.services import Services

router = APIRouter(route_class=CheckedJsonRoute)


@router.get("/datasets/available")
async def datasets(services: Services = Depends(get_services)) -> dict[str, Any]:
    available = [dataset.describe() for dataset in services.database.datasets()]
    return {"datasets": available, "count": len(available)}


@router.post("/dataset/ingest-single")
async def ingest(
    file: UploadFile = File(...),
    name: str | None = Form(None),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    upload = await ingested(file, "file")
    dataset = services.store_dataset(
        uuid.uuid4().hex, name or upload.filename, "upload", upload.filename, upload.examples, upload.has_pii
    )
    return {
        "dataset_id": dataset.id,
        "filename": upload.filename,
        "name": dataset.name,
        "rows": dataset.rows,
        "has_pii": dataset.has_pii,
        "status": "ingested",
    }


@router.post("/dataset/ingest-multiple")
async def ingest_multiple(
    files: list[UploadFile] = File(...),
    name: str | None = Form(None),
    services: Services = Depends(get_services),
) -> dict[str, Any]:
    # One by one: the request's size limit bounds them together, and each is parsed as it comes.
    uploads = [await ingested(file, "files") for file in files]
    examples = [example for upload in uploads for example in upload.examples]
    has_pii = any(upload.has_pii for upload in uploads)
    filename = f"Multi-file dataset ({len(uploads)} files)"  # the deployed backend's words
    dataset = services.store_dataset(uuid.uuid4().hex, name or filename, "upload", filename, examples, has_pii)
    return {
        "dataset_id": dataset.id,
        "filename": filename,
        "name": dataset.name,
        "rows": dataset.rows,
        "has_pii": dataset.has_pii,
        "status": "ingested",
        "processed_files": [
            {
                "filename": upload.filename,
                "mime_type": upload.mime_type,
                "rows": len(upload.examples),
                "has_pii": upload.has_pii,
            }
            for upload in uploads
        ],
        "training_examples": dataset.rows,
    }
