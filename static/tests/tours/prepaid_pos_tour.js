/* global posmodel */
import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";
import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as TicketScreen from "@point_of_sale/../tests/pos/tours/utils/ticket_screen_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import { registry } from "@web/core/registry";

/** Open the vending screen and read the card in the bridge's reader. */
function readCard(customer) {
    return [
        { content: "open the vending screen", trigger: ".o_prepaid_sell_button", run: "click" },
        { content: "read the card", trigger: ".pos-content .o_prepaid_vending_screen .o_prepaid_read_card", run: "click" },
        {
            content: "the customer of the card is shown",
            trigger: `.o_prepaid_account:contains(${customer})`,
            timeout: 20000,
        },
    ];
}

/** Read the card, quote `energy` kWh and add it to the order. */
function sellFromCard(customer, energy, amount) {
    return [
        readCard(customer),
        { trigger: ".o_prepaid_quantity", run: `edit ${energy}` },
        { content: "ask the server for a quote", trigger: ".o_prepaid_quote", run: "click" },
        { content: "the quote", trigger: `.o_prepaid_amount_due:contains(${amount})` },
        { content: "add it to the order", trigger: ".o_prepaid_add:enabled", run: "click" },
        { content: "back to the order", trigger: ".product-screen" },
        ProductScreen.totalAmountIs(amount),
        {
            content: "the order line names the customer",
            trigger: `.o_prepaid_line_info:contains(${customer})`,
        },
    ].flat();
}

function payCash(amount) {
    return [
        ProductScreen.clickPayButton(),
        PaymentScreen.clickPaymentMethod("Cash", true, { remaining: "0.00" }),
        PaymentScreen.clickValidate(),
        ReceiptScreen.isShown(),
        {
            content: "the receipt carries the vend",
            trigger: `.o_prepaid_receipt_amount:contains(${amount})`,
        },
    ].flat();
}

/** The ticket of an electricity order: the customer, their number, meter and station, and
 * vending words instead of Odoo's "Ticket" and "Served by". */
function ticketNamesTheCustomer(customer, meter, station) {
    return [
        { content: "the customer's name", trigger: `.pos-receipt .o_prepaid_receipt_customer:contains(${customer})` },
        { content: "the order is the customer's", trigger: `.pos-receipt .pos-receipt-customer:contains(${customer})` },
        {
            content: "the customer number (12 digits)",
            trigger: ".pos-receipt .o_prepaid_receipt_number",
            run({ anchor }) {
                if (!/^\d{12}$/.test(anchor.textContent.trim())) {
                    throw new Error(`not a customer number: ${anchor.textContent}`);
                }
            },
        },
        { content: "the meter", trigger: `.pos-receipt .o_prepaid_receipt_meter:contains(${meter})` },
        { content: "the station", trigger: `.pos-receipt .o_prepaid_receipt_station:contains(${station})` },
        {
            content: "a vending receipt, by its operator: no ticket or waiter words",
            trigger: ".pos-receipt:has(.o_prepaid_receipt_title):has(.o_prepaid_receipt_operator):not(:has(.ticket-name-prefix)):not(:has(.cashier div:contains(Served by)))",
        },
    ];
}

/** Return Products on a paid electricity order: the line cannot be chosen, no refund order is
 * made, and the till still sells, also after a reload. */
function electricityIsNotReturnable(orderTotal) {
    return [
        ProductScreen.clickRefund(),
        TicketScreen.selectOrderByPrice(orderTotal),
        { content: "the line says why", trigger: ".ticket-screen .o_prepaid_not_returnable" },
        ProductScreen.clickNumpad("1"),
        { content: "refused", trigger: ".modal-title:contains(Electricity is not returnable)" },
        Dialog.confirm(),
        { content: "Refund the whole order", trigger: ".ticket-screen .pay-order-button", run: "click" },
        { content: "refused again", trigger: ".modal-title:contains(Electricity is not returnable)" },
        Dialog.confirm(),
        TicketScreen.noLinesToRefund(),
        Chrome.clickRegister(),
        ProductScreen.isShown(),
        ProductScreen.orderIsEmpty(),
        {
            // An emptied refund order (what a refused refund left behind before) sent to the
            // payment screen: the till goes back to the order instead of going blank.
            content: "an empty refund order reaches the payment screen",
            trigger: ".o_prepaid_sell_button",
            run() {
                const order = posmodel.getOrder();
                order.is_refund = true;
                order.setScreenData({ name: "PaymentScreen" });
                posmodel.navigate("PaymentScreen", { orderUuid: order.uuid });
            },
        },
        ProductScreen.isShown(),
        {
            content: "reload the till",
            trigger: ".o_prepaid_sell_button",
            run() {
                window.location.reload();
            },
            expectUnloadPage: true,
        },
        { content: "the till works after the reload", trigger: ".product-screen .o_prepaid_sell_button", timeout: 20000 },
        {
            content: "leave a plain empty order for the next sale",
            trigger: ".o_prepaid_sell_button",
            run() {
                posmodel.getOrder().is_refund = false;
            },
        },
    ].flat();
}

