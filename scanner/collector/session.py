"""Connect to vCenter, log in, and always log out.

TLS certificates are verified by default, against the system trust store or ``ca_file``.
pyVmomi silently skips verification for ``localhost``/``127.0.0.1`` when no SSL context is
given; vmscan always passes an explicit context so that only ``insecure=True`` turns it off.

Every failure becomes a ``CollectionError`` with a one-line message that names the server and
never contains the password.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import socket
import ssl
import urllib.parse
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from scanner.collector.guarded_http import bounded_version_discovery, install_response_guard
from scanner.collector.readonly import enforce_read_only
from scanner.errors import CollectionError

DEFAULT_HTTPS_PORT = 443
DEFAULT_PATH = "/sdk"
CONNECT_TIMEOUT_S = 15.0
# Generous: one RetrievePropertiesEx page of a large vCenter can take minutes to produce.
SOAP_TIMEOUT_S = 900.0


@dataclasses.dataclass(frozen=True)
class Endpoint:
    """Where the vCenter SDK listens, parsed from what the user typed."""

    scheme: str  # "https" or "http"
    host: str
    port: int
    path: str

    @property
    def display(self) -> str:
        default_port = DEFAULT_HTTPS_PORT if self.scheme == "https" else 80
        port = "" if self.port == default_port else f":{self.port}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}{port}"


def parse_server(server: str) -> Endpoint:
    """Accept ``vc.example.com``, ``vc.example.com:8443``, ``https://vc/sdk``, ``http://127.0.0.1:8989/sdk``."""
    text = server.strip()
    if not text:
        raise CollectionError("no server given")
    if "://" not in text:
        text = f"https://{text}"
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError:
        raise CollectionError(f"not a valid server name or URL: {server!r}") from None
    if parts.scheme not in ("http", "https"):
        raise CollectionError(f"unsupported URL scheme {parts.scheme!r} in server {server!r} (use https or http)")
    if not parts.hostname:
        raise CollectionError(f"no host name in server {server!r}")
    if parts.username or parts.password:
        # Credentials in the URL would end up in shell history and process lists.
        raise CollectionError("do not put credentials in --server; use --user and a prompt or --password-env")
    if port is None:
        port = DEFAULT_HTTPS_PORT if parts.scheme == "https" else 80
    path = parts.path.rstrip("/") or DEFAULT_PATH
    return Endpoint(scheme=parts.scheme, host=parts.hostname, port=port, path=path)


def ssl_context(insecure: bool = False, ca_file: str | None = None) -> ssl.SSLContext:
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise CollectionError(f"cannot read CA file {ca_file}: {getattr(exc, 'strerror', None) or exc}") from None


