"""Cache what moto recomputes on every request although it never changes while the server runs."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from typing import Any

from controlplane.moto_patches import source_fingerprint

# sha256 of the moto 5.2.5 source of each function cached here; apply() refuses when one changed.
REVIEWED_SOURCES = {
    # Lists moto's package folders with os.listdir + isdir: about 50 stat calls per request.
    "moto.backends.list_of_moto_modules": (
        "4f741a10b06500e840c3aaa1b4f02706e6f2bfbababc0e8a2a7b9c9d0e8957dc"
    ),
    # A pure function of the host and the fixed URL patterns (a regex scan of every service's patterns).
    "moto.moto_server.werkzeug_app.DomainDispatcherApplication.get_backend_for_host": (
        "1f41972c1e4e660fbf4e4ddfeeed2fdff56dc105a8f8e1bf015640f710ef511a"
    ),
    # inspect.getmembers on the response class, to check that the action names one of its methods.
    "moto.core.utils.method_names_from_class": (
        "9dbac89d082b655fee902c450e69de9dbadf9699ad06411298494984b55138c3"
    ),
}

# Hosts come from the request's credential scope; stop remembering new ones past this many.
MAX_CACHED_HOSTS = 1024

_CACHED = "_books_cqrs_cached"


def _current_sources() -> dict[str, Callable[..., Any]]:
    from moto import backends
    from moto.core import utils
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    return {
        "moto.backends.list_of_moto_modules": backends.list_of_moto_modules,
        "moto.moto_server.werkzeug_app.DomainDispatcherApplication.get_backend_for_host": (
            DomainDispatcherApplication.get_backend_for_host
        ),
        "moto.core.utils.method_names_from_class": utils.method_names_from_class,
    }


def _original(func: Callable[..., Any]) -> Callable[..., Any]:
    return getattr(func, "__wrapped__", func) if getattr(func, _CACHED, False) else func


def changed_sources() -> dict[str, str]:
    """Cached functions whose source differs from the reviewed one, with their current hash."""
    found = {name: source_fingerprint(_original(func)) for name, func in _current_sources().items()}
    return {name: digest for name, digest in found.items() if digest != REVIEWED_SOURCES[name]}


def _mark(wrapper: Callable[..., Any]) -> Callable[..., Any]:
    setattr(wrapper, _CACHED, True)
    return wrapper


def cached_module_list(original: Callable[[], Iterable[str]]) -> Callable[[], Iterable[str]]:
    """moto's package folders, listed once: they do not change while the server runs."""
    found: list[tuple[str, ...]] = []

    @functools.wraps(original)
    def list_of_moto_modules() -> Iterable[str]:
        if not found:
            found.append(tuple(original()))
        return found[0]

    return _mark(list_of_moto_modules)


def cached_backend_for_host(original: Callable[[Any, str | None], Any]) -> Callable[[Any, str | None], Any]:
    """The backend for a host, looked up once per host (moto calls it under its dispatcher lock)."""
    cache: dict[str | None, Any] = {}
    lock = threading.Lock()

    @functools.wraps(original)
    def get_backend_for_host(self: Any, host: str | None) -> Any:
        if host in cache:
            return cache[host]
        backend = original(self, host)
        with lock:
            if len(cache) < MAX_CACHED_HOSTS:
                cache[host] = backend
        return backend

    return _mark(get_backend_for_host)


def cached_method_names(original: Callable[[object], list[str]]) -> Callable[[object], list[str]]:
    """A response class's method names, listed once per class (classes do not change after import)."""
    cache: dict[object, list[str]] = {}

    @functools.wraps(original)
    def method_names_from_class(clazz: object) -> list[str]:
        names = cache.get(clazz)
        if names is None:
            names = cache[clazz] = original(clazz)
        return names

    return _mark(method_names_from_class)


def apply() -> None:
    """Install the caches once; refuse to run on a moto whose cached functions we have not reviewed."""
    from moto import backends
    from moto.core import responses, utils
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    changed = changed_sources()
    if changed:
        details = ", ".join(f"{name} (sha256 {digest})" for name, digest in changed.items())
        raise RuntimeError(
            f"moto changed {details}; review controlplane/dispatch_patches.py before upgrading moto"
        )
    if getattr(utils.method_names_from_class, _CACHED, False):
        return
    # setattr: the replacements keep each function's signature, which mypy cannot see through a wrapper.
    setattr(backends, "list_of_moto_modules", cached_module_list(backends.list_of_moto_modules))  # noqa: B010
    setattr(  # noqa: B010
        DomainDispatcherApplication,
        "get_backend_for_host",
        cached_backend_for_host(DomainDispatcherApplication.get_backend_for_host),
    )
    cached = cached_method_names(utils.method_names_from_class)
    setattr(utils, "method_names_from_class", cached)  # noqa: B010
    setattr(responses, "method_names_from_class", cached)  # noqa: B010  (imported there by name)
