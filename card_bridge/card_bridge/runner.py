"""Runs one verified job on a card and builds the result the server judges."""
import logging
import time

from .drivers.base import CardError
from .protocol import JobRefused, decrypt_psc

_logger = logging.getLogger(__name__)
CARD_SIZE = 256


def _changed_runs(current, address, data):
    """(address, bytes) runs of `data` that differ from the card: each written byte costs
    about 5 ms on an SLE4442, so unchanged bytes are not written."""
    runs, start = [], None
    for offset, byte in enumerate(data):
        differs = current[address + offset] != byte
        if differs and start is None:
            start = offset
        if not differs and start is not None:
            runs.append((address + start, data[start:offset]))
            start = None
    if start is not None:
        runs.append((address + start, data[start:]))
    return runs


def run_job(job, driver, secret):
    """Carry out a verified job. Returns the (unsigned) result: ok, raw read-back, error."""
    started = time.monotonic()
    result = {'job_id': job['job_id'], 'nonce': job['nonce'], 'ok': False, 'raw': '', 'error': ''}
    try:
        driver.connect()
        try:
            serial = driver.serial().hex()
            if job['operation'] == 'read':
                result.update(ok=True, raw=driver.read(0, CARD_SIZE).hex())
                return result
            if serial != job['serial']:
                raise CardError(f"wrong card in the reader: expected {job['serial']}, found {serial}")
            tries = driver.error_counter()
            if tries <= 1:
                # Presenting a PSC now could destroy the card: leave it to a master clear.
                raise CardError(f"the card has {tries} PSC tries left: it needs a master clear at the station")
            psc = decrypt_psc(secret, job['job_id'], job['psc'])
            left = driver.present_psc(psc)
            if left != 3:
                result['psc_refused'] = True
                raise CardError(f"the card refused the PSC ({left} tries left); not retried")
            current = driver.read(0, CARD_SIZE)
            if driver.serial().hex() != job['serial']:  # re-checked right before writing
                raise CardError("the card was swapped")
            for address, data_hex in sorted(job['writes'].items(), key=lambda item: int(item[0])):
                for run_address, run in _changed_runs(current, int(address), bytes.fromhex(data_hex)):
                    driver.write(run_address, run)
            if job.get('new_psc'):
                new_psc = decrypt_psc(secret, job['job_id'], job['new_psc'])
                if new_psc != psc:
                    driver.change_psc(new_psc)
            readback = driver.read(0, CARD_SIZE)
            result['raw'] = readback.hex()
            for address, data_hex in job['writes'].items():
                data = bytes.fromhex(data_hex)
                if readback[int(address):int(address) + len(data)] != data:
                    raise CardError("the card does not read back what was written")
            result['ok'] = True
        finally:
            driver.disconnect()
    except (CardError, JobRefused) as error:
        result['error'] = str(error)
        _logger.warning("job %s failed: %s", job.get('job_id'), error)
    else:
        _logger.info("job %s (%s) done in %.0f ms", job['job_id'], job['operation'],
                     (time.monotonic() - started) * 1000)
    return result
