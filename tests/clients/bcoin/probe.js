'use strict';
/*
 * addrmand's prober against a stock bcoin node (1.0.2, protocol 70015), on
 * regtest: bcoin listens on a free loopback port, its address is put into
 * the pool over HTTP (POST /v1/peers), and the daemon, started with
 * --probe --probe-rate 20 --probe-timeout 5, probes it:
 *   1. the pool ends with the address tried (state and table), with
 *      exactly the services bcoin announces in its version and a
 *      last_success set;
 *   2. bcoin saw an inbound peer whose user agent is the prober's
 *      (/addrmand-prober:0.1.0/), whose version asks for nothing
 *      (services 0, no relay) and carries the time of day (bcoin adjusts
 *      its clock by its peers' timestamps).
 * Exit status 0 when both hold, 1 with a FAIL line otherwise.
 *
 *   node probe.js HTTP_URL P2P_PORT     (tests/clients/run.sh bcoin-probe
 *                                        starts the daemon)
 *
 * bcoin dials nobody: no seeds, no nodes, and a socket factory that
 * refuses every host.
 */
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const bcoin = require('bcoin');

const TIMEOUT_MS = 60000;
const PROBER_AGENT = '/addrmand-prober:0.1.0/';
/* What the pool is told before the probe: the prober must replace it. */
const POSTED_SERVICES = 1;

const {fail, http, sleep, waitFor, freePort, finish, run} = require('./common');


/* bcoin's socket factory: it is to dial nobody. */
function noDialing(port, host) {
  const s = new net.Socket();
  process.nextTick(() => s.destroy(new Error('test: not dialing ' + host)));
  return s;
}

function makeNode(listenPort, prefix) {
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
    nodes: [],
    createSocket: noDialing,
    listen: true,
    host: '127.0.0.1',
    port: listenPort
  });
}

/* The pool's record of bcoin once it is tried with a success, else null. */
async function triedRecord(base, route) {
  const r = await http(base, 'GET', route);
  if (r.status !== 200)
    return null;
  const p = r.json();
  return p.state === 'tried' && p.table === 'tried' && p.last_success > 0 ? p : null;
}

async function main() {
  const [base, p2pArg] = process.argv.slice(2);
  if (!base || !(Number(p2pArg) > 0)) {
    console.error('usage: node probe.js HTTP_URL P2P_PORT');
    process.exit(2);
  }
  const t0 = Date.now();
  const port = await freePort();
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'addrmand-bcoin-probe-'));
  const node = makeNode(port, prefix);
  /* Every inbound peer's version, as bcoin read it. */
  const inbound = [];
  /* The offsets bcoin took from its peers' version timestamps (every peer
   * here is the prober): it adjusts its clock by them. */
  const offsets = [];
  node.network.time.on('sample', sample => offsets.push(sample));
  node.pool.on('peer open', peer => {
    if (peer.outbound)
      return;
    inbound.push({agent: peer.agent, services: peer.services,
                  noRelay: peer.noRelay, version: peer.version});
    console.log('bcoin: inbound peer ' + peer.hostname() + ' open: version ' +
                peer.version + ', services ' + peer.services + ', agent ' + peer.agent);
  });
  try {
    await node.open();
    await node.connect();
    const services = node.pool.options.services;
    console.log('bcoin listening on 127.0.0.1:' + port + ', services ' + services);

    const route = '/v1/peers/127.0.0.1:' + port;
    const now = Math.floor(Date.now() / 1000);
    const r = await http(base, 'POST', '/v1/peers', {peers: [
      {address: '127.0.0.1', port, services: POSTED_SERVICES, time: now - 600}]});
    if (r.status !== 200 || r.json().added !== 1)
      throw new Error('POST /v1/peers: ' + r.status + ' ' + r.text);

    const rec = await waitFor(() => triedRecord(base, route), TIMEOUT_MS);
    if (!rec) {
      const x = await http(base, 'GET', route);
      fail('bcoin (127.0.0.1:' + port + ') not tried with a success after ' +
           TIMEOUT_MS / 1000 + ' s: ' + x.status + ' ' + x.text);
    } else {
      console.log('pool: ' + JSON.stringify(rec) + ' after ' + (Date.now() - t0) + ' ms');
      if (rec.services !== services)
        fail('services ' + rec.services + ' in the pool, bcoin announces ' + services);
      if (Math.abs(rec.last_success - Math.floor(Date.now() / 1000)) > 120)
        fail('last_success ' + rec.last_success + ' is not about now');
    }

    console.log('bcoin: offsets of the versions\' timestamps from its clock (s): ' +
                JSON.stringify(offsets));
    if (offsets.length === 0 || offsets.some(o => Math.abs(o) > 120))
      fail('the prober\'s version timestamp is not the time of day: offsets ' +
           JSON.stringify(offsets) + ' s from bcoin\'s clock');
    const seen = await waitFor(() => inbound.find(p => p.agent === PROBER_AGENT),
                               5000);
    if (!seen) {
      fail('bcoin saw no inbound peer with agent ' + PROBER_AGENT + '; it saw ' +
           JSON.stringify(inbound));
    } else if (seen.services !== 0 || !seen.noRelay) {
      fail('the prober\'s version: services ' + seen.services + ', noRelay ' +
           seen.noRelay + '; want 0 and true');
    }
  } finally {
    await finish(base, 'addrmand_probe_', node, prefix);
  }
  if (!process.exitCode)
    console.log('bcoin-probe: pass (' + (Date.now() - t0) + ' ms)');
}

run(main);
