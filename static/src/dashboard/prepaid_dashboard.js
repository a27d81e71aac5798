import { Component, onWillStart, useEffect, useRef, useState } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";
import { formatCurrency } from "@web/core/currency";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { useService } from "@web/core/utils/hooks";
import { Layout } from "@web/search/layout";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

const ENERGY_COLOR = "#4EA7F2";
const MONEY_COLOR = "#F48935";

/**
 * The station's dashboard: today's sales, vends waiting for a card write, suspicious
 * customers, the last 12 months and this month's sales by area; with remote meters, their
 * concentrators and meters offline, tripped and on keep-power, the balances below an alarm
 * threshold and below the overdraft limit, and the last 14 days' consumption and bills.
 * Every figure is computed on the server (prepaid.dashboard.get_data); clicking one opens the
 * matching list (prepaid.dashboard.action_open), so the numbers and the lists always agree.
 */
export class PrepaidDashboard extends Component {
    static template = "prepaid_electricity.PrepaidDashboard";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.canvasRef = useRef("trend");
        this.billsCanvasRef = useRef("bills");
        this.charts = [];
        this.state = useState({ data: null });
        onWillStart(async () => {
            const [data] = await Promise.all([this.fetchData(), loadBundle("web.chartjs_lib")]);
            this.state.data = data;
        });
        useEffect(
            () => {
                this.renderCharts();
                return () => this.destroyCharts();
            },
            () => [this.state.data]
        );
    }

    fetchData() {
        return this.orm.call("prepaid.dashboard", "get_data", []);
    }

    async refresh() {
        this.state.data = await this.fetchData();
    }

    energy(value) {
        return `${formatFloat(value || 0, { digits: [16, 2] })} kWh`;
    }

    money(value) {
        return formatCurrency(value || 0, this.state.data.currency_id);
    }

    async open(figure, key = null) {
        const action = await this.orm.call("prepaid.dashboard", "action_open", [figure, key]);
        return this.actionService.doAction(action);
    }

    destroyCharts() {
        for (const chart of this.charts) {
            chart.destroy();
        }
        this.charts = [];
    }

    renderCharts() {
        this.destroyCharts();
        const data = this.state.data;
        if (!data) {
            return;
        }
        if (this.canvasRef.el) {
            this.charts.push(
                this.makeChart(this.canvasRef.el, data.months, (month) => this.open("month", month.key))
            );
        }
        if (data.remote && this.billsCanvasRef.el) {
            this.charts.push(
                this.makeChart(this.billsCanvasRef.el, data.remote.days, (day) => this.open("bills", day.key))
            );
        }
    }

    /**
     * Energy as bars and, for managers, money as a line, one point per item of `items` (each
     * with label, energy and amount); clicking a point calls `onClickItem` with its item.
     */
    makeChart(canvas, items, onClickItem) {
        const data = this.state.data;
        const datasets = [
            {
                type: "bar",
                label: _t("Energy (kWh)"),
                data: items.map((item) => item.energy),
                backgroundColor: ENERGY_COLOR,
                order: 2,
                yAxisID: "energy",
            },
        ];
        const scales = {
            energy: {
                type: "linear",
                position: "left",
                beginAtZero: true,
                title: { display: true, text: _t("kWh") },
            },
        };
        if (data.is_manager) {
            datasets.push({
                type: "line",
                label: _t("Money"),
                data: items.map((item) => item.amount),
                borderColor: MONEY_COLOR,
                backgroundColor: MONEY_COLOR,
                order: 1,
                yAxisID: "money",
            });
            scales.money = {
                type: "linear",
                position: "right",
                beginAtZero: true,
                grid: { drawOnChartArea: false },
                title: { display: true, text: _t("Money") },
            };
        }
        return new Chart(canvas, {
            data: { labels: items.map((item) => item.label), datasets },
            options: {
                maintainAspectRatio: false,
                scales,
                onClick: (event, elements) => {
                    if (elements.length) {
                        onClickItem(items[elements[0].index]);
                    }
                },
            },
        });
    }
}

registry.category("actions").add("prepaid_electricity.dashboard", PrepaidDashboard);
