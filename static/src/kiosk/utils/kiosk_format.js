import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";
import { formatFloat } from "@web/core/utils/numbers";

/** Money as the kiosk shows it: the currency symbol the server sent, two decimals. */
export function formatMoney(value, symbol) {
    return `${symbol || ""}${formatFloat(value || 0, { digits: [16, 2] })}`;
}

export function formatEnergy(value) {
    return `${formatFloat(value || 0, { digits: [16, 2] })} kWh`;
}

/** A preset as written on its button: no decimals when it has none. */
export function formatPreset(value) {
    return Number.isInteger(value) ? String(value) : formatFloat(value, { digits: [16, 2] });
}

/** A server datetime (UTC, "YYYY-MM-DD HH:MM:SS") in the kiosk's time. */
export function formatServerDateTime(value) {
    return value ? formatDateTime(deserializeDateTime(value)) : "";
}
