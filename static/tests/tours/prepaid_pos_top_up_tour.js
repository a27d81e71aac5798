import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as PaymentScreen from "@point_of_sale/../tests/pos/tours/utils/payment_screen_util";
import * as ReceiptScreen from "@point_of_sale/../tests/pos/tours/utils/receipt_screen_util";
import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import { registry } from "@web/core/registry";

// A remote meter's tenant (Tenant Zhou): billed below the overdraft limit, the strategy tripped
// the meter. A manager sees it in the Balances list; the operator finds the tenant at the till,
// sees the meter tripped and the negative balance, tops it up by 50.00, pays cash; the close
// the strategy queued is then on its way to the meter.

/** Open the vending screen and find the tenant. */
function findTenant() {
    return [
        { content: "open the vending screen", trigger: ".o_prepaid_sell_button", run: "click" },
        { trigger: ".pos-content .o_prepaid_vending_screen .o_prepaid_search", run: "edit Tenant Zhou" },
        { trigger: ".o_prepaid_search_button", run: "click" },
        { content: "the tenant is shown", trigger: ".o_prepaid_account:contains(Tenant Zhou) .o_prepaid_remote" },
    ];
}

registry.category("web_tour.tours").add("prepaid_electricity_remote_balances", {
    steps: () => [
        {
            content: "the Balances list shows the tenant below the overdraft limit",
            trigger: ".o_list_renderer .o_data_row:contains(Tenant Zhou) td[name=alarm_state]:contains(Below the Overdraft Limit)",
        },
        {
            content: "and the meter tripped (power off)",
            trigger: ".o_list_renderer .o_data_row:contains(Tenant Zhou) td[name=relay_state]:contains(Tripped)",
        },
        {
            content: "its negative balance, in red",
            trigger: ".o_list_renderer .o_data_row:contains(Tenant Zhou) td.text-danger[name=money_balance]:contains(15.00)",
        },
    ],
});

registry.category("web_tour.tours").add("prepaid_electricity_pos_top_up", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm("Open Register"),
            findTenant(),
            {
                content: "the meter is tripped, and shown so",
                trigger: ".o_prepaid_remote .o_prepaid_relay.o_prepaid_tripped:contains(Tripped)",
            },
            {
                content: "the negative balance, in red",
                trigger: ".o_prepaid_remote_balance.text-danger:contains(15.00)",
            },
            {
                content: "below the overdraft limit",
                trigger: ".o_prepaid_alarm_state.text-bg-danger:contains(Below the Overdraft Limit)",
            },
            { content: "no keep-power", trigger: ".o_prepaid_keep_power:contains(Off)" },
            {
                content: "the last bills: 15 kWh yesterday, 10 kWh the day before",
                trigger: ".o_prepaid_bills tbody tr:first:contains(15.00 kWh) + tr:contains(10.00 kWh)",
            },
            {
                content: "the warning says how much closes the meter",
                trigger: ".o_prepaid_warning:contains(10.00)",
            },
            {
                content: "no card here: no card operation, no energy quantity, no Quote",
                trigger: ".o_prepaid_account:not(:has(.o_prepaid_card_operations)):not(:has(.o_prepaid_quantity)):not(:has(.o_prepaid_quote))",
            },
            // the server refuses what it would refuse at payment
            { trigger: ".o_prepaid_top_up_amount", run: "edit 0" },
            { trigger: ".o_prepaid_top_up:enabled", run: "click" },
            { content: "refused, said why", trigger: ".o_prepaid_quote_error:contains(above zero)" },
            { trigger: ".o_prepaid_top_up_amount", run: "edit 50" },
            { content: "top up 50.00", trigger: ".o_prepaid_top_up:enabled", run: "click" },
            { content: "back to the order", trigger: ".product-screen" },
            ProductScreen.totalAmountIs("50.00"),
            {
                content: "the order line is the tenant's top-up",
                trigger: ".o_prepaid_line_info:contains(Tenant Zhou) .o_prepaid_line_top_up",
            },
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Cash", true, { remaining: "0.00" }),
            PaymentScreen.clickValidate(),
            ReceiptScreen.isShown(),
            { content: "the ticket is a top-up", trigger: ".pos-receipt .o_prepaid_receipt_top_up" },
            { trigger: ".pos-receipt .o_prepaid_receipt_amount:contains(50.00)" },
            { content: "the new balance", trigger: ".pos-receipt .o_prepaid_receipt_balance:contains(35.00)" },
            {
                content: "no card to write",
                trigger: ".receipt-screen:not(:has(.o_prepaid_card_write_status))",
            },
            ReceiptScreen.clickNextOrder(),
            // the tenant again: the balance is back, the close is on its way to the meter
            findTenant(),
            {
                content: "the new balance",
                trigger: ".o_prepaid_remote_balance:not(.text-danger):contains(35.00)",
            },
            { content: "the top-up in the list", trigger: ".o_prepaid_recent_top_ups tbody tr:first:contains(50.00)" },
            {
                content: "the strategy's close is on its way",
                trigger: ".o_prepaid_warning:contains(on its way):contains(Close)",
            },
            { trigger: ".o_prepaid_back", run: "click" },
            ProductScreen.isShown(),
        ].flat(),
});
