"""Where the engine's refusals become translated Odoo errors."""
from odoo.exceptions import UserError


def refusal_error(env, refusal, error_class=UserError):
    """The engine's refusal (engine.messages.Refusal: VendRefused, TariffError, CardRefused,
    MeterRefused) as an Odoo error in the user's language: the one place where the engine's
    messages are translated. Raise it `from None`: the refusal is the whole story."""
    return error_class(env._(refusal.message, **refusal.params))
