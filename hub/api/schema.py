"""drf-spectacular hooks: only /api/v1/ is in the agency systems' schema, and every operation
documents the problem-details error responses it can give."""

from __future__ import annotations

from typing import Any

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details (see docs/api.md).",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "JSON Pointer into the body"},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
                "required": ["path", "code", "message"],
            },
        },
    },
    "required": ["type", "title", "status", "detail", "errors"],
}
ERRORS = {
    "400": "The request is not valid (errors lists each problem with its path)",
    "401": "No valid credential",
    "403": "The credential's scopes or the role do not allow this",
    "404": "Not found, or not visible to you (the same answer)",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "Conflicts with what the hub already holds",
    "415": "Send application/json",
    "422": "Idempotency-Key reused with a different request",
    "429": "Too many requests; see Retry-After",
}


def only_api_v1(endpoints: list[tuple[Any, ...]], **kwargs: Any) -> list[tuple[Any, ...]]:
    return [e for e in endpoints if e[0].startswith("/api/v1/")]


def add_problem_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    components = result.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    ref = {"$ref": "#/components/schemas/Problem"}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                if method == "get" and code in {"409", "415", "422"}:
                    continue
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/problem+json": {"schema": ref}},
                    },
                )
    return result
