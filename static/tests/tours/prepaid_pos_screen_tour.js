import * as ProductScreen from "@point_of_sale/../tests/pos/tours/utils/product_screen_util";
import * as Chrome from "@point_of_sale/../tests/pos/tours/utils/chrome_util";
import * as Dialog from "@point_of_sale/../tests/generic_helpers/dialog_util";
import { registry } from "@web/core/registry";

/** Search the vending screen for `query`: the one matching customer is shown. */
function findCustomer(query, customer) {
    return [
        { trigger: ".o_prepaid_search", run: `edit ${query}` },
        { trigger: ".o_prepaid_search_button", run: "click" },
        {
            content: "the customer is shown",
            trigger: `.o_prepaid_account:contains(${customer})`,
        },
    ];
}

/** A button of the search row stays on one line (the operator works in Chinese). */
function isOnOneLine(selector) {
    return {
        content: `${selector} does not wrap`,
        trigger: selector,
        run() {
            const button = document.querySelector(selector);
            const lineHeight = parseFloat(getComputedStyle(button).lineHeight);
            const { paddingTop, paddingBottom, borderTopWidth, borderBottomWidth } = getComputedStyle(button);
            const content = button.getBoundingClientRect().height
                - [paddingTop, paddingBottom, borderTopWidth, borderBottomWidth].reduce((a, b) => a + parseFloat(b), 0);
            if (content > lineHeight * 1.5) {
                throw new Error(`${selector} wraps onto ${Math.round(content / lineHeight)} lines`);
            }
        },
    };
}

registry.category("web_tour.tours").add("prepaid_electricity_pos_screen", {
    steps: () =>
        [
            Chrome.startPoS(),
            Dialog.confirm(),
            {
                content: "the empty grid of a vending till points at vending, not at Odoo's sample data",
                trigger: ".o_prepaid_nocontent .btn-primary",
            },
            {
                content: "and nothing else of Odoo's empty grid",
                trigger: ".product-screen:not(:has(.o_view_nocontent:not(.o_prepaid_nocontent)))",
            },
            { content: "open the vending screen", trigger: ".o_prepaid_sell_button", run: "click" },
            {
                content: "a screen of the till, not a dialog",
                trigger: ".pos-content .o_prepaid_vending_screen .o_prepaid_screen_help",
            },
            { trigger: "body:not(:has(.modal))" },
            { content: "back to the order", trigger: ".o_prepaid_back", run: "click" },
            { trigger: ".product-screen .o_prepaid_sell_button", run: "click" },
            isOnOneLine(".o_prepaid_back"),
            isOnOneLine(".o_prepaid_search_button"),
            isOnOneLine(".o_prepaid_read_card"),
            isOnOneLine(".o_prepaid_open_account"),

            // Li Na: her last purchases and the meter's write-back; her credit is still on the card
            findCustomer("Li Na", "Li Na"),
            { content: "her last five purchases", trigger: ".o_prepaid_recent_vends tbody tr:nth-child(5)" },
            {
                content: "not the sixth",
                trigger: ".o_prepaid_recent_vends:not(:has(tbody tr:nth-child(6)))",
            },
            { content: "the newest first", trigger: ".o_prepaid_recent_vends tbody tr:first:contains(36.00 kWh)" },
            { content: "the write-back", trigger: ".o_prepaid_writeback_remaining:contains(12.50 kWh)" },
            { content: "the meter's insert count", trigger: ".o_prepaid_writeback_inserts:contains(5)" },
            {
                content: "buying would be refused: no quantity, no Quote",
                trigger: ".o_prepaid_account:not(:has(.o_prepaid_quantity)):not(:has(.o_prepaid_quote))",
            },
            { content: "the warning says why", trigger: ".o_prepaid_warning" },
            {
                content: "an operator is not offered the managers' reissue and credit recovery",
                trigger: ".o_prepaid_card_operations:has(.o_prepaid_write_again):not(:has(.o_prepaid_reissue)):not(:has(.o_prepaid_recovery_toggle))",
            },

            // Wang Wei: opened in the backend with his first purchase, no card yet
            findCustomer("Wang Wei", "Wang Wei"),
            { content: "issue his first card", trigger: ".o_prepaid_issue_card", run: "click" },
            { content: "its own dialog", trigger: ".modal .o_prepaid_issue_card_popup" },
            { trigger: ".modal .o_prepaid_popup_customer:contains(Wang Wei)" },
            { trigger: ".modal .o_prepaid_popup_confirm", run: "click" },
            {
                content: "the server's refusal is shown in the dialog: this till has no card bridge",
                trigger: ".modal .o_prepaid_card_job_popup .o_prepaid_error",
            },
            { trigger: ".modal .o_prepaid_popup_close", run: "click" },
            { content: "back on the screen", trigger: "body:not(:has(.modal)) .o_prepaid_account:contains(Wang Wei)" },

            // a new customer: open the account at the till and sell the first purchase
            { trigger: ".o_prepaid_open_account", run: "click" },
            { content: "the account opening dialog", trigger: ".modal .o_prepaid_open_form .o_prepaid_open_name" },
            { content: "nothing entered yet", trigger: ".modal .o_prepaid_open_confirm", run: "click" },
            { content: "refused, the dialog stays open", trigger: ".modal .o_prepaid_open_form .o_prepaid_error" },
            { trigger: ".modal .o_prepaid_open_name", run: "edit Chen Jie" },
            { trigger: ".modal .o_prepaid_open_phone", run: "edit 13700000003" },
            { trigger: ".modal .o_prepaid_open_meter", run: "edit 000053535353" },
            { trigger: ".modal .o_prepaid_open_quantity", run: "edit 61" },
            { trigger: ".modal .o_prepaid_open_confirm", run: "click" },
            { content: "the dialog is gone", trigger: "body:not(:has(.modal))" },
            { content: "the new account", trigger: ".o_prepaid_account:contains(Chen Jie)" },
            { content: "its first purchase quoted, preset deducted", trigger: ".o_prepaid_amount_due:contains(122.00)" },
            { trigger: ".o_prepaid_add:enabled", run: "click" },
            { content: "back to the order", trigger: ".product-screen" },
            ProductScreen.totalAmountIs("122.00"),
        ].flat(),
});
