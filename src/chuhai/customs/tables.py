"""Tables of the customs capability."""

from __future__ import annotations
