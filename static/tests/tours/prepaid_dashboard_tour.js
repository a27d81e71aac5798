import { registry } from "@web/core/registry";
import { openVendingApp } from "@prepaid_electricity/../tests/tours/tour_utils";

// A manager opens Electricity Vending: the dashboard comes first, with today's sale of
// 61 kWh (122.00) and the trend chart; each tile and the area row open their list; then the
// vend analysis pivot and the suspicious-customers query.

/** The list view titled `title` is shown (with a cell `cell`, when given); back to the dashboard. */
function listOpened(title, cell = null) {
    return [
        {
            content: `The list "${title}" opens`,
            trigger: `.o_breadcrumb .o_last_breadcrumb_item:contains("${title}")`,
        },
        {
            content: "as a list view",
            trigger: cell ? `.o_list_renderer .o_data_row td:contains(${cell})` : ".o_list_renderer",
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .o_back_button",
            run: "click",
        },
        {
            content: "The dashboard is shown again",
            trigger: ".o_prepaid_dashboard .o_prepaid_figure[name=today_energy]",
        },
    ];
}

function openTile(name, title, cell = null) {
    return [
        {
            content: `Click the tile ${name}`,
            trigger: `.o_prepaid_dashboard .o_prepaid_figure[name=${name}]`,
            run: "click",
        },
        ...listOpened(title, cell),
    ];
}
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
        // every tile opens its list, and the breadcrumb leads back to the dashboard
        ...openTile("today_energy", "Today's Sales", "61.00"),
        ...openTile("today_amount", "Today's Sales", "122.00"),
        ...openTile("to_write", "Waiting for Card Write", "61.00"),
        ...openTile("suspicious", "Suspicious Customers"),
        {
            content: "Open this month's sales of the area",
            trigger: ".o_prepaid_dashboard .o_prepaid_areas tr:has(td:contains(61.00 kWh))",
            run: "click",
        },
        ...listOpened("Sales of This Month by Area", "61.00"),
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
        {
            content: "Open the Queries menu for the reports",
            trigger: 'button[data-menu-xmlid="prepaid_electricity.prepaid_electricity_menu_queries"]',
            run: "click",
        },
        {
            content: "Open the sales reports",
            trigger: '.dropdown-item[data-menu-xmlid="prepaid_electricity.prepaid_sales_report_print_menu"]',
            run: "click",
        },
        {
            content: "Choose the monthly summary per operator",
            trigger: '.modal .o_field_widget[name=report_kind] input[data-value="operator"]',
            run: "click",
        },
        {
            content: "The year reads as a year (2026, not 2,026)",
            trigger: ".modal .o_field_widget[name=year] input",
            run() {
                const year = String(new Date().getFullYear());
                if (this.anchor.value !== year) {
                    throw new Error(`The year reads "${this.anchor.value}", not "${year}".`);
                }
            },
        },
        {
            content: "Close the reports",
            trigger: ".modal button[special=cancel]",
            run: "click",
        },
    ],
});
