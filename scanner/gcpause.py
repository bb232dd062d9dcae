"""One pause of Python's cyclic garbage collector for long, allocation-heavy steps."""
from __future__ import annotations

import atexit
import functools
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
# How many steps hold the pause now, and whether the collector ran before the first of them.
_state = {"holders": 0, "was_enabled": False}


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic collector for one step, then restore it when the last pausing step ends.

    Reading an export, collecting a vCenter, assessing and reporting each create hundreds of
    thousands of objects and next to no reference cycles, and every automatic full collection
    walks every live object (measured: ~20 % of an RVTools import, 10-15 % of a 10,000-VM
    collection, 30 % of the analysis and half of the HTML report at 10,000 VMs). Counted, so that
    nested steps and concurrent vCenter collections in threads re-enable it only once, at the end.
    Cycles made meanwhile are collected once it runs again.
    """
    with _lock:
        if _state["holders"] == 0:
            _state["was_enabled"] = gc.isenabled()
            gc.disable()
        _state["holders"] += 1
    try:
        yield
    finally:
        with _lock:
            _state["holders"] -= 1
            if _state["holders"] == 0 and _state["was_enabled"]:
                gc.enable()


@functools.cache
def no_last_collection_at_exit() -> None:
    """Leave what is alive at the interpreter's exit out of the cyclic collector's last run (once per process).

    Python collects once more while it shuts down, walking every object still alive (pyVmomi's
    thousands of types, a command's data): 0.10-0.15 s at the end of a 10,000-VM collection. An exit
    handler moves them to the permanent generation (gc.freeze), which that run skips; the process
    ends just after. (Python never promised to finalize objects still alive at exit; vmscan closes
    its files itself.)
    """
    atexit.register(gc.freeze)
