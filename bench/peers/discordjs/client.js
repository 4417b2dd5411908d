// Peer for bench/discord_gateway.sh: discord.js's own gateway layer (@discordjs/ws 2.x, the
// WebSocketManager that discord.js's Client runs on) receiving the same stream of DM
// MESSAGE_CREATE dispatches from bench/gateway_feed as mlpath and the minimal client, with a
// dispatch listener that only counts. What the benchmark measures here is the cost of
// receiving a dispatch in Node: websocket framing (the `ws` package, as installed by
// `npm install @discordjs/ws`, i.e. without the optional bufferutil/utf-8-validate), JSON.parse,
// the shard's sequence and session bookkeeping, and the event emitters up to the listener.
//
// Gateway information is never fetched: WebSocketManager.fetchGatewayInformation (which
// would call GET /gateway/bot through @discordjs/rest) is overridden to return the feed's URL,
// and the `rest` option is a stub that throws, so nothing can reach Discord.
//
// Environment: GATEWAY_URL (required, the feed's ws:// URL). Prints "ready" on stdout when
// READY arrives; counts on stderr when stopped (SIGTERM/SIGINT).
'use strict';

const { WebSocketManager, WebSocketShardEvents } = require('@discordjs/ws');

const gatewayURL = process.env.GATEWAY_URL;
if (!gatewayURL || !/^wss?:\/\//.test(gatewayURL)) {
  console.error('client.js: GATEWAY_URL must be the feed\'s ws:// URL');
  process.exit(2);
}

// What GET /gateway/bot would answer (rest/get_gateway_bot.response.json, one shard).
const gatewayInformation = {
  url: gatewayURL,
  shards: 1,
  session_start_limit: { total: 1000, remaining: 999, reset_after: 14400000, max_concurrency: 1 },
};

class BenchWebSocketManager extends WebSocketManager {
  async fetchGatewayInformation() {
    return gatewayInformation;
  }
}

const GUILDS = 1 << 0;
const DIRECT_MESSAGES = 1 << 12;

const manager = new BenchWebSocketManager({
  token: 'bench',
  intents: GUILDS | DIRECT_MESSAGES, // 4097, as mlpath identifies
  shardCount: 1,
  rest: {
    get() {
      throw new Error('client.js: no REST calls in the benchmark');
    },
  },
});

// The listener does nothing but count; the comparison is about receiving, not about work.
let dispatches = 0;
manager.on(WebSocketShardEvents.Dispatch, () => {
  dispatches += 1;
});
manager.on(WebSocketShardEvents.Ready, () => {
  console.log('ready');
});
manager.on(WebSocketShardEvents.Error, (error) => {
  console.error('client.js: shard error:', error && error.message ? error.message : error);
});
manager.on(WebSocketShardEvents.Closed, (code) => {
  console.error(`client.js: shard closed (code ${code})`);
});

let stopping = false;
function shutdown(signal) {
  if (stopping) return;
  stopping = true;
  console.error(`client.js: ${signal}; ${dispatches} dispatches`);
  process.exit(0);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

manager.connect().catch((error) => {
  console.error('client.js: connect failed:', error);
  process.exit(1);
});
