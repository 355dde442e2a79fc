"""Tables of the pricing capability."""

from __future__ import annotations
