"""Optional external link check for monitoring (never run on save).

SSRF guard: the host is resolved first and every address it resolves to must be public;
private, loopback, link-local, multicast, reserved and unspecified addresses are refused
unless ``allow_private`` (tests opt in to reach a loopback fake server). The request goes to
the address that was checked for ``http`` (not re-resolved; ``https`` connects by name so
the certificate can be verified, leaving a small DNS-rebinding window), redirects are not followed, and only
``http``/``https`` on any port are allowed.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
from urllib.parse import urlsplit

#: Longer addresses are reported, not requested (browsers and servers stop around here).
MAX_URL_LENGTH = 2048


def _refused(ip: ipaddress._BaseAddress) -> bool:
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def resolve_allowed(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to, or raise ValueError saying why the host is refused."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:  # UnicodeError: not a valid (IDNA) host name
        raise ValueError(f"the host name {host[:100]!r} does not resolve") from exc
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise ValueError(f"the host name {host!r} does not resolve")
    for address in addresses:
        if _refused(ipaddress.ip_address(address.split("%")[0])) and not allow_private:
            raise ValueError(f"{host} resolves to a private or local address ({address})")
    return addresses[0]


def check_url(url: str, *, allow_private: bool = False, timeout: float = 5.0) -> tuple[bool, str]:
    """HEAD the URL (GET if HEAD is not allowed). Returns (ok, reason); never raises for a bad
    address (an out-of-range port, a broken IPv6 literal, an overlong URL): one bad link in a
    page must not stop monitoring of the page, let alone of a sweep chunk."""
    if len(url) > MAX_URL_LENGTH:
        return False, f"the address is longer than {MAX_URL_LENGTH} characters"
    try:
        parts = urlsplit(url)
        port = parts.port
        hostname = parts.hostname
    except ValueError:
        return False, "the address is malformed"
    if parts.scheme not in ("http", "https") or not hostname:
        return False, "only http and https addresses can be checked"
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        address = resolve_allowed(hostname, port, allow_private)
    except ValueError as exc:
        return False, str(exc)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(hostname, port, timeout=timeout)
    else:
        conn = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        for method in ("HEAD", "GET"):
            conn.request(method, path, headers={"Host": parts.netloc, "User-Agent": "ecm_ops"})
            response = conn.getresponse()
            response.read()
            if response.status != 405:
                break
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # ValueError: http.client refuses control characters in the path or Host header.
        return False, f"the server did not answer ({type(exc).__name__})"
    finally:
        conn.close()
    if response.status >= 400:
        return False, f"the server answered {response.status}"
    return True, ""
