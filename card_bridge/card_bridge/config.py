"""The bridge's configuration file: server URL, bridge id and secret (mode 0600)."""
import json
import os
from pathlib import Path

DEFAULT_PATH = Path(os.environ.get('CARD_BRIDGE_CONFIG', Path.home() / '.config' / 'card-bridge' / 'config.json'))


def load(path=DEFAULT_PATH):
    path = Path(path)
    if not path.exists():
        raise SystemExit(f"not paired: {path} does not exist (run `card-bridge pair <odoo-url> <code>`)")
    if path.stat().st_mode & 0o077:
        raise SystemExit(f"{path} is readable by other users: chmod 600 it")
    return json.loads(path.read_text())


def save(values, path=DEFAULT_PATH):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, 'w') as handle:
        json.dump(values, handle, indent=1)
    os.chmod(path, 0o600)
