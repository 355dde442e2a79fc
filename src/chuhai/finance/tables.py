"""Tables of the finance capability."""

from __future__ import annotations
