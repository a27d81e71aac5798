"""Run inside `odoo shell` on the demo database (scripts/run.sh does it), with DEMO_ACTION set:

  pair  : make sure the bridge record "Demo workstation" waits for pairing; print its code
  issue : write Li Na's card (her first vend) through that bridge onto the virtual card
  kiosk : print the demo kiosk's address
"""
import os

ACTION = os.environ['DEMO_ACTION']
Bridge = env['prepaid.card.bridge']  # noqa: F821
bridge = Bridge.search([('name', '=', 'Demo workstation'), ('state', '!=', 'revoked')], limit=1)
if ACTION == 'pair':
    if bridge.state == 'paired':
        bridge.action_revoke()
        bridge = Bridge.browse()
    bridge = bridge or Bridge.create({'name': 'Demo workstation'})
    bridge.action_new_pairing_code()
    env.ref('prepaid_electricity.pos_config_vending_demo').prepaid_bridge_id = bridge  # noqa: F821
    # the demo workstation is also the lobby kiosk's PC: one bridge drives the reader, the bill
    # acceptor, the receipt printer and the bank card terminal
    kiosk = env.ref('prepaid_electricity.pos_config_kiosk_demo', raise_if_not_found=False)  # noqa: F821
    if kiosk:
        kiosk.prepaid_bridge_id = bridge
    env.cr.commit()  # noqa: F821
    print(f"PAIRING_CODE={bridge.pairing_code}")
elif ACTION == 'issue':
    account = env.ref('prepaid_electricity.prepaid_account_li_demo')  # noqa: F821
    serial = os.environ['DEMO_CARD_SERIAL']
    if os.environ.get('DEMO_NEW_CARD') and account.card_id:
        # the virtual card was thrown away: its record goes, and the card is issued anew
        account.card_id.write({'state': 'cleared', 'is_psc_set': False})
        account.card_id = False
    if not account.card_id:
        card_job = account._issue_card(serial)
        vend = account._last_vend()
        env['prepaid.card.job']._create_for(bridge, 'write', card_job, vend)  # noqa: F821
        env.cr.commit()  # noqa: F821
        print(f"queued: write Li Na's card {serial}")
elif ACTION == 'kiosk':
    kiosk = env.ref('prepaid_electricity.pos_config_kiosk_demo')  # noqa: F821
    print(f"KIOSK_URL=/prepaid/kiosk/{kiosk.id}?access_token={kiosk.access_token}")
