"""SDMX 2.1 RESTful API under ``/sdmx``: structure queries and data queries.

    /sdmx/{dataflow|datastructure|codelist|conceptscheme}[/{agency}[/{id}[/{version}]]]
    /sdmx/data/{flowRef}[/{key}[/{provider}]]

Errors are SDMX error messages (``sdmx.errors``: SDMX-ML, or SDMX-JSON when the client
prefers JSON) with the standard codes: 400/140 for malformed input (naming the parameter),
404/100 for an unknown flow or code (and, as SDMX says, for a query without results), 406 when
no accepted media type can be produced, 501 for SDMX resources this service does not offer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from lnob_api.errors import InvalidInput, NotFound
from lnob_api.export import service as export_service
from lnob_api.export.service import Validators
from lnob_api.http.exports import (
    HeldTransaction,
    cache_headers,
    is_fresh,
    principal_of,
    query_lists,
    streamed,
)
from lnob_api.sdmx import (
    availability,
    availability30,
    errors,
    model,
    negotiation,
    query,
    schema,
    service,
    structure,
    structure30,
    structure_json,
    v3,
)
from lnob_api.sdmx.negotiation import MEDIA_TYPES, Format, NotAcceptable, negotiate

# the structure resources of each version (SDMX 3.0 names the Actual constraints DataConstraints)
STRUCTURES = tuple(r for r in structure.RESOURCES.values() if r != "dataconstraint")
# SDMX 2.1 structure resources that exist in the standard but not here: 501.
NOT_IMPLEMENTED = (
    "agencyscheme",
    "attachmentconstraint",
    "dataconsumerscheme",
    "dataproviderscheme",
    "hierarchicalcodelist",
    "metadataflow",
    "metadatastructure",
    "organisationscheme",
    "organisationunitscheme",
    "process",
    "provisionagreement",
    "reportingtaxonomy",
    "structure",
    "structureset",
)
VARY = "Authorization, Accept"


def sdmx_routes() -> list[BaseRoute]:
    data = ["/sdmx/data/{flow}", "/sdmx/data/{flow}/", "/sdmx/data/{flow}/{key}"]
    data.append("/sdmx/data/{flow}/{key}/{provider}")
    structures = ["/sdmx/{resource}", "/sdmx/{resource}/{agency}", "/sdmx/{resource}/{agency}/{id}"]
    structures.append("/sdmx/{resource}/{agency}/{id}/{version}")
    available = ["/sdmx/availableconstraint/{flow}", "/sdmx/availableconstraint/{flow}/{key}"]
    available.append("/sdmx/availableconstraint/{flow}/{key}/{provider}")
    available.append("/sdmx/availableconstraint/{flow}/{key}/{provider}/{component}")
    v30 = "/sdmx/3.0/data/{context}/{agency}/{id}/{version}"
    # SDMX-REST 2.x lets a client leave out the trailing version (``~``: the latest)
    v30_routes = [
        Route(path, data_query_30, methods=["GET"])
        for path in (v30.removesuffix("/{version}"), v30, v30 + "/{key}")
    ]
    schemas = [
        "/sdmx/schema/{context}/{agency}/{id}",
        "/sdmx/schema/{context}/{agency}/{id}/{version}",
        "/sdmx/3.0/schema/{context}/{agency}/{id}/{version}",
    ]
    available_30 = "/sdmx/3.0/availability/{context}/{agency}/{id}/{version}"
    v30_routes += [
        Route(available_30 + tail, availability_query_30, methods=["GET"])
        for tail in ("", "/{key}", "/{key}/{component}")
    ]
    v30_routes.append(
        Route(available_30.removesuffix("/{version}"), availability_query_30, methods=["GET"])
    )
    v30_structures = "/sdmx/3.0/structure/{resource}"
    v30_routes += [
        Route(v30_structures + tail, structure_query_30, methods=["GET"])
        for tail in ("", "/{agency}", "/{agency}/{id}", "/{agency}/{id}/{version}")
    ]
    return [
        *v30_routes,
        *(Route(path, schema_query, methods=["GET"]) for path in schemas),
        *(Route(path, data_query, methods=["GET"]) for path in data),
        *(Route(path, availability_query, methods=["GET"]) for path in available),
        *(Route(path, structure_query, methods=["GET"]) for path in structures),
    ]


def _not_acceptable(request: Request, exc: NotAcceptable) -> Response:
    return errors.error_response(request, 406, str(exc))


async def structure_query(request: Request) -> Response:
    """Dataflows, the data structure definition, code lists or the concept scheme."""
    resource = request.path_params["resource"]
    if resource not in STRUCTURES:
        if resource in NOT_IMPLEMENTED:
            return errors.error_response(request, 501, f"{resource} is not offered by this service")
        return errors.error_response(request, 404, f"unknown SDMX resource {resource}")
    return await _structures(request, resource, "2.1")


WILD_30 = {"*": "all", "~": "latest", "+": "latest"}


async def _structures(request: Request, resource: str, version: str) -> Response:
    """A structure query of either version (the path's ``*``/``~``/``+`` are 3.0's wildcards)."""
    path: dict[str, str] = {k: WILD_30.get(v, v) for k, v in request.path_params.items()}
    try:
        params = query.structure_params(query_lists(request), version)
        chosen = negotiate(
            format=params.format,
            accept=request.headers.get("accept"),
            structure=True,
            version=version,
        )
    except InvalidInput as exc:
        return errors.from_exception(request, exc)
    except NotAcceptable as exc:
        return _not_acceptable(request, exc)
    principal = principal_of(request)
    names = {
        "agency": path.get("agency", "all"),
        "id": path.get("id", "all"),
        "version": path.get("version", "latest"),
    }
    async with request.app.state.database.transaction() as conn:
        try:
            if resource in ("contentconstraint", "dataconstraint"):
                found = await availability.content_constraints(
                    conn, principal, references=params.references, **names
                )
            else:
                found = await service.structures(
                    conn, principal, resource=resource, references=params.references, **names
                )
            if params.detail == "referencepartial" and resource == "dataflow":
                ids = {f.id for f in found.dataflows}
                flows = [f for f in await service.flows(conn) if f.id in ids]
                await availability.restrict_to_flows(conn, principal, found, flows)
        except NotFound as exc:
            return errors.from_exception(request, exc)
        found.stubs = params.stubs(structure.CLASSES[resource])
        found.base_url = str(request.base_url).rstrip("/") + (
            "/sdmx/3.0/structure" if version == "3.0" else "/sdmx"
        )
        # Code lists list the codes of the caller's readable data: they change with it.
        changed = await service.data_changed(conn, principal) if found.codelists else None
    return structure_response(request, found, changed, chosen)


def structure_response(
    request: Request,
    found: structure.Structures,
    last_modified: datetime | None,
    format: Format = Format.STRUCTURE,
) -> Response:
    """A structure message in ``format`` with its validators (an ETag of everything but the
    header, and the latest change of the data behind its code lists); 304 when the caller's
    copy is current."""
    if format in (Format.STRUCTURE_JSON, Format.STRUCTURE_JSON_20):
        version = "2.0" if format is Format.STRUCTURE_JSON_20 else "1.0"
        body = json.dumps(structure_json.body(found, version))

        def message() -> bytes:
            return structure_json.message(found, version)
    else:
        body = structure.body(found)

        def message() -> bytes:
            if format is Format.STRUCTURE_30:
                return structure30.message(found)
            return structure.message(found)

    digest = hashlib.sha256(f"{format}:{body}".encode()).hexdigest()[:32]
    validators = Validators(f'"{digest}"', last_modified, 0)
    headers = cache_headers(request, validators, VARY)
    if is_fresh(request, validators):
        return Response(status_code=304, headers=headers)
    return Response(message(), media_type=MEDIA_TYPES[format], headers=headers)


async def data_query(request: Request) -> Response:
    """Observations of one dataflow matching a key, streamed in the negotiated format."""
    path = request.path_params
    try:
        ref = query.flow_ref(path["flow"])
        key = query.key(path.get("key"))
        params = query.data_params(query_lists(request))
        chosen = negotiate(
            format=params.format, accept=request.headers.get("accept"), structure=False
        )
    except InvalidInput as exc:
        return errors.from_exception(request, exc)
    except NotAcceptable as exc:
        return _not_acceptable(request, exc)
    if path.get("provider") not in (None, *query.WILDCARDS, model.AGENCY):
        return errors.error_response(request, 404, f"unknown data provider {path['provider']}")
    return await _data(request, ref, key, params, chosen)


def _accept_30(accept: str | None) -> str | None:
    """SDMX-REST 2.x names SDMX-ML 3.0 data ``application/vnd.sdmx.data+xml`` (pysdmx asks
    for it): the same structure-specific data as ``structurespecificdata+xml``."""
    if accept is None:
        return None
    return accept.replace(
        "application/vnd.sdmx.data+xml", "application/vnd.sdmx.structurespecificdata+xml"
    )


async def data_query_30(request: Request) -> Response:
    """SDMX 3.0: ``/sdmx/3.0/data/dataflow/{agency}/{id}/{version}[/{key}]`` (``sdmx.v3``)."""
    try:
        found = v3.data_query({"version": "~"} | request.path_params, query_lists(request))
        chosen = v3.negotiate(_accept_30(request.headers.get("accept")))
    except InvalidInput as exc:
        return errors.from_exception(request, exc)
    except NotAcceptable as exc:
        return _not_acceptable(request, exc)
    format = {v3.CSV2: Format.CSV2, v3.JSON2: Format.JSON_20}.get(
        chosen, Format.STRUCTURE_SPECIFIC_30
    )
    return await _data(
        request, found.flow, found.key, found.params, format, extra=found.where, tag="3.0"
    )


async def _data(
    request: Request,
    ref: query.FlowRef,
    key: list[tuple[str, ...] | None],
    params: query.DataParams,
    chosen: Format,
    *,
    extra: list[Any] | None = None,
    tag: str = "2.1",
) -> Response:
    """The data message of a checked query, streamed, with its validators."""
    principal = principal_of(request)
    held = HeldTransaction(request)
    conn = await held.open()
    try:
        flow = await service.find_flow(conn, ref)
        data = await service.resolve_data(conn, principal, flow, key, params, extra or ())
        deleted, latest_deletion = await service.deletions(conn, principal, data)
        versions = await service.history(conn, principal, data)
        found = await export_service.validators(
            conn,
            principal,
            data.resolved,
            variant=f"sdmx:{chosen}",
            query=json.dumps(
                [tag, request.url.query if extra else None, flow.id, key, asdict(params)],
                default=str,
            )
            + f":{deleted}:{latest_deletion}"
            + (f":history:{versions[1]}" if versions is not None else ""),
        )
        if versions is not None:  # includeHistory: the message holds every version's rows
            found = Validators(found.etag, found.last_modified, versions[0])
        if found.rows == 0 and deleted == 0:
            raise NotFound("No results found")
        if deleted and chosen is Format.CSV:
            await held.close()
            return _no_deletions_in_csv1(request, params, deleted)
        chunks = service.data_stream(
            conn, principal, data, flow=flow, format=chosen, params=params, deleted=deleted
        )
    except (InvalidInput, NotFound) as exc:
        await held.close()
        return errors.from_exception(request, exc)
    except BaseException:
        await held.close(failed=True)
        raise
    if latest_deletion is not None and (
        found.last_modified is None or latest_deletion > found.last_modified
    ):
        found = Validators(found.etag, latest_deletion, found.rows)
    headers = cache_headers(request, found, VARY)
    if is_fresh(request, found):
        await held.close()
        return Response(status_code=304, headers=headers)
    # Lets a client check that it got every row: observations in the message, deleted ones
    # included, and of those the deletions.
    headers["X-Row-Count"] = str(found.rows + deleted)
    headers["X-Deleted-Count"] = str(deleted)
    return streamed(held, chunks, media_type=MEDIA_TYPES[chosen], headers=headers)


def _no_deletions_in_csv1(request: Request, params: query.DataParams, deleted: int) -> Response:
    """SDMX-CSV 1.0 has no ACTION column, so it cannot say that an observation was deleted:
    rather than leave a mirror holding removed data, the query is refused, naming the format
    that can (400 for ``format=csvdata``, 406 when chosen from ``Accept``)."""
    message = (
        f"{deleted} observations were removed since updatedAfter, and SDMX-CSV 1.0 has no "
        "ACTION column to report deletions; ask for SDMX-CSV 2.0 "
        f"({MEDIA_TYPES[Format.CSV2]}, or format=csv2), SDMX-JSON or SDMX-ML"
    )
    if params.format is not None:
        return errors.error_response(request, 400, f"format: {message}", code=errors.SEMANTIC)
    return errors.error_response(request, 406, message)


async def availability_query(request: Request) -> Response:
    """The codes (and time range) of a dataflow's data the caller can read, as a
    ContentConstraint of type Actual with the observation count (``sdmx.availability``)."""
    path = request.path_params
    try:
        ref = query.flow_ref(path["flow"])
        key = query.key(path.get("key"))
        params = query.availability_params(query_lists(request))
        chosen = negotiate(format=None, accept=request.headers.get("accept"), structure=True)
    except InvalidInput as exc:
        return errors.from_exception(request, exc)
    except NotAcceptable as exc:
        return _not_acceptable(request, exc)
    if path.get("provider") not in (
        None,
        *query.WILDCARDS,
        model.AGENCY,
        f"{model.AGENCY},{model.AGENCY}",
    ):
        return errors.error_response(request, 404, f"unknown data provider {path['provider']}")
    return await _availability(request, ref, key, params, path.get("component"), chosen)


async def _availability(
    request: Request,
    ref: query.FlowRef,
    key: list[tuple[str, ...] | None],
    params: query.AvailabilityParams,
    component: str | None,
    chosen: Format,
    filters: availability.Filters | None = None,
) -> Response:
    """The availability message of a checked query (2.1 or 3.0, by ``chosen``)."""
    principal = principal_of(request)
    async with request.app.state.database.transaction() as conn:
        try:
            flow = await service.find_flow(conn, ref)
            found = await availability.available(
                conn,
                principal,
                flow,
                key,
                params,
                None if component in (None, *query.WILDCARDS) else component,
                filters,
            )
            structures = await availability.referenced(conn, principal, flow, params.references)
        except NotFound as exc:
            return errors.from_exception(request, exc)
    structures.constraints = [found]
    v30 = chosen in negotiation.STRUCTURE_FORMATS["3.0"]
    base = "/sdmx/3.0/structure" if v30 else "/sdmx"
    structures.base_url = str(request.base_url).rstrip("/") + base
    return structure_response(request, structures, None, chosen)


SCHEMA_PARAMETERS = ("dimensionAtObservation", "explicitMeasure")


async def schema_query(request: Request) -> Response:
    """``/schema/{dataflow|datastructure}/{agency}/{id}[/{version}]``: the XML schema of the
    structure-specific data of a dataflow (all share DSD_LNOB), per ``dimensionAtObservation``."""
    path = request.path_params
    context, agency, id = path["context"], path["agency"], path["id"]
    version = path.get("version", "latest")
    try:
        params = query_lists(request)
        for name in params:
            if name not in SCHEMA_PARAMETERS:
                raise InvalidInput(name, f"unknown parameter; use {', '.join(SCHEMA_PARAMETERS)}")
        at = (params.get("dimensionAtObservation") or [model.TIME_DIMENSION])[-1]
        if at not in model.AT_OBSERVATION:
            raise InvalidInput(
                "dimensionAtObservation", f"{at!r} is not a dimension of {model.DSD_ID}"
            )
        if (params.get("explicitMeasure") or ["false"])[-1] not in ("false", "true"):
            raise InvalidInput("explicitMeasure", "use true or false")
    except InvalidInput as exc:
        return errors.from_exception(request, exc)
    if context == "provisionagreement":
        return errors.error_response(request, 501, "provision agreements are not offered")
    if context not in ("dataflow", "datastructure"):
        return errors.error_response(request, 404, f"unknown schema context {context}")
    missing = f"no {context} {agency}:{id}({version})"
    if not query.ours(agency, version) or version in ("all", "*"):
        return errors.error_response(request, 404, missing)
    if context == "datastructure" and id != model.DSD_ID:
        return errors.error_response(request, 404, missing)
    if context == "dataflow":
        async with request.app.state.database.transaction() as conn:
            try:
                await service.find_flow(conn, query.FlowRef(agency, id, version))
            except NotFound:
                return errors.error_response(request, 404, missing)
    body = schema.dsd_schema(at, "3.0" if request.url.path.startswith("/sdmx/3.0/") else "2.1")
    digest = hashlib.sha256(body).hexdigest()[:32]
    validators = Validators(f'"{digest}"', None, 0)
    headers = cache_headers(request, validators, VARY)
    if is_fresh(request, validators):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/xml; charset=utf-8", headers=headers)


STRUCTURES_30 = tuple(r for r in structure.RESOURCES.values() if r != "contentconstraint")


async def structure_query_30(request: Request) -> Response:
    """SDMX 3.0 structure queries: the 2.1 artefacts as SDMX-ML 3.0 (``sdmx.structure30``) or
    SDMX-JSON 2.0 (``sdmx.structure_json``); ContentConstraints are 3.0 DataConstraints."""
    resource = request.path_params["resource"]
    if resource not in STRUCTURES_30:
        if resource in (*STRUCTURES, *NOT_IMPLEMENTED):
            return errors.error_response(request, 501, f"{resource} is not offered in SDMX 3.0")
        return errors.error_response(request, 404, f"unknown SDMX resource {resource}")
    return await _structures(request, resource, "3.0")


async def availability_query_30(request: Request) -> Response:
    """SDMX 3.0 ``/availability/dataflow/{agency}/{id}/{version}[/{key}[/{componentId}]]``
    with ``c[...]``, ``mode``, ``references`` and ``updatedAfter``: the 2.1 availability
    (``sdmx.availability``) as a DataConstraint of role Actual, in SDMX-ML 3.0 or SDMX-JSON 2.0."""
    given: dict[str, str] = {"version": "~"} | request.path_params
    path = {k: WILD_30.get(v, v) for k, v in given.items()}
    try:
        if path["context"] not in ("dataflow", "all"):
            raise InvalidInput("context", f"{path['context']!r}: only dataflows are offered")
        ref = query.FlowRef(path["agency"], path["id"], path["version"])
        key = query.key(availability30.key(path.get("key")))
        raw = query_lists(request)
        filters = availability30.filters(raw)
        plain = {k: v for k, v in raw.items() if not availability30.is_filter(k)}
        if any(k in plain for k in ("startPeriod", "endPeriod")):
            name = "startPeriod" if "startPeriod" in plain else "endPeriod"
            raise InvalidInput(name, "not an SDMX 3.0 parameter; use c[TIME_PERIOD]")
        params = query.availability_params(plain)
        chosen = negotiate(
            format=None, accept=request.headers.get("accept"), structure=True, version="3.0"
        )
    except InvalidInput as exc:
        return errors.from_exception(request, exc)
    except NotAcceptable as exc:
        return _not_acceptable(request, exc)
    return await _availability(request, ref, key, params, path.get("component"), chosen, filters)
