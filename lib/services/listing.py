"""Use case: a client lists a project's jobs, newest first, a page at a time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lib.api.job_lifecycle import JobListBody
from lib.api.models import dump
from lib.domain.listing import Position, encode_cursor, parse_list_query
from lib.domain.uploads import check_resource_id
from lib.services.context import Context
from lib.services.presenter import list_item_body


def list_jobs(
    ctx: Context, *, api_key: str | None, tenant_id: str, project_id: str, params: Mapping[str, str]
) -> dict[str, Any]:
    """One page of the project's jobs (``{"jobs": [...], "next_cursor": ...}``), or 400/401/404.

    Checked as an upload is: the ids, the key (another tenant's id answers 404), the
    project; then the query (:func:`lib.domain.listing.parse_list_query`). One
    index-backed query of ``limit + 1`` jobs tells whether there is a next page.
    Each job is its status document without ``parsed_data``; tombstones are not listed.
    """
    check_resource_id(tenant_id, "tenant")
    check_resource_id(project_id, "project")
    ctx.auth.require_tenant(api_key, tenant_id)
    ctx.auth.require_project(tenant_id, project_id)
    query = parse_list_query(params, tenant_id, project_id)
    found = ctx.jobs.list_project(tenant_id, project_id, query.where, query.after, query.limit + 1)
    page = found[: query.limit]
    next_cursor = None
    if len(found) > query.limit:
        last = page[-1]
        next_cursor = encode_cursor(Position(last.created_at, last.id), tenant_id, project_id, query.where)
    return dump(JobListBody(jobs=[list_item_body(job) for job in page], next_cursor=next_cursor))
