// Peer for bench/slack_ack.sh: Slack's own Bolt for JavaScript receiving the same signed
// Events API traffic as `mlpath serve`, with a message handler that does nothing. What the
// benchmark measures here is Bolt's cost of acknowledging an event: HTTP parsing, signature
// verification, JSON parsing, middleware, dispatch, and the 200.
//
// Environment: SLACK_SIGNING_SECRET (required), PORT (required), HOST (default 127.0.0.1).
// Prints "ready" on stdout once listening; the script waits for that line.
'use strict';

const { App, HTTPReceiver, LogLevel } = require('@slack/bolt');

const signingSecret = process.env.SLACK_SIGNING_SECRET;
const port = Number(process.env.PORT);
const host = process.env.HOST || '127.0.0.1';
if (!signingSecret) {
  console.error('server.js: SLACK_SIGNING_SECRET is not set');
  process.exit(2);
}
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('server.js: PORT is not a valid port number');
  process.exit(2);
}

const receiver = new HTTPReceiver({
  signingSecret,
  // Ack first, run listeners afterwards: the mode Slack recommends for HTTP apps on a
  // long-running server, and the one comparable to mlpath (ack, then run the engine).
  processBeforeResponse: false,
  // WARN rather than the default INFO so per-request logging (there is none at INFO today,
  // but a future version might add some) does not become part of what we measure.
  logLevel: LogLevel.WARN,
});

const app = new App({
  receiver,
  token: 'xoxb-bench',
  // No network at all: without tokenVerificationEnabled=false Bolt calls auth.test at
  // start, and without botId/botUserId it calls auth.test lazily on the first event.
  tokenVerificationEnabled: false,
  botId: 'BBENCHBOT',
  botUserId: 'UBENCHBOT',
  logLevel: LogLevel.WARN,
});

// The handler does nothing: the comparison is about acknowledging, not about work. It only
// counts, so that shutdown can show the events really reached it (and were not, say, dropped
// by the ignoreSelf middleware, which would make Bolt look cheaper than it is).
let handled = 0;
app.event('message', async () => {
  handled += 1;
});

app.error(async (error) => {
  // Errors would mean the comparison is unfair (e.g. a request that fails dispatch), so make
  // them visible on stderr instead of silently counting them as acknowledged.
  console.error('bolt error:', error && error.message ? error.message : error);
});

function shutdown() {
  console.error(`bolt: handled ${handled} message events`);
  app.stop().finally(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

(async () => {
  await app.start({ port, host });
  console.log('ready');
})().catch((error) => {
  console.error('server.js: failed to start:', error);
  process.exit(1);
});
