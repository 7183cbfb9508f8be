"""The public catalog: its pages (`views.py`), the keyword search and its facets
(`search.py`) and the text it searches (`text.py`: accents and case folded, ISBNs)."""
