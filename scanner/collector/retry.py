"""Retry a whole read operation after a dropped connection or an expired session.

The unit of retry is one complete, idempotent retrieval (a fresh ContainerView plus every page of
RetrievePropertiesEx), never a single SOAP call: after a lost response the server may already
have advanced a ``ContinueRetrievePropertiesEx`` token, and views die with their session, so
repeating one call could silently skip a page. Everything retried here is read-only (see
readonly.py), so repeating it is harmless.

- Connection reset, timeout, broken HTTP exchange: wait (exponential backoff), try again.
  pyVmomi drops broken pooled connections itself, so the retry opens a new one.
- ``NotAuthenticated`` (session expired or was terminated): log in again, then try again.
- ``ManagedObjectNotFound`` for a whole retrieval: try again at once with a fresh view. (An
  object deleted mid-read comes back per object and is skipped with a note by the collector.)
- Anything else (a fault the server means, a TLS verification error) is raised at once.
"""

from __future__ import annotations

import dataclasses
import http.client
import ssl
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from pyVmomi import vim, vmodl

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries per operation, the first included
    initial_delay_s: float = 1.0
    multiplier: float = 2.0
    max_delay_s: float = 30.0

    def delays(self) -> list[float]:
        """The waits between tries: 1, 2, 4 ... seconds, capped."""
        out, delay = [], self.initial_delay_s
        for _ in range(max(0, self.attempts - 1)):
            out.append(min(delay, self.max_delay_s))
            delay *= self.multiplier
        return out


NO_RETRY = RetryPolicy(attempts=1)


def is_transient(exc: BaseException) -> bool:
    """A network-level failure worth retrying (not a certificate problem, not a server fault)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return False
    return isinstance(exc, OSError | http.client.HTTPException)


@dataclasses.dataclass
class Retrier:
    """Runs operations under a policy; ``relogin`` restores the session after NotAuthenticated."""

    policy: RetryPolicy = dataclasses.field(default_factory=RetryPolicy)
    relogin: Callable[[], None] | None = None
    # Told about each retry, e.g. to print "connection lost; retrying in 2 s" on stderr.
    notify: Callable[[str], None] | None = None
    sleep: Callable[[float], None] = time.sleep
    retries: int = 0  # total retries made, for the collection record
    relogins: int = 0

    def run(self, what: str, operation: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return operation()
            except Exception as exc:
                self._recover(what, exc, attempt)
            attempt += 1

    def iterate(self, what: str, start: Callable[[], Iterator[T]], key: Callable[[T], str]) -> Iterator[T]:
        """:meth:`run` for a stream: a retry starts the stream again and skips items already yielded."""
        seen: set[str] = set()
        attempt = 0
        while True:
            try:
                for item in start():
                    item_key = key(item)
                    if item_key not in seen:
                        seen.add(item_key)
                        yield item
                return
            except Exception as exc:
                self._recover(what, exc, attempt)
            attempt += 1

    def _recover(self, what: str, exc: Exception, attempt: int) -> None:
        """Prepare the next attempt after ``exc``, or re-raise it when it is not worth another try."""
        delays = self.policy.delays()
        if attempt >= len(delays):
            raise exc
        if isinstance(exc, vim.fault.NotAuthenticated):
            if self.relogin is None:
                raise exc
            self._note(f"{what}: session expired; logging in again")
            self.relogin()
            self.relogins += 1
        elif isinstance(exc, vmodl.fault.ManagedObjectNotFound):
            # The view or container went away under us (deleted, or a view of a lost session):
            # a fresh attempt builds a new view.
            self._note(f"{what}: an object disappeared during the read; reading again")
        elif is_transient(exc):
            self._note(f"{what}: connection problem ({exc.__class__.__name__}); retrying in {delays[attempt]:g} s")
            self.sleep(delays[attempt])
        else:
            raise exc
        self.retries += 1

    def _note(self, message: str) -> None:
        if self.notify is not None:
            self.notify(message)
