"""Everything circulation keeps, one module per concept: the catalog (`catalog.py`),
lending (`lending.py`: loans, holds, fines), payments, the circulation rules, the
calendar, transit, programs, visits and computers (`library_use.py`), notices, and the
anonymous statistics tables (`usage.py`). Models that reach a patron are record kinds
(`circulation/records.py`), with an opaque `__str__` (`Loan #812`)."""

from circulation.models.calendar import BranchClosure, OpeningHours
from circulation.models.catalog import Branch, Item, SearchWord, Title
from circulation.models.lending import Fine, Hold, Loan
from circulation.models.library_use import (
    ComputerSession,
    Program,
    ProgramRegistration,
    Visit,
    VisitCount,
)
from circulation.models.notices import NoticePreference, NoticeSent
from circulation.models.payments import FinePayment
from circulation.models.rules import CirculationRule
from circulation.models.transit import Transit
from circulation.models.usage import (
    ChargeDay,
    CirculationDay,
    ComputerUseDay,
    HoldDay,
    HoldWait,
    OverdueDay,
    TitleMonth,
)

__all__ = [
    "Branch",
    "BranchClosure",
    "ChargeDay",
    "CirculationDay",
    "CirculationRule",
    "ComputerSession",
    "ComputerUseDay",
    "Fine",
    "FinePayment",
    "Hold",
    "HoldDay",
    "HoldWait",
    "Item",
    "Loan",
    "NoticePreference",
    "NoticeSent",
    "OpeningHours",
    "OverdueDay",
    "Program",
    "ProgramRegistration",
    "SearchWord",
    "Title",
    "TitleMonth",
    "Transit",
    "Visit",
    "VisitCount",
]
