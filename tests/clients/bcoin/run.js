'use strict';
/*
 * A stock bcoin node (1.0.2, protocol 70015, no addrv2: the `addr` path)
 * against addrmand's P2P face, on regtest:
 *   1. addresses put into the pool over HTTP reach bcoin: it dials the face
 *      (its `nodes` option), asks getaddr after the handshake and keeps the
 *      answer in its own host list, read here;
 *   2. the address bcoin announces reaches the pool: with a public host set
 *      and listening, bcoin sends its own address in an addr right after
 *      the handshake; the face adds it with bcoin's IP as source.
 * Exit status 0 when both hold, 1 with a FAIL line otherwise.
 *
 *   node run.js HTTP_URL P2P_PORT       (tests/clients/run.sh starts the daemon)
 *
 * bcoin only keeps routable addresses heard in addr (binet.isRoutable: no
 * loopback, private or RFC 5737 documentation ranges), so the test
 * addresses are public-looking ones; bcoin is kept from dialing any of
 * them (one outbound slot, taken by the face, and a socket factory that
 * refuses every host but the loopback).
 */
const assert = require('assert');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const bcoin = require('bcoin');

const TIMEOUT_MS = 60000;
const SERVICES = 9;                     /* NODE_NETWORK | NODE_WITNESS */
/* What the pool holds before bcoin connects: one per /16 group. */
const POOL_ADDRS = ['11.1.2.3', '12.4.5.6', '13.7.8.9', '14.10.11.12'];
const POOL_PORT = 18444;
/* What bcoin announces as its own address: 15.16.17.18, or another host
 * of that /16 when its slot is held (chooseAnnounced). */
let ANNOUNCED_HOST = '15.16.17.18';
const ANNOUNCED_PORT = 18445;
const PENALTY = 2 * 60 * 60;           /* Core's, on an address heard from a peer */

const {fail, http, sleep, waitFor, freePort, finish, run} = require('./common');


/* bcoin's socket factory: the loopback only, anything else fails at once. */
function loopbackOnly(port, host) {
  if (host === '127.0.0.1')
    return net.connect(port, host);
  const s = new net.Socket();
  process.nextTick(() => s.destroy(new Error('test: not dialing ' + host)));
  return s;
}

/* Adds host:port (heard from `source`, or from itself when it is
 * undefined) and returns the host it got in as.  The pool's key is fresh
 * each run, so the host's new slot may be held; then it is turned away as
 * table_full and another host of its /16 is tried.  Anything else fails. */
async function addTakingAnother(base, host, port, source, time) {
  for (let tries = 0; ; tries++) {
    const r = await http(base, 'POST', '/v1/peers', {source, peers: [{
      address: host, port, services: SERVICES, time
    }]});
    assert.strictEqual(r.status, 200, 'POST /v1/peers: ' + r.status + ' ' + r.text);
    const res = r.json();
    if (res.added === 1)
      return host;
    assert.ok(res.ignored_by.table_full === 1 && tries < 5,
      'POST /v1/peers of ' + host + ': ' + r.text);
    host = host.replace(/\.\d+$/, '.' + (tries + 20));
  }
}

/* Each of POOL_ADDRS into the pool (two meet in a slot about one time in
 * 65536). */
async function seedPool(base, now) {
  for (let i = 0; i < POOL_ADDRS.length; i++)
    POOL_ADDRS[i] = await addTakingAnother(base, POOL_ADDRS[i], POOL_PORT, undefined, now - 600);
}

/* The face adds bcoin's address with bcoin's IP as source; its new slot
 * can be held by one of POOL_ADDRS (about one time in 16000), and it
 * would be turned away.  So the slot is tried first over HTTP from that
 * source: the host that gets in is removed again and announced, its slot
 * now known to be free. */
async function chooseAnnounced(base) {
  ANNOUNCED_HOST = await addTakingAnother(base, ANNOUNCED_HOST, ANNOUNCED_PORT, '127.0.0.1', 0);
  const d = await http(base, 'DELETE', '/v1/peers/' + ANNOUNCED_HOST + ':' + ANNOUNCED_PORT);
  assert.strictEqual(d.status, 204, 'DELETE of the trial address: ' + d.status + ' ' + d.text);
}

