"""The receipt printer: a Chinese and English slip rendered with python-escpos, sent over real TCP
to the virtual printer, read back from the captured bytes; the status checks before printing."""
import re
import socket
import subprocess
import sys
import time

import pytest

from card_bridge import printer
from card_bridge.devices import DeviceError
from card_bridge.printer import print_slip, printer_status, render_slip, text_width
from card_bridge.virtual_printer import VirtualPrinter, decode_escpos, main_emulate_printer

SLIP = {
    'title': '购电凭证 Receipt',
    'lines': [['收据号 Receipt No.', 'R-2025-000123'],
              ['金额 Amount', '100.00'],
              ['电量 Energy', '185.19 kWh'],
              ['表号 Meter', '0101 2345 6789']],
    'footer': '谢谢惠顾 Thank you',
    'qr': 'https://kiosk.example/r/R-2025-000123',
}


@pytest.fixture
def virtual(tmp_path):
    with VirtualPrinter(port=0, directory=tmp_path / 'jobs') as device:
        yield device


def _url(device, **query):
    return f'tcp://127.0.0.1:{device.port}' + ''.join(f'?{key}={value}' for key, value in query.items())


def _free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def test_chinese_word_is_gb18030_in_chinese_mode():
    data = render_slip({'title': 'T', 'lines': [['金额', '1.00']]})
    # 金 = BD F0, 额 = B6 EE in GB18030, framed by FS & (1C 26) and FS . (1C 2E)
    assert b'\x1c\x26\xbd\xf0\xb6\xee\x1c\x2e' in data
    assert '金额'.encode('gb18030') == bytes.fromhex('bdf0b6ee')
    assert b'1.00\n' in data                       # ASCII stays ASCII, outside the Chinese mode
    assert data.startswith(b'\x1b@')               # ESC @: initialise
    assert data.endswith(b'\x1bd\x06\x1dV\x01')    # feed 6 lines, partial cut


def test_rows_fill_the_paper_width_in_display_columns():
    for columns in (48, 32):
        text = decode_escpos(render_slip(SLIP, columns=columns))
        row = next(line for line in text.splitlines() if line.startswith('金额'))
        assert text_width(row) == columns and row.endswith('100.00')
    assert text_width('金额 Amount') == 11


def test_slip_over_tcp_is_captured_and_decoded(virtual):
    assert print_slip(_url(virtual), SLIP) == 'ok'
    jobs = virtual.wait_for_jobs(1)
    assert [job.name for job in jobs] == ['slip-0001.bin']
    data = jobs[0].read_bytes()
    assert data == b'\x10\x04\x01\x10\x04\x04' + render_slip(SLIP)     # the status requests, then the slip
    text = decode_escpos(data)
    for figure in ('购电凭证 Receipt', 'R-2025-000123', '100.00', '185.19 kWh', '0101 2345 6789',
                   '收据号', '金额', '电量', '谢谢惠顾 Thank you'):
        assert figure in text
    assert text.cut and text.images == 1            # cut, and the QR code printed as an image
    assert '\x1b' not in text and '\x1c' not in text


def test_58mm_paper_from_the_url(virtual):
    print_slip(_url(virtual, columns=32), SLIP)
    text = decode_escpos(virtual.wait_for_jobs(1)[0].read_bytes())
    assert max(text_width(line) for line in text.splitlines()) == 32


def test_low_paper_still_prints(virtual):
    virtual.set_paper('low')
    assert printer_status(_url(virtual)) == {'state': 'paper_low'}
    assert print_slip(_url(virtual), SLIP) == 'low'
    assert len(virtual.wait_for_jobs(1)) == 1


