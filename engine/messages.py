"""How the engine says no: every refusal is a `Refusal`, whose message is a template marked
with `_lt` for translation and whose parameters are plain values. The Odoo layer translates
any refusal in one place (`tools.refusal_error`)."""


def _lt(message: str) -> str:
    """Mark a message for translation export; translated where it is shown."""
    return message


class Refusal(Exception):
    """Why the engine refuses: `code` for programs, `message` (a translatable template with
    named parameters, marked with _lt) and `params` (its values) for people; str() is the
    English text."""

    def __init__(self, code: str, message: str, **params: str | int):
        self.code = code
        self.message = message
        self.params = params
        super().__init__(self.text())

    def text(self) -> str:
        """The English text: the template filled in."""
        return self.message % self.params if self.params else self.message

    def __str__(self) -> str:
        return self.text()
