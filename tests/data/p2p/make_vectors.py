#!/usr/bin/python3
"""Write vectors.txt: Bitcoin P2P v1 messages serialized by python-bitcoinlib
(Debian's python3-bitcoinlib), an implementation independent of addrmand.

    /usr/bin/python3 tests/data/p2p/make_vectors.py > tests/data/p2p/vectors.txt

Each line: <chain> <message> <hex of the whole framed message>.  The fields
are fixed here (no clock, no random nonce) so the output is reproducible and
tests/unit/test_p2p_msg.c can build the same messages from the same fields.
"""
import bitcoin
from bitcoin.messages import msg_version, msg_verack, msg_ping, msg_getaddr, msg_addr
from bitcoin.net import CAddress


def addr(ip, port, services, time=0):
    a = CAddress()
    a.ip, a.port, a.nServices, a.nTime = ip, port, services, time
    return a


def version(relay):
    m = msg_version(70016)
    m.nServices = 0x409                 # NETWORK | WITNESS | NETWORK_LIMITED
    m.nTime = 1700000000
    m.addrTo = addr("203.0.113.7", 8333, 0)
    m.addrFrom = addr("2001:db8::1", 18444, 0x409)
    m.nNonce = 0x0123456789ABCDEF
    m.strSubVer = b"/Satoshi:27.0.0/"
    m.nStartingHeight = 850000
    m.fRelay = relay
    return m


def messages():
    ping = msg_ping(nonce=0xDEADBEEFCAFEF00D)
    ad = msg_addr()
    ad.addrs = [addr("1.2.3.4", 8333, 1, 1700000000),
                addr("2001:db8:85a3::8a2e:370:7334", 8333, 0x409, 1700000001),
                addr("198.51.100.23", 38333, 0, 4294967295)]
    return [("version", version(1)), ("version_norelay", version(0)),
            ("verack", msg_verack()), ("ping", ping),
            ("getaddr", msg_getaddr()), ("addr", ad)]


for chain in ("mainnet", "regtest"):
    bitcoin.SelectParams(chain)
    name = "main" if chain == "mainnet" else chain
    for what, m in messages():
        print(name, what, m.to_bytes().hex())
