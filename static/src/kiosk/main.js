import { whenReady } from "@odoo/owl";
import { mountComponent } from "@web/env";
import { KioskApp } from "@prepaid_electricity/kiosk/kiosk_app";

whenReady(() => mountComponent(KioskApp, document.body));
