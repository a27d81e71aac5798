"""What the card bridge's and the head-end's routes share: JSON in and out, the signature
check and the pairing. Neither is an Odoo user: each request is authenticated by its HMAC
signature (prepaid.card.bridge._authenticate, for the service of the route), so the routes are
auth='none' and act with sudo only after that check. Errors are JSON with an HTTP 4xx status."""
import json

from odoo.exceptions import AccessDenied
from odoo.http import request

NAMES = {'card': "bridge", 'head_end': "head-end"}


def reply(payload, status=200):
    return request.make_json_response(payload, status=status)


def read_body():
    """(raw body, its JSON or None when it is not JSON)."""
    data = request.httprequest.get_data()
    try:
        return data, json.loads(data or b'{}')
    except ValueError:
        return data, None


def signed_request(service):
    """(bridge, body) of a request signed by a paired bridge of `service` ('card' or
    'head_end'), or (None, error response)."""
    data, body = read_body()
    try:
        # sudo: the request is authenticated by the bridge signature, not by a user session
        bridge = request.env['prepaid.card.bridge'].sudo()._authenticate(request.httprequest.headers, data, service)
    except AccessDenied:
        return None, reply({'error': f"{NAMES[service]} not authenticated"}, 403)
    if not isinstance(body, dict):
        return None, reply({'error': "expected a JSON object"}, 400)
    return bridge, body


def pair(service):
    """Exchange the pairing code of a bridge of `service` for its id and secret."""
    _data, body = read_body()
    if not isinstance(body, dict):
        return reply({'error': "expected a JSON object"}, 400)
    try:
        # sudo: pairing is authenticated by the one-time code
        result = request.env['prepaid.card.bridge'].sudo()._pair(body.get('code'), body.get('name'), service)
    except AccessDenied:
        return reply({'error': "unknown or expired pairing code"}, 403)
    return reply(result)
