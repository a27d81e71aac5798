"""`make meter [CONSUME=10]`: the demo card goes into its customer's virtual meter.

Development and demo only. The meter is engine/tests/virtual_meter.py (the meter's rules for a
card), holding its station's master keys from the runtime's key file as a real meter holds
them, its registers kept in a JSON file between runs (run/meter.json). Without that file it is
a new meter, installed for the meter number on the card and holding its factory preset.

It takes the card the way a real meter's card slot does: through pcscd, in the reader where
`make run` plugged the virtual card ("Virtual PCD 00 00"), alone while it works (the POS
bridge sees the card removed meanwhile). Each run the meter first uses CONSUME kWh (what the
household used since the card was last in it), then the card goes in: the meter loads a valid
credit of the next purchase, flags it consumed and writes its data back onto the card. Read
Card at the POS then shows (and keeps) that write-back, and the next sale can be made.

  python scripts/virtual_meter.py --config ODOO_CONF --state FILE [--consume KWH] [--reader NAME] [--keys FILE]

Run with the runtime's Python and Odoo on the path (scripts/env.sh): the meter's rules come from
the addon, found on the addons path of ODOO_CONF.
"""
import argparse
import json
import logging
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

DEMO_READER = 'Virtual PCD 00 00'
HOLD_SECONDS = 2.5   # longer than the kiosk bridge's long poll (1 s)


def _arguments(argv):
    parser = argparse.ArgumentParser(prog='virtual_meter', description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', required=True, help="the Odoo configuration (addons path, key file)")
    parser.add_argument('--state', type=Path, required=True, help="the meter's registers, kept between runs")
    parser.add_argument('--consume', default='10', help="kWh the meter uses before the card goes in")
    parser.add_argument('--reader', default=DEMO_READER, help="the PC/SC reader holding the card")
    parser.add_argument('--keys', help="the card key file (default: the one of the Odoo configuration)")
    args = parser.parse_args(argv)
    try:
        args.consume = Decimal(args.consume)
    except InvalidOperation:
        parser.error(f"--consume: not a number: {args.consume!r}")
    if args.consume < 0:
        parser.error("--consume cannot be negative")
    return args


def _domain(config_path):
    """The addon's engine modules, imported the way Odoo finds the addon (its addons path)."""
    from odoo.modules.module import initialize_sys_path
    from odoo.tools import config
    logging.basicConfig(level=logging.ERROR)    # not Odoo's notes on the addon's own options
    config.parse_config(['-c', config_path], setup_logging=False)
    initialize_sys_path()
    from odoo.addons.prepaid_electricity.engine import card_format
    from odoo.addons.prepaid_electricity.engine.tests import virtual_meter
    return card_format, virtual_meter, config


def _key_lookup(path):
    with open(path, encoding='utf-8') as handle:
        keys = json.load(handle)

    def lookup(station_code, key_version):
        value = keys.get(str(station_code), {}).get(str(key_version))
        return bytes.fromhex(value) if value else None
    return lookup


def main(argv=None):
    args = _arguments(argv)
    card_format, virtual_meter, config = _domain(args.config)
    from card_bridge.drivers.base import CardError
    from card_bridge.reader_chip import ReaderChip, find_reader

    key_lookup = _key_lookup(args.keys or config['prepaid_card_key_file'])
    try:
        card = ReaderChip(find_reader(args.reader))
        if args.state.exists():
            meter = virtual_meter.VirtualMeter.from_state(json.loads(args.state.read_text()), key_lookup)
            print(f"meter {meter.meter_number} of station {meter.station_code} ({args.state})")
        else:
            image = card_format.decode(card.read(0, card_format.CARD_SIZE), key_lookup).image
            card.power_off()
            meter = virtual_meter.VirtualMeter(
                station_code=image.station_code, meter_number=image.meter_number, key_lookup=key_lookup,
                credit_unit=image.credit_unit, preset=image.preset, remaining=image.preset)
            print(f"new meter {meter.meter_number} of station {meter.station_code}, holding its "
                  f"{meter.preset} kWh preset ({args.state})")
    except CardError as error:
        print(f"meter: {error} (is `make run` up?)", file=sys.stderr)
        return 1
    except card_format.CardRefused as refusal:
        print(f"meter: the card is refused: {refusal}", file=sys.stderr)
        return 1

    unit = 'kWh' if meter.credit_unit == 'energy' else 'yuan'
    meter.consume(args.consume)
    print(f"  used {args.consume} kWh since the card was last in")
    status = 0
    try:
        result = meter.insert_card(card)
    except (virtual_meter.MeterRefused, card_format.CardRefused) as refusal:
        print(f"  the meter refuses the card: {refusal}", file=sys.stderr)
        status = 1
    except CardError as error:
        print(f"  the card could not be read or written: {error}", file=sys.stderr)
        status = 1
    else:
        if result.credited:
            print(f"  card {card.serial.hex()}: purchase {meter.last_sequence} loaded, "
                  f"{result.credited} {unit} net (credit {meter.last_purchase})")
        elif result.already_credited:
            print(f"  purchase {meter.last_sequence} was loaded before the card was pulled: now marked consumed")
        else:
            print(f"  no new credit on the card ({result.card_type} card): data written back only")
        wb = result.write_back
        if wb is None:
            print("  the write-back did not read back: insert the card again", file=sys.stderr)
            status = 1
        else:
            print(f"  written back: remaining {wb.remaining} {unit}, over zero {wb.over_zero}, "
                  f"bought {wb.cumulative_purchased}, used {wb.total_consumption} kWh, "
                  f"card insertions {wb.insert_count}, status {card_format.STATUSES.get(wb.status, wb.status)}")
            print("  Read Card at the POS shows this write-back; then the next sale can be made.")
    finally:
        # the card stays in the meter a moment, held alone: a bridge that polls its reader every
        # second (the kiosk's) sees it gone and reads it anew when it is back
        time.sleep(HOLD_SECONDS)
        card.power_off()
        args.state.parent.mkdir(parents=True, exist_ok=True)
        args.state.write_text(json.dumps(meter.to_state(), indent=1))
    return status


if __name__ == '__main__':
    sys.exit(main())
