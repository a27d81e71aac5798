import { Component, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { _t } from "@web/core/l10n/translation";
import { deserializeDate, deserializeDateTime, formatDate, formatDateTime } from "@web/core/l10n/dates";
import { useService } from "@web/core/utils/hooks";
import { usePos } from "@point_of_sale/app/hooks/pos_hook";
import { useRouterParamsChecker } from "@point_of_sale/app/hooks/pos_router_hook";
import { makeAwaitable } from "@point_of_sale/app/utils/make_awaitable_dialog";
import { PrepaidOpenAccountPopup } from "@prepaid_electricity/app/components/popup/prepaid_open_account_popup/prepaid_open_account_popup";
import { PrepaidIssueCardPopup } from "@prepaid_electricity/app/components/popup/prepaid_issue_card_popup/prepaid_issue_card_popup";
import { PrepaidReissueCardPopup } from "@prepaid_electricity/app/components/popup/prepaid_reissue_card_popup/prepaid_reissue_card_popup";
import { PrepaidCreditRecoveryPopup } from "@prepaid_electricity/app/components/popup/prepaid_credit_recovery_popup/prepaid_credit_recovery_popup";
import { PrepaidWriteVendPopup } from "@prepaid_electricity/app/components/popup/prepaid_write_vend_popup/prepaid_write_vend_popup";
import { serverErrorMessage } from "@prepaid_electricity/app/utils/server_error";

/**
 * The vending screen: the operator reads the card (the server runs a read job on this till's
 * card bridge) or finds the account; sees the customer and every warning; enters energy or
 * money and sees the server's quote; adds the quoted vend to the order. While the last sale's
 * credit is still on the card, "Rewrite Credit" quotes a corrected purchase instead, and the
 * order settles the difference. Opening an account and the card operations are dialogs of
 * their own, opened from here; the server checks each against the user's role.
 *
 * A remote account (its meter read and switched remotely, its balance in the system) has no
 * card: the screen shows its balance, alarm and relay state and last bills, and takes money
 * ("Top Up": the server's quote goes to the order as a line by money).
 */
export class PrepaidVendingScreen extends Component {
    static template = "prepaid_electricity.PrepaidVendingScreen";
    static storeOnOrder = false; // the order stays "ongoing" in the order list
    static props = { orderUuid: String };

    setup() {
        this.pos = usePos();
        this.dialog = useService("dialog");
        useRouterParamsChecker();
        this.state = useState({
            query: "",
            results: [],
            account: null,
            method: "energy",
            quantity: "",
            quote: null,
            quoteError: "",
            rewrite: false,
            topUpAmount: "",
            busy: "",
            message: "",
            error: "",
        });
    }

    get isManager() {
        return Boolean(this.pos.config._prepaid_is_manager);
    }

    get canAdd() {
        const { account, quote, rewrite } = this.state;
        const allowed = rewrite ? account?.can_rewrite : account?.can_buy;
        return Boolean(allowed && quote && !this.state.busy);
    }

    get canTopUp() {
        return Boolean(this.state.account?.can_top_up && !this.state.busy);
    }

    /** The balance state as a colour: tripped or below the overdraft limit is danger. */
    get remoteStateClass() {
        const remote = this.state.account.remote;
        if (remote.is_tripped || remote.alarm_state === "overdraft") {
            return "text-bg-danger";
        }
        return remote.alarm_state === "ok" ? "text-bg-success" : "text-bg-warning";
    }

    /** Write Card Again: the vend waiting for its write, else the last one still on the card. */
    get canWriteAgain() {
        const account = this.state.account;
        return Boolean(account.card_serial && (account.waiting_vend_id || (account.is_credit_valid && account.last_vend)));
    }

    formatCurrency(amount) {
        return this.env.utils.formatCurrency(amount);
    }

    /** Energy to 0.01 kWh and prices to 0.0001, as on the card and the receipt. */
    formatEnergy(energy) {
        return `${Number(energy || 0).toFixed(2)} kWh`;
    }

    formatPrice(price) {
        return Number(price || 0).toFixed(4);
    }

    /** Server datetimes are UTC: shown in the user's time zone. */
    formatDate(value) {
        return value ? formatDateTime(deserializeDateTime(value)) : "";
    }

    /** A day (a bill's, the last reading's), in the user's date format. */
    formatDay(value) {
        return value ? formatDate(deserializeDate(value)) : "";
    }

    async run(label, callback) {
        this.state.busy = label;
        this.state.error = "";
        this.state.message = "";
        try {
            return await callback();
        } catch (error) {
            this.state.error = serverErrorMessage(error);
        } finally {
            this.state.busy = "";
        }
    }

    setAccount(account) {
        this.state.account = account;
        this.state.results = [];
        this.state.quote = null;
        this.state.quoteError = "";
        this.state.rewrite = false;
        this.state.topUpAmount = "";
    }

    async search() {
        await this.run(_t("Searching…"), async () => {
            const results = await this.pos.prepaidCall("prepaid_find_accounts", this.state.query);
            if (results.length === 1) {
                this.setAccount(results[0]);
            } else {
                this.setAccount(null);
                this.state.results = results;
                if (!results.length) {
                    this.state.error = _t("No customer matches “%s”.", this.state.query);
                }
            }
        });
    }

    onSearchKeydown(ev) {
        if (ev.key === "Enter") {
            this.search();
        }
    }

    async readCard() {
        await this.run(_t("Reading the card…"), async () => {
            const { job_id } = await this.pos.prepaidCall("prepaid_read_card");
            const status = await this.pos.prepaidWaitJob(job_id);
            if (status.state === "done" && status.account) {
                this.setAccount(status.account);
            } else {
                this.setAccount(null);
                this.state.error = status.error || _t("The card could not be read.");
            }
        });
    }

    /** Open Account: the dialog opens it on the server; its first purchase is then quoted here. */
    async openAccount() {
        const opened = await makeAwaitable(this.dialog, PrepaidOpenAccountPopup, {});
        if (!opened) {
            return;
        }
        this.setAccount(opened.account);
        this.state.method = opened.method;
        this.state.quantity = opened.quantity;
        if (opened.quantity) {
            await this.getQuote();
        }
        if (!this.state.error) {
            this.state.message = _t("Account %s opened.", opened.account.number);
        }
    }

    /** A card operation's dialog (it runs and follows the job), then the account as it is now. */
    async cardOperation(Popup) {
        await makeAwaitable(this.dialog, Popup, { account: this.state.account });
        await this.run(_t("Loading…"), async () => {
            this.setAccount(await this.pos.prepaidCall("prepaid_account_summary", this.state.account.id));
        });
    }

    issueCard() {
        return this.cardOperation(PrepaidIssueCardPopup);
    }

    writeAgain() {
        return this.cardOperation(PrepaidWriteVendPopup);
    }

    reissue() {
        return this.cardOperation(PrepaidReissueCardPopup);
    }

    recoverCredit() {
        return this.cardOperation(PrepaidCreditRecoveryPopup);
    }

    onRequestChange() {
        this.state.quote = null;
        this.state.quoteError = "";
    }

    get rewriteBanner() {
        const last = this.state.account.last_vend;
        return _t(
            "Rewrite credit: correct purchase %(name)s (%(energy)s, %(amount)s) while its credit is still on the card. The order settles the difference.",
            {
                name: last.name,
                energy: this.formatEnergy(last.energy),
                amount: this.formatCurrency(last.amount),
            }
        );
    }

    toggleRewrite() {
        this.state.rewrite = !this.state.rewrite;
        this.onRequestChange();
    }

    async getQuote() {
        const { account, rewrite, method, quantity } = this.state;
        if (!account) {
            return;
        }
        await this.run(_t("Quoting…"), async () => {
            const quote = rewrite
                ? await this.pos.prepaidCall("prepaid_quote_rewrite", account.last_vend.id, method, quantity)
                : await this.pos.prepaidCall("prepaid_quote", account.id, method, quantity);
            this.state.quote = quote.error ? null : quote;
            this.state.quoteError = quote.error || "";
        });
    }

    onQuantityKeydown(ev) {
        if (ev.key === "Enter") {
            this.getQuote();
        }
    }

    /** Top Up: the server quotes the amount (or says why not), the quote goes to the order as
     * a line by money, and the screen goes back to the order. */
    async topUp() {
        const account = this.state.account;
        if (!this.canTopUp) {
            return;
        }
        this.state.quoteError = "";
        const quote = await this.run(_t("Quoting…"), () =>
            this.pos.prepaidCall("prepaid_quote_top_up", account.id, this.state.topUpAmount)
        );
        if (!quote) {
            return;
        }
        if (quote.error) {
            this.state.quoteError = quote.error;
            return;
        }
        await this.run(_t("Loading…"), () => this.pos.prepaidAddToOrder(account, quote));
        if (!this.state.error) {
            this.back();
        }
    }

    onTopUpKeydown(ev) {
        if (ev.key === "Enter") {
            this.topUp();
        }
    }

    /** Add the quoted vend to the order and go back to it. */
    async addToOrder() {
        if (!this.canAdd) {
            return;
        }
        const { account, quote } = this.state;
        await this.run(_t("Loading…"), () => this.pos.prepaidAddToOrder(account, quote));
        if (!this.state.error) {
            this.back();
        }
    }

    back() {
        this.pos.navigate("ProductScreen", { orderUuid: this.props.orderUuid });
    }
}

registry.category("pos_pages").add("PrepaidVendingScreen", {
    name: "PrepaidVendingScreen",
    component: PrepaidVendingScreen,
    route: `/pos/ui/${odoo.pos_config_id}/electricity/{string:orderUuid}`,
    params: {
        orderUuid: true,
        orderFinalized: false,
    },
});
