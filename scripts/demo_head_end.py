"""Run inside `odoo shell` on the demo database (scripts/run.sh does it), with
DEMO_HEAD_END_CONFIG (the head-end's config file) and DEMO_URL (the Odoo URL it talks to) set:
make sure the bridge record "Demo head-end" (service Meter head-end) is the one that config is
paired with. Prints PAIRED when it is, otherwise PAIRING_CODE=<code> of a record waiting for
pairing (the demo head-end paired before, if any, is revoked): `head-end pair` takes it.
"""
import json
import os

NAME = 'Demo head-end'
Bridge = env['prepaid.card.bridge']  # noqa: F821
bridges = Bridge.search([('name', '=', NAME), ('service', '=', 'head_end'), ('state', '!=', 'revoked')])
try:
    with open(os.environ['DEMO_HEAD_END_CONFIG'], encoding='utf-8') as config_file:
        config = json.load(config_file)
except (OSError, ValueError):
    config = {}
paired = bridges.filtered(lambda b: b.state == 'paired' and b.id == config.get('bridge_id')) \
    if config.get('url') == os.environ['DEMO_URL'] else Bridge
if paired:
    print("PAIRED")
else:
    bridges.filtered(lambda b: b.state == 'paired').action_revoke()
    waiting = bridges.filtered(lambda b: b.state == 'pairing')[:1]
    bridge = waiting or Bridge.create({'name': NAME, 'service': 'head_end'})
    bridge.action_new_pairing_code()
    env.cr.commit()  # noqa: F821
    print(f"PAIRING_CODE={bridge.pairing_code}")