def test_paper_out_prints_nothing(virtual):
    virtual.set_paper('out')
    assert printer_status(_url(virtual)) == {'state': 'paper_out'}
    with pytest.raises(DeviceError) as raised:
        print_slip(_url(virtual), SLIP)
    assert raised.value.code == 'paper_out'
    assert virtual.wait_for_jobs(1, timeout=0.5) == [] and virtual.dropped == 0
    virtual.set_paper('ok')
    assert printer_status(_url(virtual)) == {'state': 'ok'}


def test_paper_state_set_by_another_process_through_the_file(virtual):
    (virtual.directory / 'paper').write_text('out\n')
    assert printer_status(_url(virtual)) == {'state': 'paper_out'}


def test_closed_port_is_offline():
    url = f'tcp://127.0.0.1:{_free_port()}'
    assert printer_status(url) == {'state': 'offline'}
    with pytest.raises(DeviceError) as raised:
        print_slip(url, SLIP)
    assert raised.value.code == 'offline'


def test_silent_printer_is_offline(virtual):
    virtual.answers_status = False
    with pytest.raises(DeviceError) as raised:
        print_slip(_url(virtual), SLIP, timeout=0.3)
    assert raised.value.code == 'offline'
    assert virtual.wait_for_jobs(1, timeout=0.5) == []


def test_control_characters_in_slip_data_do_not_reach_the_printer():
    data = render_slip({'title': 'T', 'lines': [['a\x1bd\x09b', 'x\x1dV\x00']]})
    assert b'\x1bd\x09' not in data and b'\x1dV\x00' not in data
    assert 'a d b' in decode_escpos(data)


def test_decode_skips_commands_with_their_parameters():
    data = (b'\x1b@\x1ba\x01\x1d!\x11AB\x1b!\x00\x1c&' + '电'.encode('gb18030') + b'\x1c.\n'
            + b'\x1dv0\x00\x01\x00\x02\x00\x41\x42' + b'C\x1d(k\x03\x001C\x05' + b'D\x1dV\x42\x00')
    text = decode_escpos(data)
    assert text == 'AB电\nCD' and text.cut and text.images == 1


def test_job_numbers_continue_after_a_restart(tmp_path):
    for count in (1, 2):
        with VirtualPrinter(port=0, directory=tmp_path) as device:
            print_slip(_url(device), SLIP)
            assert device.wait_for_jobs(count)[-1].name == f'slip-{count:04d}.bin'


def test_data_sent_with_the_paper_out_is_dropped(virtual):
    virtual.set_paper('out')
    with socket.create_connection(('127.0.0.1', virtual.port)) as connection:
        connection.sendall(render_slip(SLIP))
    deadline = time.monotonic() + 5
    while not virtual.dropped and time.monotonic() < deadline:
        time.sleep(0.02)
    assert virtual.dropped == 1 and virtual.jobs() == []


def test_emulate_printer_command(tmp_path):
    """What `card-bridge emulate-printer` runs: serves until SIGTERM, the jobs land in --dir."""
    command = [sys.executable, '-c', 'import sys; from card_bridge.virtual_printer import main_emulate_printer; '
               'sys.exit(main_emulate_printer(sys.argv[1:]))', '--port', '0', '--dir', str(tmp_path), '--paper', 'low']
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        banner = process.stdout.readline()
        port = int(re.search(r'tcp://127\.0\.0\.1:(\d+)', banner).group(1))
        assert print_slip(f'tcp://127.0.0.1:{port}', SLIP) == 'low'
        deadline = time.monotonic() + 5
        while not list(tmp_path.glob('slip-*.bin')) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert '金额' in decode_escpos((tmp_path / 'slip-0001.bin').read_bytes())
    finally:
        process.terminate()
        assert process.wait(10) == 0


def test_emulate_printer_command_refuses_a_busy_port(tmp_path, capsys):
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main_emulate_printer(['--port', str(port), '--dir', str(tmp_path)]) == 1
    assert 'cannot listen' in capsys.readouterr().err


def test_unknown_url_scheme():
    with pytest.raises(ValueError):
        printer.print_slip('lpt://1', SLIP)
