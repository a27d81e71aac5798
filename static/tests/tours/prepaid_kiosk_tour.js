import { registry } from "@web/core/registry";

/*
 * Tours of the self-service kiosk page (/prepaid/kiosk/<config_id>?access_token=...). The
 * page loads them itself in test mode (bundle prepaid_electricity.assets_kiosk_tests, see
 * views/prepaid_kiosk_templates.xml); they are in web.assets_tests as well, where nothing
 * runs them. The tours only touch the screen: the Python test plays the kiosk's devices
 * (the card in the reader, the bill acceptor, the bank card terminal, the printer), each at
 * the step named below. Every wait is long: the page polls the server every 400 ms to 1 s.
 *
 * The screens, each a root element with a stable class (KioskModel.screen gives the name):
 *   .o_prepaid_kiosk                 the page (also .o_prepaid_kiosk_on_<screen>)
 *   .o_prepaid_kiosk_loading         before the server's first answer
 *   .o_prepaid_kiosk_out_of_service  kiosk.reason, full screen (.o_prepaid_kiosk_reason)
 *   .o_prepaid_kiosk_idle            no card: "insert your card"
 *   .o_prepaid_kiosk_reading         the card is being read
 *   .o_prepaid_kiosk_card_error      the card cannot be used (.o_prepaid_kiosk_card_error_message)
 *   .o_prepaid_kiosk_customer        the card's customer (.o_prepaid_kiosk_customer_name, _number,
 *                                    _meter, _balance, .o_prepaid_kiosk_warnings), and one of:
 *       .o_prepaid_kiosk_waiting_vend   a paid purchase not on the card: button .o_prepaid_kiosk_revend
 *       .o_prepaid_kiosk_cannot_buy     the customer cannot buy here
 *       .o_prepaid_kiosk_presets        button[data-amount='100'], button[data-energy='20'],
 *                                       .o_prepaid_kiosk_other_amount (opens the keypad)
 *       .o_prepaid_kiosk_other          the keypad: .o_prepaid_kiosk_key[data-key='5'],
 *                                       .o_prepaid_kiosk_key_back, .o_prepaid_kiosk_keypad_ok
 *       .o_prepaid_kiosk_quote          .o_prepaid_kiosk_amount_due, .o_prepaid_kiosk_energy_bought,
 *                                       .o_prepaid_kiosk_balance_after, .o_prepaid_kiosk_quote_error,
 *                                       .o_prepaid_kiosk_pay_cash, .o_prepaid_kiosk_pay_card,
 *                                       .o_prepaid_kiosk_change
 *   .o_prepaid_kiosk_cash_in         .o_prepaid_kiosk_inserted, .o_prepaid_kiosk_requested,
 *                                    .o_prepaid_kiosk_note, .o_prepaid_kiosk_buy, .o_prepaid_kiosk_cancel
 *   .o_prepaid_kiosk_bank_card       paying on the terminal (.o_prepaid_kiosk_transaction_error)
 *   .o_prepaid_kiosk_declined        the payment was declined: .o_prepaid_kiosk_back
 *   .o_prepaid_kiosk_voided          the payment was (being) voided: .o_prepaid_kiosk_back once voided
 *   .o_prepaid_kiosk_writing         the card is being written (.o_prepaid_kiosk_write_slow after 30 s)
 *   .o_prepaid_kiosk_write_failed    the card left the reader before it was written
 *   .o_prepaid_kiosk_done            written or topped up: .o_prepaid_kiosk_vend_name, _vend_energy,
 *                                    _vend_amount, _vend_balance, .o_prepaid_kiosk_slip_<queued|failed>
 *   .o_prepaid_kiosk_held            cash kept for an operator: .o_prepaid_kiosk_reference
 *   .o_prepaid_kiosk_error           the message band (a refusal); .o_prepaid_kiosk_offline (no server)
 *   .o_prepaid_kiosk_lang[data-lang='zh_CN']   the language buttons (they reload the page)
 */

const WAIT = 30000;

function customerShown() {
    return [
        {
            content: "the card in the reader is read: its customer is shown",
            trigger: ".o_prepaid_kiosk_customer .o_prepaid_kiosk_customer_number",
            timeout: WAIT,
        },
    ];
}

