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
 * customers, the last 12 months and this month's sales by area. Every figure is computed on
 * the server (prepaid.dashboard.get_data); clicking one opens the matching list
 * (prepaid.dashboard.action_open), so the numbers and the lists always agree.
 */
export class PrepaidDashboard extends Component {
    static template = "prepaid_electricity.PrepaidDashboard";
    static components = { Layout };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.actionService = useService("action");
        this.canvasRef = useRef("trend");
        this.state = useState({ data: null });
        onWillStart(async () => {
            const [data] = await Promise.all([this.fetchData(), loadBundle("web.chartjs_lib")]);
            this.state.data = data;
        });
        useEffect(
            () => {
                this.renderChart();
                return () => this.chart?.destroy();
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

    renderChart() {
        this.chart?.destroy();
        const data = this.state.data;
        if (!data || !this.canvasRef.el) {
            return;
        }
        const datasets = [
            {
                type: "bar",
                label: _t("Energy (kWh)"),
                data: data.months.map((month) => month.energy),
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
                data: data.months.map((month) => month.amount),
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
        this.chart = new Chart(this.canvasRef.el, {
            data: { labels: data.months.map((month) => month.label), datasets },
            options: {
                maintainAspectRatio: false,
                scales,
                onClick: (event, elements) => {
                    if (elements.length) {
                        this.open("month", data.months[elements[0].index].key);
                    }
                },
            },
        });
    }
}

registry.category("actions").add("prepaid_electricity.dashboard", PrepaidDashboard);
