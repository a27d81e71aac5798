"""`pip install ./card_bridge` gives a complete package: installed into a fresh virtualenv, away
from the addon, `card-bridge emulate` plugs its virtual SLE4442 into a (fake) vpcd and answers."""
import os
import shutil
import socket
import struct
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]


BUILD_TOOLS = ('pip', 'setuptools', 'pkg_resources', '_distutils_hack', 'wheel')


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """A fresh venv with card_bridge installed by pip from a copy of its folder (so that nothing
    of the addon lies around it), offline and without build isolation. The build tools are
    lent from the running environment for the install only (pip, setuptools, wheel); then its
    site-packages is lent for the dependencies (pyscard, requests, pycryptodome)."""
    root = tmp_path_factory.mktemp('install')
    source = root / 'card_bridge'
    shutil.copytree(PACKAGE, source, ignore=shutil.ignore_patterns('tests', 'build', '*.egg-info', '__pycache__'))
    venv = root / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', str(venv)], check=True)
    python = venv / 'bin' / 'python'
    env = {key: value for key, value in os.environ.items() if key not in ('PYTHONPATH', 'PYTHONHOME')}
    env.update(PIP_NO_INDEX='1', PIP_DISABLE_PIP_VERSION_CHECK='1', PIP_NO_WARN_SCRIPT_LOCATION='1')
    purelib = Path(subprocess.run([str(python), '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
                                  check=True, capture_output=True, text=True, env=env).stdout.strip())
    here = Path(sysconfig.get_paths()['purelib'])
    tools = root / 'build-tools'
    tools.mkdir()
    for name in BUILD_TOOLS:
        if not (here / name).exists():
            pytest.fail(f"{name} is missing from {here}: run `make setup` (requirements.txt pins it)")
        (tools / name).symlink_to(here / name)
        for info in here.glob(f'{name}-*.dist-info'):      # their entry points (setuptools' commands)
            (tools / info.name).symlink_to(info)
    lent = purelib / 'card_bridge_test_lent.pth'
    lent.write_text(f'{tools}\n')
    # setuptools' own distutils, as in the environment it comes from (read after the line above)
    shutil.copy(here / 'distutils-precedence.pth', purelib)
    subprocess.run([str(python), '-m', 'pip', 'install', '-q', '--no-deps', '--no-build-isolation', str(source)],
                   check=True, env=env, cwd=root)
    lent.write_text(f'{here}\n')
    shutil.rmtree(source)                  # the installed package must not need its source either
    return venv, env, root


def run(installed, *command, **kwargs):
    venv, env, root = installed
    return subprocess.run([str(venv / 'bin' / command[0]), *command[1:]], capture_output=True, text=True,
                          env=env, cwd=root, timeout=60, **kwargs)


def test_the_installed_package_holds_the_emulator_chip(installed):
    venv = installed[0]
    done = run(installed, 'python', '-c', 'import card_bridge, card_bridge.sle4442 as chip; '
               'print(card_bridge.__file__); print(chip.VirtualSle4442(serial=bytes(8)).read(0, 4).hex())')
    assert done.returncode == 0, done.stderr
    location, header = done.stdout.split()
    assert Path(location).is_relative_to(venv)            # the installed copy, not this checkout
    assert header == 'a2131091'
    done = run(installed, 'card-bridge', 'emulate', '--help')
    assert done.returncode == 0, done.stderr
    assert '--state' in done.stdout


PROTOCOL_ROUND_TRIP = """
import sys
from card_bridge import protocol
secret = 'ab' * 32
job = {'job_id': 7, 'bridge_id': 3, 'psc': protocol.encrypt_psc(secret, 7, b'\\x01\\x02\\x03'),
       'expires': 1030.0, 'nonce': 'n1'}
checked = protocol.JobGuard(3, secret, clock=lambda: 1000.0).check(protocol.signed(secret, job))
assert protocol.decrypt_psc(secret, 7, checked['psc']) == b'\\x01\\x02\\x03'
headers = protocol.request_headers(3, secret, b'{}')
assert protocol.request_signed_by(3, secret, headers['X-Bridge-Time'], b'{}', headers['X-Bridge-Signature'])
assert not [name for name in sys.modules if name == 'odoo' or name.startswith(('odoo.', 'prepaid_electricity'))]
print(protocol.__file__)
"""


def test_the_installed_package_holds_the_one_protocol(installed):
    """The addon imports card_bridge.protocol (it holds no copy of its own); installed alone,
    the module signs, checks and seals with no Odoo and no addon loaded."""
    done = run(installed, 'python', '-c', PROTOCOL_ROUND_TRIP)
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(installed[0])


def _message(sock, payload):
    sock.sendall(struct.pack('>H', len(payload)) + payload)
    (length,) = struct.unpack('>H', sock.recv(2))
    return sock.recv(length)


def test_installed_emulate_plugs_its_card_into_vpcd(installed, tmp_path):
    """`card-bridge emulate` (the command that failed with FileNotFoundError .../domain/sle4442.py)
    connects to vpcd and answers as an SLE4442; this test plays vpcd."""
    server = socket.create_server(('127.0.0.1', 0))
    port = server.getsockname()[1]
    state = tmp_path / 'card.bin'
    venv, env, root = installed
    emulator = subprocess.Popen([str(venv / 'bin' / 'card-bridge'), 'emulate', '--port', str(port),
                                 '--serial', '0102030405060708', '--state', str(state)],
                                env=env, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        server.settimeout(0.5)
        deadline = time.monotonic() + 30
        sock = None
        while sock is None and emulator.poll() is None and time.monotonic() < deadline:
            try:
                sock, _ = server.accept()
            except TimeoutError:
                pass
        if sock is None:
            emulator.kill()
            pytest.fail("the emulator never connected: " + emulator.communicate()[1])
        with sock:
            sock.settimeout(10)
            assert _message(sock, b'\x04') == bytes.fromhex('3B04A2131091')                     # ATR
            assert _message(sock, bytes.fromhex('FFB0000808')) == bytes.fromhex('0102030405060708') + b'\x90\x00'
        assert emulator.wait(20) == 0                     # vpcd gone: the card is out, its state kept
        assert len(state.read_bytes()) == 264
    finally:
        server.close()
        if emulator.poll() is None:
            emulator.kill()
            emulator.wait()
