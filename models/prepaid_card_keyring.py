import copy
import json
import os
import secrets
import stat

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import config

CONFIG_KEY = 'prepaid_card_key_file'
_parsed_files = {}  # path -> (stat signature, keys): not read and parsed again for every card job


class PrepaidCardKeyring(models.AbstractModel):
    """The station master keys, read from the key file named in the Odoo configuration
    (`prepaid_card_key_file`, mode 0600). Keys never enter the database, the browser or the
    card bridge, and are never shown: a new key version is generated straight into the file.

    File format: {"<station code>": {"<key version>": "<32 hex digits>"}}."""
    _name = 'prepaid.card.keyring'
    _description = 'Card Key Ring'

    @api.model
    def _key_file(self):
        path = config.get(CONFIG_KEY)
        if not path:
            raise UserError(self.env._(
                "No card key file is configured: set %(option)s in the Odoo configuration.", option=CONFIG_KEY))
        return path

    @api.model
    def _load(self):
        """The parsed key file, read-only. Parsed once per process and again only when the
        file changes (new inode, size or mtime: key generation replaces the file)."""
        path = self._key_file()
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return {}
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise UserError(self.env._(
                "The card key file %(path)s can be read by other users: set its mode to 0600.", path=path))
        signature = (info.st_ino, info.st_size, info.st_mtime_ns)
        cached = _parsed_files.get(path)
        if cached is None or cached[0] != signature:
            with open(path, encoding='utf-8') as handle:
                cached = _parsed_files[path] = (signature, json.load(handle))
        return cached[1]

    @api.model
    def _master_key(self, station_code, key_version):
        """The master key of a station and key version, or None when unknown."""
        return self._key_lookup()(station_code, key_version)

    @api.model
    def _key_lookup(self):
        """(station code, key version) -> master key or None, over one reading of the file."""
        keys = self._load()

        def lookup(station_code, key_version):
            value = keys.get(str(station_code), {}).get(str(key_version))
            return bytes.fromhex(value) if value else None
        return lookup

    @api.model
    def _generate_key(self, station_code, key_version):
        """Create a random master key for a new key version, written only to the key file."""
        path = self._key_file()
        keys = copy.deepcopy(self._load())     # the parsed file is shared by the process
        versions = keys.setdefault(str(station_code), {})
        if str(key_version) in versions:
            raise UserError(self.env._("Key version %(version)s of station %(station)s already exists.",
                                       version=key_version, station=station_code))
        while True:
            key = secrets.token_bytes(16)
            if key[:8] != key[8:]:
                break
        versions[str(key_version)] = key.hex()
        temporary = f'{path}.tmp'
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, 'w', encoding='utf-8') as handle:
            json.dump(keys, handle, indent=1, sort_keys=True)
        os.replace(temporary, path)
