"""Behind the documented TLS proxy, the client's own address reaches throttling and the audit
trail, but only from as many proxies as the operator said are there."""

from __future__ import annotations

import pytest
from flask import request

from portal import create_app
from portal.policy import public
from tests.conftest import environ_for_tests


def _app(_database, tmp_path, hops: str):
    environ = environ_for_tests(_database, tmp_path)
    environ["PORTAL_TRUSTED_PROXY_HOPS"] = hops
    app = create_app(environ)

    @public
    def whoami():
        return f"{request.remote_addr} {request.scheme}"

    app.add_url_rule("/whoami", view_func=whoami)
    return app


@pytest.mark.parametrize(
    "hops, forwarded_for, seen",
    [
        ("0", "203.0.113.9", "10.0.0.5 http"),  # no proxy trusted: a client cannot choose its address
        ("1", "203.0.113.9", "203.0.113.9 https"),  # the proxy's word about the client
        ("1", "198.51.100.1, 203.0.113.9", "203.0.113.9 https"),  # only the hop the proxy added
    ],
)
def test_the_client_address_comes_from_trusted_proxies_only(_database, tmp_path, hops, forwarded_for, seen):
    client = _app(_database, tmp_path, hops).test_client()
    response = client.get("/whoami", headers={"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https"},
                          environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert response.get_data(as_text=True) == seen
