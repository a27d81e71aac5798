import { registry } from "@web/core/registry";
import { openVendingApp } from "@prepaid_electricity/../tests/tours/tour_utils";

// A manager opens Electricity Vending: the dashboard comes first, with today's sale of
// 61 kWh (122.00), the trend chart, and the vend waiting for its card write one click away;
// then the vend analysis pivot and the suspicious-customers query.
registry.category("web_tour.tours").add("prepaid_electricity_manager_dashboard", {
    url: "/odoo",
    steps: () => [
        ...openVendingApp(),
        {
            content: "Today's energy is shown",
            trigger: ".o_prepaid_dashboard .o_prepaid_figure[name=today_energy] .o_prepaid_figure_value:contains(61.00 kWh)",
        },
        {
            content: "Today's money is shown to a manager",
            trigger: ".o_prepaid_dashboard .o_prepaid_figure[name=today_amount] .o_prepaid_figure_value:contains(122.00)",
        },
        {
            content: "The trend chart is drawn",
            trigger: ".o_prepaid_dashboard .o_prepaid_trend canvas",
        },
        {
            content: "The sale's area is listed",
            trigger: ".o_prepaid_dashboard .o_prepaid_areas td:contains(61.00 kWh)",
        },
        {
            content: "Open the vends waiting for a card write",
            trigger: ".o_prepaid_dashboard .o_prepaid_figure[name=to_write] .o_prepaid_figure_value:contains(1)",
            run: "click",
        },
        {
            content: "The waiting vend is listed",
            trigger: ".o_breadcrumb:contains(Waiting for Card Write)",
        },
        {
            content: "with its energy",
            trigger: ".o_data_row td:contains(61.00)",
        },
        {
            content: "Open the Queries menu",
            trigger: 'button[data-menu-xmlid="prepaid_electricity.prepaid_electricity_menu_queries"]',
            run: "click",
        },
        {
            content: "Open the vend analysis",
            trigger: '.dropdown-item[data-menu-xmlid="prepaid_electricity.prepaid_vend_analysis_menu"]',
            run: "click",
        },
        {
            content: "The pivot shows this month's energy",
            trigger: ".o_pivot td:contains(61.00)",
        },
        {
            content: "Open the Queries menu again",
            trigger: 'button[data-menu-xmlid="prepaid_electricity.prepaid_electricity_menu_queries"]',
            run: "click",
        },
        {
            content: "Open the suspicious customers query",
            trigger: '.dropdown-item[data-menu-xmlid="prepaid_electricity.prepaid_suspicious_query_menu"]',
            run: "click",
        },
        {
            content: "Run it with the remembered thresholds",
            trigger: ".modal button[name=action_search]",
            run: "click",
        },
        {
            content: "The result list opens",
            trigger: ".o_breadcrumb:contains(Suspicious Customers)",
        },
    ],
});
