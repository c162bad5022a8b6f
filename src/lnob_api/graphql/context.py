"""The typed per-request context: principal, database, loaders and language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info as StrawberryInfo

from lnob_api.auth.principal import Principal
from lnob_api.config import Settings
from lnob_api.db.request import RequestDb
from lnob_api.observability import tracing

BatchFn = Callable[[list[Any]], Awaitable[list[Any]]]


class Loaders:
    """DataLoaders created lazily, one per (name, arguments), living for one request only,
    so a cached row never crosses principals."""

    def __init__(self) -> None:
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}

    def get(self, key: Hashable, batch: BatchFn) -> DataLoader[Any, Any]:
        loader = self._loaders.get(key)
        if loader is None:
            loader = DataLoader(load_fn=tracing.traced_batch(key, batch))
            self._loaders[key] = loader
        return loader


@dataclass
class Context:
    principal: Principal
    db: RequestDb
    settings: Settings
    language: str = "en"
    request_id: str = ""
    loaders: Loaders = field(default_factory=Loaders)
    request: Any = None
    response: Any = None


Info = StrawberryInfo[Context, None]