function takeCardOut() {
    return [
        {
            content: "[test: pull the card] the kiosk waits for the next card",
            trigger: ".o_prepaid_kiosk_idle",
            timeout: WAIT,
        },
    ];
}

/*
 * Cash. The test, in this order:
 *   - puts the customer's card in the reader and answers its read job (before or after the start);
 *   - when the cash-in screen shows (a transaction in state cash_in with its cash job), inserts
 *     notes worth 55.00 (a 50 and a 5: at 2.00 a kWh, 27 kWh and 1.00 left as the balance);
 *   - when the customer pressed Buy (buy_requested), ends the cash job, runs the card write job
 *     and answers the slip's print job;
 *   - when the done screen shows, pulls the card.
 * The money presets must include 100 (the default 20,50,100,200).
 */
registry.category("web_tour.tours").add("prepaid_electricity_kiosk_tour", {
    steps: () => [
        ...customerShown(),
        {
            content: "the customer types an amount of their own",
            trigger: ".o_prepaid_kiosk_presets .o_prepaid_kiosk_other_amount",
            run: "click",
        },
        { trigger: ".o_prepaid_kiosk_other .o_prepaid_kiosk_key[data-key='3']", run: "click" },
        { trigger: ".o_prepaid_kiosk_other .o_prepaid_kiosk_key[data-key='5']", run: "click" },
        { trigger: ".o_prepaid_kiosk_keypad_value:contains('35')" },
        { trigger: ".o_prepaid_kiosk_other .o_prepaid_kiosk_keypad_ok:enabled", run: "click" },
        {
            content: "the server's quote for 35.00",
            trigger: ".o_prepaid_kiosk_quote .o_prepaid_kiosk_amount_due:contains('35.00')",
            timeout: WAIT,
        },
        {
            content: "the customer changes their mind",
            trigger: ".o_prepaid_kiosk_quote .o_prepaid_kiosk_change",
            run: "click",
        },
        {
            content: "choose 100 from the presets",
            trigger: ".o_prepaid_kiosk_presets button[data-amount='100']:enabled",
            run: "click",
        },
        {
            content: "the server's quote for 100.00",
            trigger: ".o_prepaid_kiosk_quote .o_prepaid_kiosk_amount_due:contains('100.00')",
            timeout: WAIT,
        },
        { content: "pay in cash", trigger: ".o_prepaid_kiosk_pay_cash:enabled", run: "click" },
        {
            content: "the cash-in screen, with the amount chosen",
            trigger: ".o_prepaid_kiosk_cash_in .o_prepaid_kiosk_requested:contains('100.00')",
            timeout: WAIT,
        },
        {
            content: "[test: insert notes worth 55.00] the amount inserted shows",
            trigger: ".o_prepaid_kiosk_cash_in .o_prepaid_kiosk_inserted:contains('55.00')",
            timeout: WAIT,
        },
        { content: "buy for the money inserted", trigger: ".o_prepaid_kiosk_buy:enabled", run: "click" },
        {
            content: "[test: end the cash job, write the card, print the slip] the purchase is on the card",
            trigger: ".o_prepaid_kiosk_done .o_prepaid_kiosk_vend_amount:contains('55.00')",
            timeout: WAIT,
        },
        {
            content: "what does not buy a whole kWh stays as the customer's balance",
            trigger: ".o_prepaid_kiosk_done .o_prepaid_kiosk_vend_balance:contains('1.00')",
        },
        ...takeCardOut(),
    ],
});

/*
 * Bank card. The test puts the card in the reader and answers its read job; when the bank card
 * screen shows (a transaction in state paying with its pay job), approves the payment, then runs
 * the card write job and answers the print job; when the done screen shows, pulls the card.
 * The energy presets must include 20 (the default 10,20,50,100).
 */