registry.category("web_tour.tours").add("prepaid_electricity_pos_sale", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            sellFromCard("Li Na", "61", "122.00"),
            payCash("122.00"),
            ticketNamesTheCustomer("Li Na", "000052525252", "Station 525252"),
            {
                content: "the bridge wrote the card",
                trigger: ".o_prepaid_write_done",
                timeout: 20000,
            },
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});

registry.category("web_tour.tours").add("prepaid_electricity_pos_rewrite", {
    steps: () =>
        [
            Chrome.startPoS(),
            readCard("Li Na"),
            // Write Card Again: its own dialog follows the job to the bridge's answer
            { content: "write the purchase on the card again", trigger: ".o_prepaid_write_again", run: "click" },
            { trigger: ".modal .o_prepaid_write_vend_popup" },
            { trigger: ".modal .o_prepaid_popup_confirm", run: "click" },
            {
                content: "the dialog says the card is written",
                trigger: ".modal .o_prepaid_card_job_popup .o_prepaid_message",
                timeout: 20000,
            },
            { trigger: ".modal .o_prepaid_popup_close", run: "click" },
            { content: "the dialog is gone", trigger: "body:not(:has(.modal))" },
            { content: "the customer is shown again", trigger: ".o_prepaid_account:contains(Li Na) .o_prepaid_rewrite" },
            { content: "correct the purchase still on the card", trigger: ".o_prepaid_rewrite", run: "click" },
            { trigger: ".o_prepaid_quantity", run: "edit 51" },
            { content: "quote less energy", trigger: ".o_prepaid_quote", run: "click" },
            {
                content: "money goes back: the label says so, the amount is not negative",
                trigger: ".o_prepaid_quote_table tr:contains(To pay back) .o_prepaid_difference:contains(20.00):not(:contains(-))",
            },
            { content: "the net energy the meter credits", trigger: ".o_prepaid_energy_net:contains(51.00)" },
            { trigger: ".o_prepaid_quantity", run: "edit 71" },
            { content: "ask the server for a quote", trigger: ".o_prepaid_quote", run: "click" },
            { content: "the difference to pay", trigger: ".o_prepaid_difference:contains(20.00)" },
            { content: "the net energy the meter credits", trigger: ".o_prepaid_energy_net:contains(71.00)" },
            { content: "add it to the order", trigger: ".o_prepaid_add:enabled", run: "click" },
            { content: "back to the order", trigger: ".product-screen" },
            ProductScreen.totalAmountIs("20.00"),
            {
                content: "the order line is a rewrite",
                trigger: ".o_prepaid_line_rewrite:contains(Rewrite of purchase 2: 61 → 71 kWh, difference)",
            },
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Cash", true, { remaining: "0.00" }),
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
            { content: "the ticket is a rewrite", trigger: ".pos-receipt .o_prepaid_receipt_rewrite:contains(Rewrite credit)" },
            { content: "what it corrects", trigger: ".o_prepaid_receipt_rewrite_energy:contains(61 → 71 kWh)" },
            {
                content: "paid before, the new amount, the difference: no amount contradicts the total",
                trigger: ".o_prepaid_receipt_vend:contains(122.00):contains(142.00):has(.o_prepaid_receipt_difference:contains(20.00)):not(:has(.o_prepaid_receipt_amount))",
            },
            ticketNamesTheCustomer("Li Na", "000052525252", "Station 525252"),
            {
                content: "the bridge wrote the corrected credit",
                trigger: ".o_prepaid_write_done",
                timeout: 20000,
            },
            ReceiptScreen.clickNextOrder(),
            electricityIsNotReturnable("20.00"),
        ].flat(),
});

registry.category("web_tour.tours").add("prepaid_electricity_pos_failed_write", {
    steps: () =>
        [
            Chrome.startPoS(),
            sellFromCard("Li Na", "10", "20.00"),
            payCash("20.00"),
            {
                content: "the card was pulled out: the write failed, the vend waits",
                trigger: ".o_prepaid_write_failed .o_prepaid_retry_write",
                timeout: 20000,
            },
            {
                content: "the card is back in the reader: write the same image again",
                trigger: ".o_prepaid_retry_write",
                run: "click",
            },
            {
                content: "the retry wrote the card",
                trigger: ".o_prepaid_write_done",
                timeout: 20000,
            },
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});
