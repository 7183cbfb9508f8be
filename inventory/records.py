"""The shelf check keeps no patron record (its scans name copies, never a loan or a
borrower), so it registers no kind; it grants its permission to the roles.

Circulation staff (clerks) and everyone above them may run an inventory: scanning shelves
is clerks' work in most libraries, and its one correction is the desk's check-in, which
they already do. Closing a session is theirs too; nothing here deletes."""

from staff.roles import CIRCULATION_STAFF, grant, perms

grant(
    CIRCULATION_STAFF,
    ["inventory.run_inventory", *perms("inventory", "inventorysession", "view")],
)
