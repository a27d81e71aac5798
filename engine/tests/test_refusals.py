"""Every refusal of the engine is one kind of thing, a Refusal: a code for programs, a
translatable template and its parameters for people, the English text as str()."""
import pytest

from engine import card_format, tariff, vending
from engine.messages import Refusal
from engine.tests import virtual_meter


@pytest.mark.parametrize('refusal', [
    vending.VendRefused('too_large', "%(quantity)s kWh is too much for one purchase.", quantity='5'),
    tariff.TariffError("Tier limits must increase (tier %(tier)s).", tier=2),
    card_format.CardRefused('unknown_version', "Unknown card format version %(version)s.", version=9),
    virtual_meter.MeterRefused('wrong_meter', "Meter: the card is for meter %(meter)s.", meter='1'),
])
def test_every_refusal_is_a_refusal(refusal):
    assert isinstance(refusal, Refusal)
    assert refusal.code and refusal.params
    assert str(refusal) == refusal.message % refusal.params == refusal.args[0]
    assert '%(' not in str(refusal)


def test_a_refusal_without_parameters_is_its_message():
    refusal = card_format.CardRefused('blank', "This is a blank card: it holds no customer.")
    assert (str(refusal), refusal.params) == ("This is a blank card: it holds no customer.", {})


def test_a_tariff_error_is_still_a_value_error():
    with pytest.raises(ValueError) as info:
        tariff.build_tariff('flat', price='-1')
    assert isinstance(info.value, Refusal) and info.value.code == 'tariff'
