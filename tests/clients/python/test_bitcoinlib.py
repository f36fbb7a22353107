"""python-bitcoinlib against addrmand's P2P face, on regtest.

A second client, independent of the daemon's code: the messages we send are
built by bitcoin.messages (msg_version, msg_verack, msg_getaddr, msg_addr,
msg_ping), the face's answers are decoded by it and serialized again, and
the result must be the very bytes the face sent, so that each field's layout
(widths, byte order, the IPv4-mapped address, the CompactSize counts) is
checked by a reader other than ours.  python-bitcoinlib knows no
sendaddrv2: that message is checked from its raw header.

    /usr/bin/python3 test_bitcoinlib.py HTTP_URL P2P_PORT

(tests/clients/run.sh starts the daemon and passes both.)  Debian's
python3-bitcoinlib, run with Debian's /usr/bin/python3.
"""
import hashlib
import json
import random
import socket
import struct
import sys
import time
import unittest
import urllib.error
import urllib.request

import bitcoin
from bitcoin.messages import (MsgSerializable, msg_addr, msg_getaddr,
                              msg_ping, msg_verack, msg_version)
from bitcoin.net import CAddress

HTTP_URL = None
P2P_PORT = None
TIMEOUT = 15            # seconds for any one answer
PROTOCOL = 70016        # what the face announces, and what we announce
SERVICES = 9            # the face's default: NODE_NETWORK | NODE_WITNESS
PENALTY = 2 * 60 * 60   # Core's 2-hour penalty on an address heard from a peer
REFUSED = 'addrmand_p2p_addresses_dropped_total{reason="refused"}'
HEADER = 24


