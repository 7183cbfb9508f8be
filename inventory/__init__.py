"""The shelf check (inventory): staff scan what is on a branch's shelves and get what is
missing, what is on the shelf but recorded otherwise, what belongs to another branch and
what the catalog does not know."""
