"""How others reach this server: the `chat-client` command for each address of this machine,
printed at start-up when the server listens beyond loopback."""

import contextlib
import ipaddress
import socket
import struct
from collections.abc import Callable, Iterable
from typing import Final

_WILDCARDS: Final = frozenset({"0.0.0.0", "::", ""})
_SIOCGIFADDR: Final = 0x8915  # Linux: an interface's IPv4 address


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def connect_commands(
    host: str, port: int, local_addresses: Callable[[], Iterable[str]] | None = None
) -> list[str]:
    """`chat-client --host ADDRESS --port PORT` for each address another machine may use:
    every non-loopback address of this machine when listening on all of them, else `host`
    itself; none when only this machine can connect."""
    if is_loopback(host):
        return []
    if host in _WILDCARDS:
        addresses = (local_addresses or machine_addresses)()
        usable = sorted({a for a in addresses if not is_loopback(a)}, key=_address_order)
        if host == "0.0.0.0":
            usable = [a for a in usable if ":" not in a]
    else:
        usable = [host]
    return [f"chat-client --host {address} --port {port}" for address in usable]


def machine_addresses() -> list[str]:
    """This machine's IPv4 addresses, one per interface (Linux), and whatever its host name
    resolves to (elsewhere, and as a fallback)."""
    found: list[str] = []
    with contextlib.suppress(ImportError):  # fcntl: not on Windows
        import fcntl  # noqa: PLC0415 - Unix only; the module loads everywhere

        found += _interface_addresses(fcntl.ioctl)
    with contextlib.suppress(OSError):
        for *_, sockaddr in socket.getaddrinfo(socket.gethostname(), None):
            found.append(str(sockaddr[0]))
    return found


def _interface_addresses(ioctl: Callable[[int, int, bytes], bytes]) -> list[str]:
    """Each interface's IPv4 address (Linux's SIOCGIFADDR)."""
    found: list[str] = []
    with (
        contextlib.suppress(OSError, AttributeError),
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe,
    ):
        for _, name in socket.if_nameindex():
            request = struct.pack("256s", name.encode()[:15])
            with contextlib.suppress(OSError):  # an interface with no IPv4 address
                answer = ioctl(probe.fileno(), _SIOCGIFADDR, request)
                found.append(socket.inet_ntoa(answer[20:24]))
    return found


def _address_order(address: str) -> tuple[int, str]:
    return (":" in address, address)  # IPv4 first: what people type
