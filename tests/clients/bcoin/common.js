'use strict';
/*
 * What the bcoin clients (run.js, probe.js) share: a failure line, HTTP to
 * the daemon, sleeping and polling, a free loopback port, the metrics
 * shown after a failure, the end of a test's bcoin node, the test's run.
 */
const fs = require('fs');
const net = require('net');

function fail(msg) {
  console.error('FAIL: ' + msg);
  process.exitCode = 1;
}

async function http(base, method, route, body) {
  const init = {method, headers: {}};
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(base + route, init);
  const text = await res.text();
  return {status: res.status, text, json: () => JSON.parse(text)};
}

function sleep(ms) {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/* Polls check() (truthy = done) every 200 ms until timeoutMs. */
async function waitFor(check, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v)
      return v;
    if (Date.now() >= end)
      return null;
    await sleep(200);
  }
}

/* A free loopback port for bcoin's listener (it refuses port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const {port} = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/* The daemon's series starting with `prefix`, on stderr (after a failure). */
async function dumpMetrics(base, prefix) {
  try {
    const r = await http(base, 'GET', '/metrics');
    console.error(r.text.split('\n').filter(l => l.startsWith(prefix)).join('\n'));
  } catch (e) {
    console.error('metrics: ' + e.message);
  }
}

/* After a test: the daemon's series starting with `prefix` when it
 * failed, then the bcoin node closed and its directory removed. */
async function finish(base, prefix, node, dir) {
  if (process.exitCode)
    await dumpMetrics(base, prefix);
  await node.disconnect();
  await node.close();
  fs.rmSync(dir, {recursive: true, force: true});
}

/* Runs a test's main(); an exception fails it. */
function run(main) {
  main().catch((e) => {
    console.error('FAIL: ' + (e.stack || e));
    process.exit(1);
  });
}

module.exports = {fail, http, sleep, waitFor, freePort, finish, run};
