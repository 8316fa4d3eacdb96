"""Where a connector may send: the operator's allow-list, checked again at every connection.

    allowed_hosts() -> AllowList                 # PORTAL_CONNECTOR_ALLOWED_HOSTS
    AllowList.refusal(url) -> str | None          # a clear sentence, or None when the host is listed
    GuardedTransport(allow)                       # the httpx transport every connector client uses

The hosts a connector may reach are fixed by the operator at deployment, in
PORTAL_CONNECTOR_ALLOWED_HOSTS: a comma-separated list of `host` or `host:port` (exact names or
IP addresses; `[::1]:8443` for IPv6). An entry without a port allows the scheme's default port
only (443 for https, 80 for http). Nothing else is ever contacted: a base URL whose host is not
listed is refused when it is set (settings form, approval, `flask connector set-endpoint`) and
again by the transport before any request.

At connection time the transport resolves the name itself, checks EVERY address it resolves to,
and connects to the address it checked (the Host header and the TLS server name stay the listed
name, so certificates are checked against it). A DNS answer that changes between the check and
the connection (DNS rebinding) therefore cannot redirect a request. The address rules:

- loopback (127.0.0.0/8, ::1), link-local (169.254.0.0/16, fe80::/10: cloud metadata services)
  and reserved addresses are reached only through an entry that IS that address (or `localhost`
  for loopback): a listed name that resolves to one is refused;
- private addresses (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10) are reached through a
  listed name (a council's case system is often on its own network);
- multicast and unspecified addresses never.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass
from typing import Callable

import httpx
from flask import current_app, has_app_context

SETTING = "PORTAL_CONNECTOR_ALLOWED_HOSTS"
DEFAULT_PORTS = {"https": 443, "http": 80}

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class DestinationRefused(httpx.TransportError):
    """The transport refused to connect. `reason` is a short code: host_not_allowed, address_not_allowed."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def _normal_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def parse_entry(text: str) -> tuple[str, int | None]:
    text = text.strip()
    if text.startswith("["):  # [v6]:port or [v6]
        host, _, rest = text[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else None
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, None
    if not host or (port is not None and not port.isdigit()) or " " in host or "/" in host:
        raise ValueError(f"{SETTING}: '{text}' is not a host or host:port")
    return _normal_host(host), int(port) if port else None


@dataclass(frozen=True)
class AllowList:
    entries: frozenset[tuple[str, int | None]]

    @classmethod
    def parse(cls, text: str | None) -> "AllowList":
        return cls(frozenset(parse_entry(part) for part in (text or "").split(",") if part.strip()))

    def permits(self, scheme: str, host: str, port: int | None) -> bool:
        host = _normal_host(host)
        port = port or DEFAULT_PORTS.get(scheme)
        return (host, port) in self.entries or (port == DEFAULT_PORTS.get(scheme) and (host, None) in self.entries)

    def refusal(self, url: str) -> str | None:
        """None if the URL's host and port are listed; otherwise a sentence saying what to do."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError):
            return "Enter a base URL like https://casesystem.example.gov.uk/portal"
        if self.permits(parsed.scheme, parsed.host, parsed.port):
            return None
        where = parsed.host + (f":{parsed.port}" if parsed.port else "")
        return (f"{where} is not one of the case system addresses this portal may send to. "
                f"Ask the portal’s operator to add it to {SETTING}")


def allowed_hosts() -> AllowList:
    """The operator's allow-list: the app's settings (read from the environment at start-up),
    or the environment itself outside an app (a library call from a script or a test)."""
    text = os.environ.get(SETTING, "")
    if has_app_context():
        text = current_app.config["PORTAL_SETTINGS"].extra.get(SETTING, "") + "," + text
    return AllowList.parse(text)


def address_refusal(address: Address, host: str) -> str | None:
    """Why `address` (one that `host` resolved to) may not be connected to; None if it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    named_exactly = _literal(host) == address
    if address.is_multicast or address.is_unspecified:
        return "address_not_allowed"
    if address.is_loopback:
        return None if named_exactly or host == "localhost" else "address_not_allowed"
    if address.is_link_local or address.is_reserved:
        return None if named_exactly else "address_not_allowed"
    return None  # public, or private through a listed name


Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


class GuardedTransport(httpx.HTTPTransport):
    """An HTTP transport that connects only to listed hosts, at addresses it has checked."""

    def __init__(self, allow: AllowList, *, resolver: Resolver | None = None, **kwargs):
        super().__init__(**kwargs)
        self.allow = allow
        self.resolver = resolver or resolve

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        host = _normal_host(url.host)
        port = url.port or DEFAULT_PORTS.get(url.scheme, 0)
        if not self.allow.permits(url.scheme, host, port):
            raise DestinationRefused("host_not_allowed", "the host is not on the connector's allow-list")
        literal = _literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = [ipaddress.ip_address(a.split("%")[0]) for a in self.resolver(host, port)]
            except OSError:
                raise httpx.ConnectError("the host name could not be resolved") from None
            if not addresses:
                raise httpx.ConnectError("the host name could not be resolved")
        for address in addresses:
            if address_refusal(address, host):
                raise DestinationRefused("address_not_allowed", "the host resolves to an address that is not allowed")
        chosen = addresses[0]
        if literal is None:
            # Connect to the address just checked; the Host header (already set) and the TLS
            # server name stay the listed name.
            request.url = url.copy_with(host=chosen.compressed)
            request.extensions = {**request.extensions, "sni_hostname": host}
        return super().handle_request(request)
