"""Schemathesis sends schema-driven random requests to every route as an admin: whatever
the input, no route answers with a server error."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings


def test_no_input_makes_any_route_fail_with_a_server_error(live_server, tokens):
    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 40

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case):  # type: ignore[no-untyped-def]
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} answered {response.status_code}: "
                f"{response.text[:300]}"
            )

        no_server_error()
