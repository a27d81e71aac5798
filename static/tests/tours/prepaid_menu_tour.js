import { registry } from "@web/core/registry";
import { openVendingApp } from "@prepaid_electricity/../tests/tours/tour_utils";

// An operator logs in, opens the Electricity Vending app and finds the customers and the
// vending menu.
registry.category("web_tour.tours").add("prepaid_electricity_operator_menu", {
    url: "/odoo",
    steps: () => [
        ...openVendingApp(),
        {
            content: "The customers list is shown",
            trigger: ".o_breadcrumb:contains(Customers)",
        },
        {
            content: "The customer opened for the test is listed",
            trigger: ".o_data_row td:contains(Tour Customer)",
        },
        {
            content: "Open the Vending menu",
            trigger: 'button[data-menu-xmlid="prepaid_electricity.prepaid_electricity_menu_vending"]',
            run: "click",
        },
        {
            content: "Sell Electricity is offered",
            trigger: '.dropdown-item[data-menu-xmlid="prepaid_electricity.prepaid_vend_create_menu"]',
            run: "click",
        },
        {
            content: "The sell dialog opens",
            trigger: ".modal .o_field_widget[name=account_id]",
        },
    ],
});
