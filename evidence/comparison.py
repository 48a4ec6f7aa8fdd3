"""What changed between two consecutive submissions of one vendor (submission N and N+1).

A reviewer of a second round wants to know which of last round's problems the vendor fixed,
which remain and what broke anew. A *problem* is a case of the test set with at least one error,
or, for an error that names no case (a schema violation of the CFDI, a missing sheet), that
finding's code on its tab. Only errors count: a warning never stops an approval (DOMAIN §3).

Rounds have different test sets, but case ids (``M01``…, ``E01``…) name the same slot of the
generator's coverage, so a case id is compared across rounds as is (without regard to case or
surrounding spaces, as the checks group rows).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

ERROR = "error"


class Observation(Protocol):
    """The part of a finding the comparison reads (``schema.Finding`` and
    ``evidence.findings.Finding`` both have it)."""

    @property
    def code(self) -> str: ...

    @property
    def severity(self) -> str: ...

    @property
    def tab(self) -> int | None: ...

    @property
    def case(self) -> str | None: ...


F = TypeVar("F", bound=Observation)


@dataclass(frozen=True)
class Problem:
    """A case with errors (``code`` None) or, for errors of no case, a code on a tab."""

    case: str | None
    tab: int | None = None
    code: str | None = None

    @property
    def label(self) -> str:
        if self.case is not None:
            return f"Caso {self.case}"
        where = "libro" if self.tab is None else f"pestaña {self.tab}"
        return f"{self.code} ({where})"


def problem_of(observation: Observation) -> Problem:
    case = (observation.case or "").strip().upper()
    if case:
        return Problem(case)
    return Problem(None, observation.tab, observation.code)


def _sort_key(problem: Problem) -> tuple[bool, str, int, str]:
    # Cases first, in id order; then the problems of no case by tab and code.
    return (problem.case is None, problem.case or "", problem.tab or 0, problem.code or "")


def _problems(findings: Iterable[Observation]) -> set[Problem]:
    return {problem_of(f) for f in findings if str(f.severity) == ERROR}


@dataclass(frozen=True)
class Change(Generic[F]):
    """Submission N → N+1: each list in the order cases, then problems of no case."""

    fixed: tuple[Problem, ...]
    still_wrong: tuple[Problem, ...]
    new: tuple[Problem, ...]
    # The errors of N+1 behind ``new``, for their messages.
    new_errors: tuple[F, ...]

    @property
    def unchanged(self) -> bool:
        return not (self.fixed or self.new)


def compare_submissions(before: Sequence[Observation], after: Sequence[F]) -> Change[F]:
    """The problems of ``before`` (submission N) fixed, kept and added in ``after`` (N+1)."""
    old, current = _problems(before), _problems(after)
    new = current - old
    return Change(
        fixed=tuple(sorted(old - current, key=_sort_key)),
        still_wrong=tuple(sorted(old & current, key=_sort_key)),
        new=tuple(sorted(new, key=_sort_key)),
        new_errors=tuple(f for f in after if str(f.severity) == ERROR and problem_of(f) in new),
    )
