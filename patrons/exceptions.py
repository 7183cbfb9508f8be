class Refused(Exception):
    """An operation refused for a reason staff or the patron can act on.

    The message is shown as it is (admin `message_user`, a form error, a portal notice),
    so it never holds a patron's name, a card number or a title.
    """

    code = "refused"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code

    def __str__(self) -> str:
        return self.message


class CardRefused(Refused):
    code = "card"
