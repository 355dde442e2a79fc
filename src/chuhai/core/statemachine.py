"""Explicit state machines: every allowed transition is a row in one table.

An action not in the table for the current state is an `InvalidTransition` (HTTP 409) that
names the current state. Each capability stores the transitions it makes with who, when,
from, to and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chuhai.core.errors import InvalidTransition


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    permission: str


class StateMachine:
    def __init__(self, entity: str, transitions: Iterable[Transition]) -> None:
        self.entity = entity
        self.transitions = tuple(transitions)
        self._by_action = {t.action: t for t in self.transitions}

    def transition(self, state: str, action: str) -> Transition:
        found = self._by_action.get(action)
        if found is None or state not in found.sources:
            raise InvalidTransition(self.entity, state, action)
        return found

    def actions_from(self, state: str) -> list[Transition]:
        return [t for t in self.transitions if state in t.sources]

    @property
    def states(self) -> set[str]:
        states: set[str] = set()
        for t in self.transitions:
            states |= t.sources | {t.target}
        return states
