// Peer for bench/socket_mode.sh: Slack's own Bolt for JavaScript in Socket Mode, receiving the
// same events_api envelopes as `mlpath serve` from bench/socket_mode_feed, with a message
// handler that does nothing. Bolt acknowledges events_api envelopes itself, before the
// listeners run (App.processEvent acks every Events API envelope except function_executed), so
// what the benchmark measures here is Bolt's cost of acknowledging an event over Socket Mode:
// the websocket frame, JSON parsing, authorize, middleware (ignoreSelf included), dispatch and
// the acknowledgement frame.
//
// Pointing Bolt at the fake: App's `clientOptions` go to the WebClient Bolt calls the Web API
// with (auth.test) and, through installerOptions.clientOptions, to the WebClient the
// SocketModeClient calls apps.connections.open with; `slackApiUrl` redirects both. The
// websocket URL is whatever apps.connections.open returns (the feed's ws://127.0.0.1:PORT/link/).
//
// Environment: SLACK_API_URL (required, e.g. http://127.0.0.1:PORT/api/), SLACK_APP_TOKEN and
// SLACK_BOT_TOKEN (dummies the fake accepts). Prints "ready" on stdout once connected.
'use strict';

const { App, LogLevel } = require('@slack/bolt');

const slackApiUrl = process.env.SLACK_API_URL;
if (!slackApiUrl) {
  console.error('socket_mode.js: SLACK_API_URL is not set');
  process.exit(2);
}

const app = new App({
  socketMode: true,
  appToken: process.env.SLACK_APP_TOKEN || 'xapp-1-ABENCH0001-1-bench',
  token: process.env.SLACK_BOT_TOKEN || 'xoxb-bench',
  clientOptions: { slackApiUrl },
  // Defaults otherwise: the token is verified with auth.test once at start (the fake answers),
  // and the bot's ids come from that answer, as in a real deployment.
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
  console.error('bolt error:', error && error.message ? error.message : error);
});

function shutdown() {
  console.error(`bolt: handled ${handled} message events`);
  // The feed has gone by now: do not wait for a websocket close handshake nobody answers.
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

(async () => {
  await app.start();
  console.log('ready');
})().catch((error) => {
  console.error('socket_mode.js: failed to start:', error);
  process.exit(1);
});