function makeNode(p2pPort, listenPort, prefix) {
  return new bcoin.FullNode({
    network: 'regtest',
    memory: true,
    prefix,
    logLevel: process.env.BCOIN_LOG_LEVEL || 'info',
    logConsole: true,
    logFile: false,
    httpHost: '127.0.0.1',
    httpPort: 0,                        /* its RPC server: any free port */
    seeds: [],
    nodes: ['127.0.0.1:' + p2pPort],
    maxOutbound: 1,
    createSocket: loopbackOnly,
    listen: true,                       /* bcoin advertises only when listening */
    host: '127.0.0.1',
    port: listenPort,
    publicHost: ANNOUNCED_HOST,
    publicPort: ANNOUNCED_PORT
  });
}

/* The pool's addresses that bcoin's host list lacks, as "ip:port". */
function missingFromHostList(node) {
  const hosts = node.pool.hosts.toJSON().addrs.map(a => a.addr);
  return POOL_ADDRS.map(a => a + ':' + POOL_PORT).filter(h => !hosts.includes(h));
}

async function checkAnnounced(base) {
  const route = '/v1/peers/' + ANNOUNCED_HOST + ':' + ANNOUNCED_PORT;
  const r = await waitFor(async () => {
    const x = await http(base, 'GET', route);
    return x.status === 200 ? x : null;
  }, TIMEOUT_MS);
  if (!r) {
    fail('the address bcoin announced (' + ANNOUNCED_HOST + ':' + ANNOUNCED_PORT +
         ') did not reach the pool within ' + TIMEOUT_MS / 1000 + ' s');
    return;
  }
  const peer = r.json();
  console.log('pool holds the announced address: ' + r.text);
  if (peer.source !== '127.0.0.1')
    fail('announced address: source ' + peer.source + ', expected 127.0.0.1 (bcoin\'s IP)');
  if (peer.services !== SERVICES)
    fail('announced address: services ' + peer.services + ', expected ' + SERVICES);
  /* bcoin stamps it now; the face takes Core's 2-hour penalty off. */
  const expected = Math.floor(Date.now() / 1000) - PENALTY;
  if (Math.abs(peer.time - expected) > 120)
    fail('announced address: time ' + peer.time + ', expected about ' + expected +
         ' (now less the 2-hour penalty)');
}

async function main() {
  const [base, p2pArg] = process.argv.slice(2);
  const p2pPort = Number(p2pArg);
  if (!base || !(p2pPort > 0 && p2pPort < 65536)) {
    console.error('usage: node run.js HTTP_URL P2P_PORT');
    process.exit(2);
  }
  const t0 = Date.now();
  const now = Math.floor(Date.now() / 1000);
  await seedPool(base, now);
  await chooseAnnounced(base);

  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'addrmand-bcoin-'));
  const node = makeNode(p2pPort, await freePort(), prefix);
  let opened = false;
  node.pool.on('peer open', peer => {
    opened = true;
    console.log('handshake done with ' + peer.hostname() + ': version ' +
                peer.version + ', services ' + peer.services + ', agent ' + peer.agent);
  });
  try {
    await node.open();
    await node.connect();
    node.startSync();

    const learned = await waitFor(() => missingFromHostList(node).length === 0, TIMEOUT_MS);
    if (!opened)
      fail('bcoin never completed a handshake with the face on 127.0.0.1:' + p2pPort);
    else if (!learned)
      fail('bcoin\'s host list lacks ' + missingFromHostList(node).join(', ') +
           ' after ' + TIMEOUT_MS / 1000 + ' s; it holds ' +
           JSON.stringify(node.pool.hosts.toJSON().addrs));
    else
      console.log('bcoin learned the pool\'s ' + POOL_ADDRS.length + ' addresses in ' +
                  (Date.now() - t0) + ' ms');

    await checkAnnounced(base);
  } finally {
    await finish(base, 'addrmand_p2p_', node, prefix);
  }
  if (!process.exitCode)
    console.log('bcoin: pass (' + (Date.now() - t0) + ' ms)');
}

run(main);
