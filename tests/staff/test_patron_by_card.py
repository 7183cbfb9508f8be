"""Every staff page names a patron by the masked card in use, linking to their page, never
"Patron #N": a walk of every admin page for every role."""

import pytest

from tests.admin_walk import pages_naming_patron_by_number
from tests.helpers import signed_in

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["clerk", "librarian", "director", "superuser"])
def test_no_staff_page_names_a_patron_by_number(role, request, one_of_everything):
    user = request.getfixturevalue(role)
    assert pages_naming_patron_by_number(signed_in(user), user) == []
