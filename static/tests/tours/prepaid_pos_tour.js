import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";
import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import { registry } from "@web/core/registry";

/** Open the vending screen and read the card in the bridge's reader. */
function readCard(customer) {
    return [
        { content: "open the vending screen", trigger: ".o_prepaid_sell_button", run: "click" },
        { content: "read the card", trigger: ".o_prepaid_read_card", run: "click" },
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

registry.category("web_tour.tours").add("prepaid_electricity_pos_sale", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            sellFromCard("Li Na", "61", "122.00"),
            payCash("122.00"),
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
            { content: "correct the purchase still on the card", trigger: ".o_prepaid_rewrite", run: "click" },
            { trigger: ".o_prepaid_quantity", run: "edit 71" },
            { content: "ask the server for a quote", trigger: ".o_prepaid_quote", run: "click" },
            { content: "the difference to pay", trigger: ".o_prepaid_difference:contains(20.00)" },
            { content: "add it to the order", trigger: ".o_prepaid_add:enabled", run: "click" },
            ProductScreen.totalAmountIs("20.00"),
            payCash("142.00"),
            {
                content: "the bridge wrote the corrected credit",
                trigger: ".o_prepaid_write_done",
                timeout: 20000,
            },
            ReceiptScreen.clickNextOrder(),
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
