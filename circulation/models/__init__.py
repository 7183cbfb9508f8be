"""Everything circulation keeps, one module per concept: the catalog (`catalog.py`),
lending (`lending.py`: loans, holds, fines), payments, the circulation rules, the
library's policy (`policy.py`), the calendar, transit, programs, visits and computers
(`library_use.py`) and notices (the anonymous statistics tables are the stats app's:
`stats/models.py`). Models that reach a patron are record kinds
(`circulation/records.py`), with an opaque `__str__` (`Loan #812`)."""

from circulation.models.calendar import BranchClosure, OpeningHours
from circulation.models.catalog import Branch, Item, SearchWord, Title, TitleWord
from circulation.models.lending import Fine, Hold, Loan
from circulation.models.library_use import (
    ComputerSession,
    Program,
    ProgramRegistration,
    Visit,
    VisitCount,
)
from circulation.models.notices import NoticeOutbox, NoticePreference, NoticeSent
from circulation.models.payments import FinePayment
from circulation.models.policy import LibraryPolicy
from circulation.models.rules import CirculationRule
from circulation.models.transit import Transit

__all__ = [
    "Branch",
    "BranchClosure",
    "CirculationRule",
    "ComputerSession",
    "Fine",
    "FinePayment",
    "Hold",
    "Item",
    "LibraryPolicy",
    "Loan",
    "NoticeOutbox",
    "NoticePreference",
    "NoticeSent",
    "OpeningHours",
    "Program",
    "ProgramRegistration",
    "SearchWord",
    "Title",
    "TitleWord",
    "Transit",
    "Visit",
    "VisitCount",
]
