// A minimal fake of the Slack Web API for bench/slack_ack.sh: `mlpath serve` points
// SLACK_API_URL at it, so replies go nowhere real and the benchmark can count them.
//
// Every method answers {"ok":true,...} with the fields mlpath reads (auth.test gives the bot's
// own ids, which must match the ones slack_load puts in `authorizations`); there is no rate
// limiting, no latency, no failure injection: this measures mlpath, not Slack.
// GET /_stats returns {"calls":{method:count},"first_call_ms":..,"last_call_ms":..,
// "last_post_ms":..} so the script can derive end-to-end turns per second (event in -> reply
// accepted here). Replies are the chat.postMessage calls: users.info, which mlpath paces at
// Slack's tier (about 100 a minute) to learn new people's time zones, goes on afterwards.
//
// Environment: PORT (required), HOST (default 127.0.0.1). Prints "ready" once listening.
'use strict';

const http = require('node:http');

const port = Number(process.env.PORT);
const host = process.env.HOST || '127.0.0.1';
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('fake_slack_api.js: PORT is not a valid port number');
  process.exit(2);
}

// Same workspace constants as bench/slack_load.cpp and bench/peers/bolt/server.js.
const TEAM = 'TBENCH0001';
const BOT_USER = 'UBENCHBOT';
const BOT_ID = 'BBENCHBOT';

const calls = {};
let firstCallMs = 0;
let lastCallMs = 0;
let lastPostMs = 0;
let tsCounter = 0;

function nextTs() {
  // Unique message ts, shaped like Slack's "seconds.micro".
  tsCounter += 1;
  return `${Math.floor(Date.now() / 1000)}.${String(tsCounter % 1000000).padStart(6, '0')}`;
}

// Web API bodies are JSON (what mlpath sends) or form-encoded (what older clients send).
function parseBody(req, raw) {
  const type = req.headers['content-type'] || '';
  try {
    if (type.includes('application/json')) return JSON.parse(raw || '{}');
    if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  } catch (_) {
    // fall through: a bad body still gets an answer, the count is what matters here
  }
  return {};
}

function answer(method, args) {
  switch (method) {
    case 'auth.test':
      return {
        ok: true, url: 'https://bench.slack.com/', team: 'bench', user: 'mlpath',
        team_id: TEAM, user_id: BOT_USER, bot_id: BOT_ID, is_enterprise_install: false,
      };
    case 'conversations.open':
      // A DM channel id derived from the user, like Slack's stable D… ids.
      return { ok: true, channel: { id: `D${String(args.users || args.user || 'UNKNOWN').slice(1)}` } };
    case 'chat.postMessage':
      return { ok: true, channel: args.channel, ts: nextTs(), message: { type: 'message', text: args.text || '', bot_id: BOT_ID, user: BOT_USER } };
    case 'chat.update':
      return { ok: true, channel: args.channel, ts: args.ts, text: args.text || '' };
    case 'chat.postEphemeral':
      return { ok: true, message_ts: nextTs() };
    case 'users.info':
      return { ok: true, user: { id: args.user, team_id: TEAM, name: 'bench', tz: 'Europe/Berlin', tz_offset: 3600, is_bot: false } };
    default:
      return { ok: true };
  }
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (req.method === 'GET' && url.pathname === '/_stats') {
    // Content-Length, not chunked: slack_ack.sh reads this with bash's /dev/tcp.
    const body = JSON.stringify({ calls, first_call_ms: firstCallMs, last_call_ms: lastCallMs, last_post_ms: lastPostMs });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    // The method is the last path segment: SLACK_API_URL + "chat.postMessage".
    const method = url.pathname.split('/').filter(Boolean).pop() || '';
    const args = { ...Object.fromEntries(url.searchParams), ...parseBody(req, Buffer.concat(chunks).toString('utf8')) };
    const now = Date.now();
    if (firstCallMs === 0) firstCallMs = now;
    lastCallMs = now;
    if (method === 'chat.postMessage') lastPostMs = now;
    calls[method] = (calls[method] || 0) + 1;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(answer(method, args)));
  });
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));

server.listen(port, host, () => console.log('ready'));
