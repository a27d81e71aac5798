import { registry } from "@web/core/registry";
import { openVendingApp } from "@prepaid_electricity/../tests/tours/tour_utils";

// A manager opens Electricity Vending: the dashboard comes first, with today's sale of
// 61 kWh (122.00) and the trend chart; each tile and the area row open their list; the remote
// meters' section shows its figures (one concentrator and one meter of two offline, one
// tripped, one on keep-power, one balance below an alarm threshold and one below the
// overdraft limit, 12.50 kWh billed 10.00 today) and opens its lists; then the vend analysis
// pivot and the suspicious-customers query.

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
        // the remote meters' section
        {
            content: "The remote meters' section is shown",
            trigger: ".o_prepaid_dashboard .o_prepaid_remote",
        },
        ...[
            ["concentrators_offline", "1 / 2"],
            ["meters_offline", "1 / 2"],
            ["meters_tripped", "1"],
            ["keep_power", "1"],
            ["alarm", "1"],
            ["overdraft", "1"],
        ].map(([name, value]) => ({
            content: `The remote figure ${name} reads ${value}`,
            trigger: `.o_prepaid_remote .o_prepaid_figure[name=${name}] .o_prepaid_figure_value:text('${value}')`,
        })),
        {
            content: "The bills chart is drawn",
            trigger: ".o_prepaid_remote .o_prepaid_trend canvas",
        },
        {
            content: "Today's bills are listed with their energy and money",
            trigger: ".o_prepaid_bill_days tbody tr:last-child:has(td:contains(12.50 kWh)):has(td:contains(10.00))",
        },
        {
            content: "The 14 days' total",
            trigger: ".o_prepaid_bill_days .o_prepaid_bill_total:has(td:contains(12.50 kWh)):has(td:contains(10.00))",
        },
        ...openTile("concentrators_offline", "Offline Concentrators", "17000902"),
        ...openTile("meters_offline", "Offline Remote Meters", "170009020001"),
        ...openTile("meters_tripped", "Tripped Remote Meters", "170009010001"),
        ...openTile("keep_power", "Remote Meters on Keep-Power", "170009020001"),
        ...openTile("alarm", "Balances Below an Alarm Threshold", "15.00"),
        ...openTile("overdraft", "Balances Below the Overdraft Limit", "-3.00"),
        {
            content: "Open today's bills",
            trigger: ".o_prepaid_bill_days tbody tr:last-child",
            run: "click",
        },
        ...listOpened("Bills of", "12.50"),
        {
            content: "Open the 14 days' bills",
            trigger: ".o_prepaid_bill_days .o_prepaid_bill_total",
            run: "click",
        },
        ...listOpened("Bills of the Last 14 Days", "10.00"),
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
