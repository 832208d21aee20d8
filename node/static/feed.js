// The dashboard's market-data client: one WebSocket to the node's /v1/ws, the subscriptions the
// page wants (depth of a class, trades, candles, tickers, references; docs/api.md, "Market
// data"), and the depth books rebuilt from snapshot + updates. It owns the protocol's rules:
// an update whose prev_seq is not the last seq applied (a gap), a `resync` notice or a checksum
// that does not match means the book can no longer be trusted, so the channel is subscribed
// afresh and its next snapshot replaces the book. A lost connection is reopened (bounded
// backoff) and every subscription sent again. The page (app.js) only renders what this hands it.
//
// Prices stay exact decimal text: they are keys, compared digit by digit (compareDecimal), and
// only the charts turn them into numbers to place points.

/** Compares two non-negative decimal texts ("1.9", "12.05") exactly: <0, 0 or >0. */
export function compareDecimal(a, b) {
  const [ai, af = ""] = a.split(".");
  const [bi, bf = ""] = b.split(".");
  const aInt = ai.replace(/^0+(?=\d)/, "");
  const bInt = bi.replace(/^0+(?=\d)/, "");
  if (aInt.length !== bInt.length) return aInt.length - bInt.length;
  if (aInt !== bInt) return aInt < bInt ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const aFrac = af.padEnd(width, "0");
  const bFrac = bf.padEnd(width, "0");
  return aFrac === bFrac ? 0 : aFrac < bFrac ? -1 : 1;
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC32 (IEEE) of a text's UTF-8 bytes, as an unsigned integer. */
export function crc32(text) {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) {
    crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** How many levels a side the checksum covers. */
const CHECKSUM_LEVELS = 10;

/** One depth channel's book: price text → quantity, per side. */
export class DepthBook {
  constructor(snapshot) {
    this.asks = new Map(snapshot.asks);
    this.bids = new Map(snapshot.bids);
    this.seq = snapshot.seq;
    this.ts = snapshot.ts;
  }

  /** Applies an update's changes; false if it does not follow the last seq applied. */
  apply(update) {
    if (update.prev_seq !== this.seq) return false;
    for (const [side, price, qty] of update.changes) {
      const levels = side === "ask" ? this.asks : this.bids;
      if (qty === 0) levels.delete(price);
      else levels.set(price, qty);
    }
    this.seq = update.seq;
    this.ts = update.ts;
    return true;
  }

  /** Asks best (lowest) first. */
  sortedAsks() {
    return [...this.asks].sort((x, y) => compareDecimal(x[0], y[0]));
  }

  /** Bids best (highest) first. */
  sortedBids() {
    return [...this.bids].sort((x, y) => compareDecimal(y[0], x[0]));
  }

  /** The protocol's checksum of the best levels: `price:qty;` for asks, then bids. */
  checksum() {
    const top = (levels) =>
      levels.slice(0, CHECKSUM_LEVELS).map(([price, qty]) => `${price}:${qty};`).join("");
    return crc32(top(this.sortedAsks()) + top(this.sortedBids()));
  }
}

/** The key of a subscription, for matching acks, errors and messages to it. */
function keyOf(params) {
  return [params.subscribe, params.class ?? "", params.interval ?? ""].join("|");
}

/** The key a message belongs to. */
function keyOfMessage(message) {
  return [message.channel, message.class ?? "", message.interval ?? ""].join("|");
}

/** Waits before reopening a lost connection, ms: doubling, at most RECONNECT_MAX_MS. */
const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 5000;

/**
 * The page's connection. `handlers` receive what the node sends:
 *   status(text), depth(cls, DepthBook | null), trades(list, snapshot), trade(trade),
 *   candles(cls, interval, list, snapshot, references), tickers(list, snapshot),
 *   references(list, snapshot),
 *   error(text).
 */
export class Feed {
  constructor(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.wanted = new Map(); // key → subscribe params
    this.tags = new Map(); // tag → key
    this.books = new Map(); // depth key → DepthBook
    this.nextTag = 1;
    this.retryMs = RECONNECT_FIRST_MS;
    // What made a depth channel start over, and the node's error frames: the page shows
    // them, the browser test reads them.
    this.counts = { gaps: 0, resyncs: 0, checksums: 0, errors: 0, verified: 0 };
    this.socket = null;
    this.stopped = false;
    this.open();
  }

  open() {
    this.handlers.status("connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = RECONNECT_FIRST_MS;
      this.handlers.status("live");
      for (const params of this.wanted.values()) this.send(params);
    };
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = () => {
      if (this.socket !== socket || this.stopped) return;
      this.books.clear();
      this.handlers.status(`reconnecting in ${this.retryMs} ms`);
      setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
    };
  }

  /** Stops for good (the page is going away). */
  close() {
    this.stopped = true;
    this.socket?.close();
  }

  send(params) {
    if (this.socket?.readyState !== WebSocket.OPEN) return;
    const tag = this.nextTag++;
    if (params.subscribe) this.tags.set(tag, keyOf(params));
    this.socket.send(JSON.stringify({ tag, ...params }));
  }

  /** Starts a subscription (`{subscribe: "depth", class: …}` and so on). */
  subscribe(params) {
    const key = keyOf(params);
    if (this.wanted.has(key)) return;
    this.wanted.set(key, params);
    this.send(params);
  }

  /** Stops one. */
  unsubscribe(params) {
    const key = keyOf(params);
    if (!this.wanted.delete(key)) return;
    this.books.delete(key);
    const { subscribe, ...rest } = params;
    this.send({ unsubscribe: subscribe, ...rest });
  }

  /** The channel can no longer be trusted: drop its state and subscribe afresh. */
  resubscribe(key, cause, why) {
    const params = this.wanted.get(key);
    if (!params) return;
    this.counts[cause] += 1;
    this.books.delete(key);
    this.handlers.depth(params.class, null, why);
    const { subscribe, ...rest } = params;
    this.send({ unsubscribe: subscribe, ...rest });
    this.send(params);
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      this.handlers.error("the node sent a frame that is not JSON");
      return;
    }
    const key = this.tags.get(message.tag);
    // A tag is answered once (acknowledged or refused): forget it, so tags stay bounded.
    if (message.tag !== undefined) this.tags.delete(message.tag);
    if (message.error) {
      this.counts.errors += 1;
      this.handlers.error(`${key ?? "the node"}: ${message.error.error}: ${message.error.detail}`);
      return;
    }
    switch (message.channel) {
      case "depth":
        return this.depth(message);
      case "trades":
        if (message.type === "snapshot") return this.handlers.trades(message.trades, true);
        return this.handlers.trades([message.trade], false);
      case "candles":
        if (message.type === "snapshot") {
          const { candles, references = [] } = message;
          return this.handlers.candles(message.class, message.interval, candles, true, references);
        }
        return this.handlers.candles(message.class, message.interval, [message.candle], false, []);
      case "tickers":
        if (message.type === "snapshot") return this.handlers.tickers(message.tickers, true);
        return this.handlers.tickers([message.ticker], false);
      case "references":
        if (message.type === "snapshot") return this.handlers.references(message.references, true);
        return this.handlers.references([message], false);
      default:
        return undefined; // acks (`subscribed`, `unsubscribed`) need nothing
    }
  }

  depth(message) {
    const key = keyOfMessage(message);
    if (!this.wanted.has(key)) return; // a late message of a channel given up
    if (message.type === "resync") {
      this.resubscribe(key, "resyncs", `resync: ${message.reason}`);
      return;
    }
    let book = this.books.get(key);
    if (message.type === "snapshot") {
      book = new DepthBook(message);
      this.books.set(key, book);
    } else if (message.type === "update") {
      if (!book) return; // updates before the snapshot of a fresh subscription
      if (!book.apply(message)) {
        this.resubscribe(key, "gaps", `gap: prev_seq ${message.prev_seq} after seq ${book.seq}`);
        return;
      }
    } else {
      return;
    }
    if (message.checksum !== undefined) {
      if (book.checksum() !== message.checksum) {
        const why = `checksum ${message.checksum} differs at seq ${book.seq}`;
        this.resubscribe(key, "checksums", why);
        return;
      }
      this.counts.verified += 1;
    }
    this.handlers.depth(message.class, book, null);
  }
}