def http(method, route, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(HTTP_URL + route, data=data, method=method)
    if data is not None:
        req.add_header('Content-Type', 'application/json')
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def pool_peers():
    """Every peer the pool holds, by (address, port)."""
    peers, after = {}, 0
    while after is not None:
        st, text = http('GET', '/v1/peers?limit=10000&after=%d' % after)
        assert st == 200, 'GET /v1/peers: %d %s' % (st, text)
        page = json.loads(text)
        for p in page['peers']:
            peers[(p['address'], p['port'])] = p
        after = page['next']
    return peers


def wait_peer(endpoint, timeout=TIMEOUT):
    """The pool's record of endpoint ("ip:port"), or None after timeout."""
    end = time.time() + timeout
    while True:
        st, text = http('GET', '/v1/peers/' + endpoint)
        if st == 200:
            return json.loads(text)
        assert st == 404, 'GET /v1/peers/%s: %d %s' % (endpoint, st, text)
        if time.time() >= end:
            return None
        time.sleep(0.1)


def metric(series):
    """The value of one series of GET /metrics (0 when absent)."""
    st, text = http('GET', '/metrics')
    assert st == 200, 'GET /metrics: %d' % st
    for line in text.splitlines():
        if line.startswith(series + ' '):
            return float(line.split()[-1])
    return 0.0


class Conn:
    """One v1 connection to the face; frames read raw, then decoded."""

    def __init__(self):
        self.sock = socket.create_connection(('127.0.0.1', P2P_PORT), TIMEOUT)
        self.sock.settimeout(TIMEOUT)
        self.seen = []          # commands received, in order

    def close(self):
        self.sock.close()

    def send(self, msg):
        self.sock.sendall(msg.to_bytes())

    def _read(self, n):
        buf = b''
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise AssertionError('the face closed the connection after %s'
                                     % self.seen)
            buf += chunk
        return buf

    def frame(self):
        """(command, raw frame) of the next message, header checked."""
        hdr = self._read(HEADER)
        assert hdr[:4] == bitcoin.params.MESSAGE_START, \
            'magic %s, expected regtest %s' % (hdr[:4].hex(),
                                               bitcoin.params.MESSAGE_START.hex())
        raw_cmd = hdr[4:16]
        cmd = raw_cmd.rstrip(b'\0')
        assert b'\0' not in cmd and raw_cmd == cmd.ljust(12, b'\0'), \
            'command field %r is not NUL-padded ASCII' % raw_cmd
        length, = struct.unpack('<I', hdr[16:20])
        payload = self._read(length)
        digest = hashlib.sha256(hashlib.sha256(payload).digest()).digest()
        assert hdr[20:24] == digest[:4], \
            '%s: checksum %s, expected %s' % (cmd, hdr[20:24].hex(), digest[:4].hex())
        self.seen.append(cmd.decode('ascii'))
        return cmd, hdr + payload

    def expect(self, command):
        """The next message `command`, decoded by bitcoinlib and checked to
        serialize back to the bytes received; other messages are skipped."""
        while True:
            cmd, raw = self.frame()
            if cmd != command:
                continue
            msg = MsgSerializable.from_bytes(raw)
            assert msg is not None, '%s: bitcoinlib cannot decode it' % command
            again = msg.to_bytes()
            assert again == raw, \
                '%s: bytes differ from what bitcoinlib makes of them\n' \
                '  face:       %s\n  bitcoinlib: %s' % (command, raw.hex(), again.hex())
            return msg

    def handshake(self):
        """Our version; the face's version, sendaddrv2 and verack (in that
        order, nothing else between); our verack.  The face's version."""
        v = msg_version(PROTOCOL)
        v.nServices = 0
        v.nStartingHeight = 0
        v.fRelay = False
        v.addrTo.ip, v.addrTo.port = '127.0.0.1', P2P_PORT
        self.send(v)
        got = [self.frame() for _ in range(3)]
        cmds = [c for c, _ in got]
        assert cmds == [b'version', b'sendaddrv2', b'verack'], \
            'handshake: got %s, expected version, sendaddrv2, verack' % cmds
        assert got[1][1][16:20] == b'\0\0\0\0', 'sendaddrv2 has a payload'
        assert got[2][1][16:20] == b'\0\0\0\0', 'verack has a payload'
        theirs = MsgSerializable.from_bytes(got[0][1])
        again = theirs.to_bytes()
        assert again == got[0][1], \
            'version: bytes differ from what bitcoinlib makes of them\n' \
            '  face:       %s\n  bitcoinlib: %s' % (got[0][1].hex(), again.hex())
        self.send(msg_verack())
        return theirs


def addr_entry(ip, port, services, when):
    a = CAddress()
    a.ip, a.port, a.nServices, a.nTime = ip, port, services, when
    return a


class FaceTest(unittest.TestCase):
    def setUp(self):
        self.conn = Conn()

    def tearDown(self):
        self.conn.close()

    def test_version_is_70016_services_9_height_0_no_relay(self):
        v = self.conn.handshake()
        self.assertEqual(v.nVersion, 70016, 'protocol version')
        self.assertEqual(v.nServices, SERVICES, 'services')
        self.assertEqual(v.nStartingHeight, 0, 'start height')
        self.assertEqual(v.fRelay, 0, 'relay flag (no transactions wanted)')
        self.assertLess(abs(v.nTime - time.time()), 60, 'version time')
        self.assertEqual((v.addrTo.ip, v.addrTo.port),
                         self.conn.sock.getsockname()[:2],
                         'addr_recv: the address we connected from')
        self.assertTrue(v.strSubVer.startswith(b'/') and v.strSubVer.endswith(b'/'),
                        'user agent %r is not BIP14 /name:version/' % v.strSubVer)
        print('face version: %r' % v)

    def test_getaddr_answer_is_addr_of_pool_entries(self):
        now = int(time.time())
        seeded = {}
        for i in range(5):
            ip = '%d.%d.%d.%d' % (21 + i, 30 + i, 40 + i, 50 + i)
            seeded[(ip, 18444)] = now - 1000 * (i + 1)
        st, text = http('POST', '/v1/peers', {'peers': [
            {'address': ip, 'port': port, 'services': SERVICES, 'time': t}
            for (ip, port), t in seeded.items()]})
        self.assertEqual(st, 200, 'POST /v1/peers: %s' % text)
        pool = pool_peers()
        # An address whose table slot is held is turned away (table_full);
        # the pool holds every other one.
        added = json.loads(text)
        held = added['ignored_by'].get('table_full', 0)
        self.assertEqual(added['added'] + added['updated'] + held, len(seeded))
        self.assertEqual(len([k for k in seeded if k in pool]),
                         len(seeded) - held)
        seeded = {k: t for k, t in seeded.items() if k in pool}
        self.conn.handshake()
        self.conn.send(msg_getaddr())
        answer = self.conn.expect(b'addr')
        self.assertGreater(len(answer.addrs), 0, 'empty addr for a pool of %d' % len(pool))
        self.assertLessEqual(len(answer.addrs), 1000)
        served = set()
        for a in answer.addrs:
            key = (a.ip, a.port)
            self.assertNotIn(key, served, 'served twice: %r' % a)
            served.add(key)
            self.assertIn(key, pool, 'served %r, which the pool does not hold' % a)
            p = pool[key]
            self.assertEqual(a.nServices, p['services'], 'services of %r' % a)
            self.assertTrue(p['time'] - PENALTY <= a.nTime <= p['time'],
                            'time of %r: the pool says %d' % (a, p['time']))
        # Every eligible peer fits in one answer: all were served.
        eligible = {k for k, p in pool.items() if p['services'] & (1 | 1024)}
        self.assertTrue(set(seeded) <= eligible)
        self.assertEqual(served, eligible, 'served %s, the pool holds %s'
                         % (sorted(served), sorted(eligible)))
        print('getaddr: %d entries, as the pool holds them' % len(served))

    def send_addr(self, entries):
        """An addr of `entries` ((ip, port, when) each) on a new
        connection: the pool's record of the first one, or None when the
        pool turned it away because its table slot is held (heard from
        127.0.0.1, beside every address heard from there before: one time
        in 4096 each)."""
        refused = metric(REFUSED)
        self.conn.close()
        self.conn = Conn()
        self.conn.handshake()
        m = msg_addr()
        m.addrs = [addr_entry(ip, port, SERVICES, when)
                   for ip, port, when in entries]
        self.conn.send(m)
        end = time.time() + TIMEOUT
        while True:
            ip, port = entries[0][:2]
            peer = wait_peer('%s:%d' % (ip, port), timeout=0)
            if peer is not None or metric(REFUSED) > refused:
                return peer
            self.assertLess(time.time(), end,
                            'the address we sent never reached the pool')
            time.sleep(0.1)

    def test_addr_entry_reaches_pool_with_our_ip_as_source(self):
        port, when, peer = 8333, int(time.time()) - 60, None
        for _ in range(5):
            ip = '31.32.33.%d' % random.randint(1, 254)
            peer = self.send_addr([(ip, port, when)])
            if peer is not None:
                break
        self.assertIsNotNone(peer, 'five addresses in a row turned away')
        self.assertEqual(peer['source'], '127.0.0.1', 'source')
        self.assertEqual(peer['services'], SERVICES, 'services')
        self.assertEqual(peer['time'], when - PENALTY,
                         'time: sent %d, expected it less the 2-hour penalty' % when)
        print('addr: %s:%d reached the pool: %s' % (ip, port, peer))

    def test_addr_entry_beyond_the_first_token_is_dropped(self):
        series = 'addrmand_p2p_addresses_dropped_total{reason="rate_limit"}'
        when = int(time.time()) - 60
        for _ in range(5):
            before = metric(series)
            first, second = ('41.42.43.%d' % random.randint(1, 254),
                             '51.52.53.%d' % random.randint(1, 254))
            if self.send_addr([(first, 8333, when), (second, 8333, when)]):
                break
        else:
            self.fail('the first entry (one token) never reached the pool')
        end = time.time() + TIMEOUT
        while metric(series) < before + 1 and time.time() < end:
            time.sleep(0.1)
        self.assertEqual(metric(series), before + 1, series)
        self.assertIsNone(wait_peer(second + ':8333', timeout=0),
                          'the second entry got past the token bucket')

    def test_ping_gets_pong_with_its_nonce(self):
        self.conn.handshake()
        nonce = random.getrandbits(64)
        self.conn.send(msg_ping(nonce=nonce))
        pong = self.conn.expect(b'pong')
        self.assertEqual(pong.nonce, nonce, 'pong nonce')


def main():
    global HTTP_URL, P2P_PORT
    if len(sys.argv) != 3:
        sys.exit('usage: %s HTTP_URL P2P_PORT' % sys.argv[0])
    HTTP_URL, P2P_PORT = sys.argv[1].rstrip('/'), int(sys.argv[2])
    bitcoin.SelectParams('regtest')
    unittest.main(argv=sys.argv[:1], verbosity=2)


if __name__ == '__main__':
    main()
