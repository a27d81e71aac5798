/** Steps shared by the backend tours: open the Electricity Vending app from the apps menu. */
export function openVendingApp() {
    return [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open Electricity Vending",
            trigger: '.o_app[data-menu-xmlid="prepaid_electricity.prepaid_electricity_menu_root"]',
            run: "click",
        },
    ];
}
