"""Spanish as written in the United States: Django's Spanish formats, with the decimal
point and thousands comma of US money and a 12-hour clock, as the library's signs read."""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
TIME_FORMAT = "g:i a"
