"""Outbound HTTP to the Odoo server; every request is authenticated with the bridge secret."""
import json
from decimal import Decimal

import requests

from .protocol import request_headers, signed


class ServerError(Exception):
    pass


def pair(url, code, name):
    response = requests.post(f"{url.rstrip('/')}/prepaid/bridge/pair", json={'code': code, 'name': name}, timeout=15)
    body = _json(response)
    return {'url': url.rstrip('/'), 'bridge_id': body['bridge_id'], 'secret': body['secret']}


def _json(response):
    try:
        body = response.json()
    except ValueError:
        raise ServerError(f"HTTP {response.status_code} from the server") from None
    if response.status_code >= 400 or 'error' in body:
        raise ServerError(body.get('error') or f"HTTP {response.status_code}")
    return body


class ServerClient:

    def __init__(self, url, bridge_id, secret, session=None):
        self.url = url.rstrip('/')
        self.bridge_id = bridge_id
        self.secret = secret
        self.session = session or requests.Session()

    def _post(self, path, payload, timeout=15):
        body = json.dumps(payload).encode()
        response = self.session.post(f'{self.url}{path}', data=body, timeout=timeout,
                                     headers=request_headers(self.bridge_id, self.secret, body))
        return _json(response)

    def poll(self, wait=20, readers=(), devices=None):
        """Long-poll for jobs (signed by the server). `devices`: the kiosk's device states,
        {'acceptor': {'state': 'ok'}, 'printer': {...}, 'terminal': {...}} (sent when given)."""
        payload = {'wait': wait, 'readers': list(readers)}
        if devices is not None:
            payload['devices'] = devices
        return self._post('/prepaid/bridge/poll', payload, timeout=wait + 15)['jobs']

    def result(self, result):
        return self._post('/prepaid/bridge/result', signed(self.secret, result))

    def event(self, kind, reader, serial=''):
        return self._post('/prepaid/bridge/event', {'event': kind, 'reader': reader, 'serial': serial})

    def cash_event(self, job, event, timeout=10, **fields):
        """One event of a cash job (escrow, stacked, fault, idle) for the server to judge:
        {'job_id', 'nonce', 'event', **fields}, amounts as strings. Returns the server's reply,
        e.g. {'route': 'stack', 'accept': True}."""
        payload = {'job_id': job['job_id'], 'nonce': job['nonce'], 'event': event,
                   **{key: str(value) if isinstance(value, Decimal) else value for key, value in fields.items()}}
        return self._post('/prepaid/bridge/cash', payload, timeout=timeout)