registry.category("web_tour.tours").add("prepaid_electricity_kiosk_card_tour", {
    steps: () => [
        ...customerShown(),
        {
            content: "choose 20 kWh",
            trigger: ".o_prepaid_kiosk_presets button[data-energy='20']:enabled",
            run: "click",
        },
        {
            content: "the server's quote for 20 kWh",
            trigger: ".o_prepaid_kiosk_quote .o_prepaid_kiosk_energy_bought:contains('20.00')",
            timeout: WAIT,
        },
        { content: "pay by bank card", trigger: ".o_prepaid_kiosk_pay_card:enabled", run: "click" },
        {
            content: "the terminal asks for the card",
            trigger: ".o_prepaid_kiosk_bank_card .o_prepaid_kiosk_amount_requested",
            timeout: WAIT,
        },
        {
            content: "[test: approve the payment, write the card, print the slip] the purchase is on the card",
            trigger: ".o_prepaid_kiosk_done .o_prepaid_kiosk_vend_energy:contains('20.00')",
            timeout: WAIT,
        },
        ...takeCardOut(),
    ],
});

/*
 * Re-vend (补售电). The customer buys 20.00 in cash and pulls the card while it is written; the
 * test, in this order: inserts a 20 note once the acceptor takes cash (the amount reached, the
 * purchase is made and its write starts); the card leaves the reader in the middle of the write;
 * the test puts it back; when the customer pressed the button, the bridge writes it; when the
 * done screen shows, the test pulls the card.
 */
registry.category("web_tour.tours").add("prepaid_electricity_kiosk_revend_tour", {
    steps: () => [
        ...customerShown(),
        {
            content: "choose 20",
            trigger: ".o_prepaid_kiosk_presets button[data-amount='20']:enabled",
            run: "click",
        },
        {
            content: "the server's quote for 20.00",
            trigger: ".o_prepaid_kiosk_quote .o_prepaid_kiosk_amount_due:contains('20.00')",
            timeout: WAIT,
        },
        { content: "pay in cash", trigger: ".o_prepaid_kiosk_pay_cash:enabled", run: "click" },
        {
            content: "[test: insert a 20 note; the card is pulled during the write] not written",
            trigger: ".o_prepaid_kiosk_write_failed",
            timeout: WAIT,
        },
        {
            content: "[test: the card back] the paid purchase that never reached the card is offered",
            trigger: ".o_prepaid_kiosk_customer .o_prepaid_kiosk_revend:enabled",
            timeout: WAIT,
            run: "click",
        },
        {
            content: "the card is being written",
            trigger: ".o_prepaid_kiosk_writing, .o_prepaid_kiosk_done",
            timeout: WAIT,
        },
        {
            content: "the purchase is on the card",
            trigger: ".o_prepaid_kiosk_done .o_prepaid_kiosk_vend_name",
            timeout: WAIT,
        },
        ...takeCardOut(),
    ],
});

/*
 * Terminal settlement (清机) in the backend: the collector opens the kiosk's started settlement,
 * counts the cassette (one 5 note short of what the acceptor stacked) and ends it: a difference
 * of -5.00 is posted.
 */
registry.category("web_tour.tours").add("prepaid_electricity_kiosk_settlement_tour", {
    steps: () => [
        {
            content: "the 50 note the acceptor stacked: counted",
            trigger: ".o_field_x2many_list .o_data_row:contains('50.00') td[name=cassette_count]",
            run: "click",
        },
        {
            trigger: ".o_data_row.o_selected_row:contains('50.00') td[name=cassette_count] input",
            run: "edit 1",
        },
        {
            content: "the 20 note: counted",
            trigger: ".o_field_x2many_list .o_data_row:contains('20.00') td[name=cassette_count]",
            run: "click",
        },
        {
            trigger: ".o_data_row.o_selected_row:contains('20.00') td[name=cassette_count] input",
            run: "edit 1",
        },
        {
            content: "the 5 note the acceptor stacked is missing from the cassette: none counted",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        { content: "end the settlement", trigger: "button[name=action_end]", run: "click" },
        { content: "confirm", trigger: ".modal-footer .btn-primary", run: "click" },
        {
            content: "ended, with a difference of -5.00",
            trigger: ".o_statusbar_status .o_arrow_button_current:contains('Ended')",
        },
        {
            trigger: ".o_field_widget[name=difference]:contains('5.00')",
        },
    ],
});
