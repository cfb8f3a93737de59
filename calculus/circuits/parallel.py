"""Independent syntheses on a Dask cluster, when one is configured; else here, in order.

``configure(workers=N)`` starts a LocalCluster of N worker processes (0: the machine's
cores) the first time work is sent; ``configure(scheduler=ADDRESS)`` uses an existing
cluster.  Dask is imported only then.  ``run_all(function, items)`` maps a function over
items; ``submit(function, *args)`` starts one call and returns something with
``.result()``.  With no cluster both run in this process.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

_SETTINGS: dict[str, Any] = {"workers": None, "scheduler": None, "processes": True}
_LOCK = threading.Lock()
_CLIENT: list[Any] = []  # the client, once connected, and its label


def configure(
    workers: int | None = None, scheduler: str | None = None, processes: bool = True
) -> None:
    """Send independent syntheses to Dask (see the module); with neither, run them here."""
    close()
    _SETTINGS.update(workers=workers, scheduler=scheduler, processes=processes)


def configured() -> bool:
    return _SETTINGS["workers"] is not None or _SETTINGS["scheduler"] is not None


def close() -> None:
    with _LOCK:
        if _CLIENT:
            client = _CLIENT[0]
            cluster = getattr(client, "cluster", None)
            client.close()
            if cluster is not None and _SETTINGS["scheduler"] is None:
                cluster.close()
            _CLIENT.clear()


def client() -> tuple[Any, str] | None:
    """The Dask client (started on first use) and a label for it, or None."""
    if not configured():
        return None
    with _LOCK:
        if _CLIENT:
            return _CLIENT[0], _CLIENT[1]
        from dask.distributed import Client, LocalCluster  # heavy: imported only when used

        scheduler = _SETTINGS["scheduler"]
        if scheduler is not None:
            connected = Client(scheduler, timeout="20s")
            label = f"Dask scheduler {scheduler}"
        else:
            count = _SETTINGS["workers"] or os.cpu_count() or 1
            cluster = LocalCluster(
                n_workers=count,
                threads_per_worker=1,
                processes=bool(_SETTINGS["processes"]),
                dashboard_address=None,
            )
            connected = Client(cluster)
            label = f"Dask, {count} local worker{'s' if count != 1 else ''}"
        _CLIENT[:] = [connected, label]
        atexit.register(close)
        return connected, label


class _Done:
    def __init__(self, value: Any) -> None:
        self.value = value

    def result(self) -> Any:
        return self.value


def submit(function: Callable[..., Any], *args: Any) -> Any:
    connected = client()
    if connected is None:
        return _Done(function(*args))
    return connected[0].submit(function, *args, pure=False)


def run_all(function: Callable[[Any], Any], items: Sequence[Any]) -> tuple[list[Any], str]:
    connected = client()
    if connected is None:
        return [function(item) for item in items], "in process"
    futures = connected[0].map(function, list(items), pure=False)
    return list(connected[0].gather(futures)), connected[1]
