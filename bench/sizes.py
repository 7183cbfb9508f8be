"""How big the benchmark's data set is at a scale: the counts of every table
`bench.data` fills (at scale 1, a consortium of 100,000 patrons)."""

from __future__ import annotations

from dataclasses import dataclass

#: Access entries the data set writes per patron, as `log_access` would.
ACCESS_PER_PATRON = 2


@dataclass(frozen=True)
class Sizes:
    patrons: int
    items: int
    loans: int
    holds: int
    fines: int
    visits: int
    sessions: int
    programs: int
    registrations: int

    @classmethod
    def at(cls, scale: float) -> Sizes:
        def n(base: int, floor: int) -> int:
            return max(floor, round(base * scale))

        patrons = n(100_000, 200)
        items = n(200_000, 400)
        return cls(
            patrons=patrons,
            items=items,
            loans=n(1_000_000, 2_000),
            holds=n(100_000, 200),
            fines=n(50_000, 100),
            visits=n(500_000, 1_000),
            sessions=n(200_000, 400),
            programs=n(2_000, 20),
            registrations=n(40_000, 200),
        )

    @property
    def titles(self) -> int:
        return max(1, self.items // 2)

    @property
    def open_loans(self) -> int:
        return min(self.loans // 10, self.items)

    @property
    def active_holds(self) -> int:
        return min(self.holds // 5, self.titles, self.patrons // 2)

    @property
    def access_entries(self) -> int:
        """Per patron: opened at a desk check-out, listed in a staff search."""
        return ACCESS_PER_PATRON * self.patrons

    @property
    def audit_entries(self) -> int:
        """One creation entry per record, as django-auditlog writes them (a patron's card
        included), and the access entries."""
        return (
            2 * self.patrons
            + self.loans
            + self.holds
            + self.fines
            + self.visits
            + self.sessions
            + self.registrations
            + self.access_entries
        )

    @property
    def total(self) -> int:
        return (
            self.audit_entries
            + 2 * self.patrons
            + self.titles
            + self.items
            + self.loans
            + self.holds
            + self.fines
            + self.visits
            + self.sessions
            + self.programs
            + self.registrations
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "patrons": self.patrons,
            "cards": self.patrons,
            "titles": self.titles,
            "items": self.items,
            "loans": self.loans,
            "holds": self.holds,
            "fines": self.fines,
            "visits": self.visits,
            "computer_sessions": self.sessions,
            "programs": self.programs,
            "program_registrations": self.registrations,
            "audit_entries": self.audit_entries,
            "access_entries": self.access_entries,
        }
