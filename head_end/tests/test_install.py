"""`pip install ./head_end` gives a complete package: installed into a fresh virtualenv, away from
the addon, `head-end run` (on a work file) and `head-end emulate` (a virtual concentrator) talk
to each other, and the emulator's meters survive its restart."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from decimal import Decimal
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]
BUILD_TOOLS = ('pip', 'setuptools', 'pkg_resources', '_distutils_hack', 'wheel')


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """A fresh venv with head_end installed by pip from a copy of its folder, offline and without
    build isolation; the build tools are lent from the running environment for the install only
    (the package itself needs nothing but the standard library)."""
    root = tmp_path_factory.mktemp('install')
    source = root / 'head_end'
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
        for info in here.glob(f'{name}-*.dist-info'):
            (tools / info.name).symlink_to(info)
    lent = purelib / 'head_end_test_lent.pth'
    lent.write_text(f'{tools}\n')
    shutil.copy(here / 'distutils-precedence.pth', purelib)
    subprocess.run([str(python), '-m', 'pip', 'install', '-q', '--no-deps', '--no-build-isolation', str(source)],
                   check=True, env=env, cwd=root)
    lent.unlink()                          # nothing lent at run time: the standard library only
    (purelib / 'distutils-precedence.pth').unlink()
    shutil.rmtree(source)                  # the installed package must not need its source either
    return venv, env, root


def command(installed, *args):
    venv, env, root = installed
    return subprocess.Popen([str(venv / 'bin' / 'head-end'), *args], env=env, cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.communicate()


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def reports(path):
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding='utf-8').splitlines() if line.strip()]


def wait_for(condition, processes, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            outputs = [stop(p)[1][-2000:] for p in processes]
            pytest.fail("not in time; stderr:\n" + "\n---\n".join(outputs))
        time.sleep(0.2)


def test_the_installed_package_runs_alone(installed):
    venv = installed[0]
    done = subprocess.run([str(venv / 'bin' / 'python'), '-c', 'import sys, head_end.service, head_end.cli; '
                           'print(head_end.service.__file__); print(sorted(m for m in sys.modules '
                           'if m.split(".")[0] in ("odoo", "prepaid_electricity", "card_bridge")))'],
                          capture_output=True, text=True, env=installed[1], cwd=installed[2], timeout=60)
    assert done.returncode == 0, done.stderr
    location, imported = done.stdout.splitlines()
    assert Path(location).is_relative_to(venv) and imported == '[]'


def test_run_and_emulate_and_a_restart_of_the_emulator(installed, tmp_path):
    port = free_port()
    meters = ['170004050001', '170004050002']
    work = tmp_path / 'work.json'
    work.write_text(json.dumps({
        'concentrators': [{'asset': '17000405', 'protocol': 'gdw1376',
                           'meters': [{'address': a, 'port': 2, 'baud': 2400, 'parity': 'even'} for a in meters]}],
        'reads': [{'meter': a, 'kind': 'current'} for a in meters],
        'commands': [],
    }))
    out = tmp_path / 'reports.jsonl'
    state = tmp_path / 'demo.json'
    emulator_args = ['emulate', '--connect', f'127.0.0.1:{port}', '--asset', '17000405', '--meters', '2',
                     '--speed', '3600', '--state', str(state), '--save-every', '0.3', '--heartbeat', '1']
    head = command(installed, 'run', '--listen', f'127.0.0.1:{port}', '--work', str(work), '--reports', str(out),
                   '--poll', '0.5', '--meter-timeout', '0.3')
    emulator = command(installed, *emulator_args)
    try:
        def readings():
            return [r for report in reports(out) for r in report['current']]

        wait_for(lambda: {r['meter'] for r in readings()} == set(meters), [head, emulator])
        logins = [s for report in reports(out) for s in report['concentrators'] if s['detail'] == 'login']
        assert logins and logins[0]['asset'] == '17000405' and logins[0]['online'] is True
        stop(emulator)
        saved = json.loads(state.read_text())
        before = {m['address']: sum(Decimal(v) for v in m['registers']) for m in saved['meters']}
        assert set(before) == set(meters) and all(total > 0 for total in before.values())
        seen = len(readings())
        emulator = command(installed, *emulator_args)     # the same meters come back, registers kept
        wait_for(lambda: len(readings()) >= seen + 2, [head, emulator])
        latest = {r['meter']: Decimal(r['total']) for r in readings()[seen:]}
        assert all(latest[a] >= before[a].quantize(Decimal('0.01'), 'ROUND_DOWN') for a in meters)
    finally:
        stop(emulator)
        stop(head)