def _probe_tcp(endpoint: Endpoint, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Fail fast, with a clear message, when the host does not resolve or the port is closed.

    pyVmomi's version discovery opens its first connection without a timeout.
    """
    where = endpoint.display
    try:
        with socket.create_connection((endpoint.host, endpoint.port), timeout=timeout_s):
            pass
    except socket.gaierror:
        raise CollectionError(f"cannot resolve host name {endpoint.host!r}") from None
    except ConnectionRefusedError:
        raise CollectionError(f"connection refused by {where}") from None
    except TimeoutError:
        raise CollectionError(f"timed out connecting to {where} after {timeout_s:g} s") from None
    except OSError as exc:
        raise CollectionError(f"cannot connect to {where}: {exc.strerror or exc.__class__.__name__}") from None


def _tls_message(exc: ssl.SSLError, endpoint: Endpoint) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or "verification failed"
        return (
            f"TLS certificate of {endpoint.display} not trusted ({reason}); "
            "pass --ca-file with the vCenter CA, or --insecure to skip verification"
        )
    return f"TLS handshake with {endpoint.display} failed ({exc.reason or exc.__class__.__name__})"


def one_line_reason(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200] or exc.__class__.__name__


def connect(
    server: str,
    user: str,
    password: str,
    insecure: bool = False,
    ca_file: str | None = None,
    timeout_s: float = SOAP_TIMEOUT_S,
) -> Any:
    """Log in and return a pyVmomi ServiceInstance. Prefer :func:`vcenter_session`.

    ``timeout_s`` bounds every socket operation of every SOAP call (and the first connect).
    """
    if timeout_s <= 0:
        raise CollectionError(f"timeout must be more than 0 seconds, got {timeout_s:g}")
    endpoint = parse_server(server)
    context = ssl_context(insecure, ca_file) if endpoint.scheme == "https" else None
    _probe_tcp(endpoint, min(CONNECT_TIMEOUT_S, timeout_s))
    where = endpoint.display
    # Every call, from Login on: a total deadline, a size cap, no unasked decoding.
    install_response_guard()
    try:
        with bounded_version_discovery(timeout_s):
            service_instance = SmartConnect(
                protocol=endpoint.scheme,
                host=endpoint.host,
                port=endpoint.port,
                path=endpoint.path,
                user=user,
                pwd=password,
                sslContext=context,
                httpConnectionTimeout=timeout_s,
            )
    except vim.fault.InvalidLogin:
        raise CollectionError(f"login to {where} refused for user {user!r}: wrong user name or password") from None
    except vim.fault.NoPermission:
        raise CollectionError(f"user {user!r} has no permission to log in to {where}") from None
    except ssl.SSLError as exc:
        raise CollectionError(_tls_message(exc, endpoint)) from None
    except vmodl.MethodFault as fault:
        detail = getattr(fault, "msg", None) or ""
        raise CollectionError(f"login to {where} failed: {fault.__class__.__name__}: {detail}".strip()) from None
    except TimeoutError as exc:
        raise CollectionError(f"connection to {where} failed: {one_line_reason(exc)}") from None
    except (ConnectionError, http.client.HTTPException) as exc:
        raise CollectionError(f"connection to {where} failed: {exc.__class__.__name__}") from None
    except ParseError as exc:
        # pyVmomi's version discovery parses vimServiceVersions.xml with ElementTree.
        raise CollectionError(f"unreadable API version list from {where} (vimServiceVersions.xml): "
                              f"{one_line_reason(exc)}") from None
    except (ExpatError, ValueError) as exc:
        # Malformed XML, entity expansion expat refuses (billion laughs), or a value pyVmomi cannot
        # convert (letters or thousands of digits in an xsd:int) in the answer to the login.
        raise CollectionError(f"unreadable answer from {where} to the login: {one_line_reason(exc)}") from None
    except OSError as exc:
        raise CollectionError(f"connection to {where} failed: {exc.strerror or exc.__class__.__name__}") from None
    except Exception as exc:
        # pyVmomi raises a bare Exception when the server does not answer as a vSphere SDK endpoint,
        # and a RuntimeError for a version list of a format it does not know.
        if "is not a VIM server" in str(exc) or "is down" in str(exc):
            raise CollectionError(f"{where}{endpoint.path} is not a vSphere API endpoint") from None
        if isinstance(exc, RuntimeError) and "vimServiceVersions.xml" in str(exc):
            raise CollectionError(f"unreadable API version list from {where}: {one_line_reason(exc)}") from None
        raise
    # From here on only allow-listed read methods can be sent (scanner/collector/readonly.py).
    enforce_read_only(service_instance)
    return service_instance


def disconnect(service_instance: Any) -> None:
    # Logout failures (session already expired, network gone) must not hide the real outcome.
    with contextlib.suppress(Exception):
        Disconnect(service_instance)


@contextlib.contextmanager
def vcenter_session(
    server: str,
    user: str,
    password: str,
    insecure: bool = False,
    ca_file: str | None = None,
    timeout_s: float = SOAP_TIMEOUT_S,
) -> Iterator[Any]:
    """``with vcenter_session(...) as si:`` — logged-in ServiceInstance, logged out on exit."""
    service_instance = connect(server, user, password, insecure=insecure, ca_file=ca_file, timeout_s=timeout_s)
    try:
        yield service_instance
    finally:
        disconnect(service_instance)
