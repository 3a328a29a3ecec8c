"""The AOI station API: post an image or the station's own result; read a result back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from forgeline.api.deps import SessionDep, SettingsDep
from forgeline.auth.deps import require
from forgeline.auth.principal import Principal
from forgeline.errors import DomainError, ErrorKind
from forgeline.inspection import images, results, submit
from forgeline.inspection.schemas import DefectOut, ResultOut, StationResultIn
from forgeline.inspection.tables import InspectionDefect, InspectionResult

router = APIRouter(prefix="/inspection", tags=["inspection"])
Submitter = Annotated[Principal, Depends(require("inspection.submit"))]
Reader = Annotated[Principal, Depends(require("inspection.read"))]
Uid = Annotated[str, Path(min_length=1, max_length=80)]
StationQuery = Annotated[str | None, Query(max_length=64, description="for people; a token says")]
IMAGE_TYPES = frozenset(
    {"image/png", "image/tiff", "image/bmp", "image/x-ms-bmp", "application/octet-stream"}
)
MAX_UPLOAD_BYTES = images.MAX_BYTES


def _too_large(size: int) -> DomainError:
    return DomainError(
        "inspection.image_too_large",
        f"the image is over the {MAX_UPLOAD_BYTES:,} byte limit",
        {"max": MAX_UPLOAD_BYTES, "given": size},
        ErrorKind.TOO_LARGE,
    )


async def image_body(request: Request) -> bytes:
    """The raw image, refused before reading when it is not an image type or too large."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in IMAGE_TYPES:
        raise DomainError(
            "request.unsupported_media_type",
            f"send the image as PNG, TIFF or BMP (image/png ...), not {media_type or 'nothing'}",
            {"content_type": media_type, "allowed": sorted(IMAGE_TYPES)},
            ErrorKind.UNSUPPORTED_MEDIA,
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
        raise _too_large(int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_UPLOAD_BYTES:
            raise _too_large(size)
        chunks.append(chunk)
    if size == 0:
        raise DomainError("inspection.bad_image", "the body is empty; send the image bytes")
    return b"".join(chunks)


def result_out(row: InspectionResult, defects: list[InspectionDefect]) -> ResultOut:
    out = ResultOut.model_validate(row)
    out.defects = [DefectOut.model_validate(d) for d in defects]
    return out


def inspected_image(
    principal: Submitter,  # first: who may send is checked before anything is read
    body: Annotated[bytes, Depends(image_body)],
    settings: SettingsDep,
) -> tuple[Principal, submit.Detected]:
    """The posted image, checked and inspected (no database work yet).

    Note: on SQLite the request's transaction is already a writer here (authentication opened
    it), so other writers wait while the image is analysed; see docs/inspection.md."""
    return principal, submit.detect(settings, body)


@router.post(
    "/units/{uid}/image",
    status_code=201,
    responses={
        409: {"description": "no AOI model configured, or production refused the track-out"},
        413: {"description": "inspection.image_too_large"},
        415: {"description": "request.unsupported_media_type"},
        422: {"description": "inspection.bad_image: unreadable, truncated, wrong size/depth"},
    },
)
def post_image(
    uid: Uid,
    inspected: Annotated[tuple[Principal, submit.Detected], Depends(inspected_image)],
    session: SessionDep,
    settings: SettingsDep,
    station: StationQuery = None,
) -> ResultOut:
    """Inspect the unit's image with the plant's model; defects and track-out go to production.

    The body is the raw image (PNG, TIFF or BMP, 8-bit grey, the model's size). Nothing is
    stored (no image file, no result) when anything is refused.
    """
    principal, detected = inspected
    row = submit.inspect_image(session, settings, principal, uid, station, detected)
    return result_out(*results.result(session, row.id))


@router.post("/units/{uid}/result", status_code=201)
def post_result(
    uid: Uid,
    body: StationResultIn,
    session: SessionDep,
    settings: SettingsDep,
    principal: Submitter,
    station: StationQuery = None,
) -> ResultOut:
    """The station's own vision result; the verdict comes from the plant's zone limits."""
    row = submit.station_result(session, settings, principal, uid, station, body)
    return result_out(*results.result(session, row.id))


@router.get("/results/{result_id}")
def get_result(result_id: int, session: SessionDep, _: Reader) -> ResultOut:
    return result_out(*results.result(session, result_id))
