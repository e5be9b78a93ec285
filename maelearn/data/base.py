"""What every offline dataset shares: N examples in one tensor, integer labels (N,) into ``classes``, optional
per-example ``attributes``, and the same subsetting, device moves and splits. The concrete sets (images, videos,
audio clips, time series) are dataclasses that inherit :class:`LabelledSet`."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Callable, TypeVar

import torch

S = TypeVar("S", bound="LabelledSet")


class LabelledSet:
    """Mixin for a dataclass with a ``labels`` (N,) tensor, ``classes`` and an ``attributes`` dict; every tensor
    field whose first dimension is N is subset with it."""

    labels: torch.Tensor
    classes: list[str]
    attributes: dict[str, torch.Tensor]

    def _map(self: S, fn: Callable[[torch.Tensor], torch.Tensor]) -> S:
        changes = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, torch.Tensor):
                changes[f.name] = fn(value)
            elif f.name == "attributes":
                changes[f.name] = {k: fn(v) for k, v in value.items()}
        return replace(self, **changes)

    def __len__(self) -> int:
        return self.labels.shape[0]

    def __getitem__(self: S, index) -> S:
        """Subset by index, slice, boolean mask or index tensor (a single int keeps the batch dimension)."""
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)
        return self._map(lambda t: t[index])

    def to(self: S, device) -> S:
        return self._map(lambda t: t.to(device))

    def split(self: S, n_first: int, seed: int = 0) -> tuple[S, S]:
        """Shuffle with ``seed`` and split into the first ``n_first`` and the rest."""
        if isinstance(n_first, bool) or not isinstance(n_first, int) or not 0 < n_first < len(self):
            raise ValueError(f"n_first must be an int between 1 and {len(self) - 1}, got {n_first!r}")
        perm = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed)).to(self.labels.device)
        return self[perm[:n_first]], self[perm[n_first:]]

    def few_per_class(self: S, k: int, seed: int = 0) -> S:
        """``k`` random examples of every class (few-label experiments)."""
        g = torch.Generator().manual_seed(seed)
        idx = []
        for c in range(len(self.classes)):
            where = torch.nonzero(self.labels.cpu() == c).flatten()
            if len(where) < k:
                raise ValueError(f"class {self.classes[c]!r} has {len(where)} examples, fewer than k={k}")
            idx.append(where[torch.randperm(len(where), generator=g)[:k]])
        return self[torch.cat(idx).to(self.labels.device)]
