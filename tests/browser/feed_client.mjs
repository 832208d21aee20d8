// The dashboard's protocol client (node/static/feed.js) under Node.js, against a fake
// WebSocket: exact decimal ordering, the checksum of docs/api.md's example (its CRC32 computed
// independently, with Python's zlib), and a depth channel subscribed afresh after a gap, a
// resync or a checksum that differs — never a book patched past them. Started by
// tests/dashboard_browser.rs; exits non-zero with the failed check on stderr.

import assert from "node:assert/strict";

/** A WebSocket that records what the client sends and lets the test deliver frames. */
class FakeSocket {
  static OPEN = 1;
  static opened = [];
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.readyState = 0;
    FakeSocket.opened.push(this);
  }
  send(text) {
    this.sent.push(JSON.parse(text));
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = FakeSocket.OPEN;
    this.onopen();
  }
  deliver(message) {
    this.onmessage({ data: JSON.stringify(message) });
  }
}
globalThis.WebSocket = FakeSocket;

const { Feed, DepthBook, compareDecimal, crc32 } = await import("../../node/static/feed.js");

// Prices are compared as exact decimals, not as floats or as plain strings.
assert.ok(compareDecimal("1.9", "1.95") < 0);
assert.ok(compareDecimal("10", "9.99") > 0);
assert.equal(compareDecimal("1.50", "1.5"), 0);
assert.ok(compareDecimal("0.000000001", "0") > 0);
assert.ok(compareDecimal("123456789.123456789", "123456789.12345679") < 0);

// The checksum is CRC32 (IEEE) of `price:qty;` for the best asks, then the best bids.
assert.equal(crc32("1.9:2;1.95:1;1.5:1;"), 669072028);
const example = { seq: 41, ts: 0, asks: [["1.95", 1], ["1.9", 2]], bids: [["1.5", 1]] };
assert.equal(new DepthBook(example).checksum(), 669072028);

const seen = [];
const feed = new Feed("ws://node/v1/ws", {
  status() {},
  depth(cls, book, why) {
    seen.push({ cls, seq: book?.seq ?? null, why });
  },
  trades() {},
  candles() {},
  tickers() {},
  references() {},
  error(text) {
    seen.push({ error: text });
  },
});
const socket = FakeSocket.opened[0];
const depth = { subscribe: "depth", class: "gpu.a100-80gb" };
feed.subscribe(depth);
assert.equal(socket.sent.length, 0, "nothing is sent before the socket opens");
socket.open();
assert.deepEqual(socket.sent.map(({ tag, ...frame }) => frame), [depth]);

const channel = { channel: "depth", class: "gpu.a100-80gb" };
const snapshot = { ...channel, type: "snapshot", ...example, checksum: 669072028 };
socket.deliver(snapshot);
socket.deliver({
  ...channel,
  type: "update",
  seq: 42,
  prev_seq: 41,
  ts: 1,
  changes: [["bid", "1.6", 3]],
  checksum: 3802980052,
});
const book = feed.books.get("depth|gpu.a100-80gb|");
assert.equal(book.seq, 42);
assert.deepEqual(book.sortedBids(), [["1.6", 3], ["1.5", 1]]);

// Each way a book stops being trustworthy: the channel is subscribed afresh and the book
// dropped until the next snapshot; the counts say why.
const resubscribed = (why) => {
  const last = socket.sent.slice(-2).map(({ tag, ...frame }) => frame);
  assert.deepEqual(last, [{ unsubscribe: "depth", class: "gpu.a100-80gb" }, depth], why);
  assert.equal(feed.books.has("depth|gpu.a100-80gb|"), false, why);
  socket.deliver({ ...snapshot, seq: 50 });
  assert.equal(feed.books.get("depth|gpu.a100-80gb|").seq, 50, why);
};
const update = { ...channel, type: "update", ts: 2, changes: [["ask", "1.9", 0]] };
socket.deliver({ ...update, seq: 44, prev_seq: 43, checksum: 3736678951 });
assert.equal(feed.counts.gaps, 1);
resubscribed("a gap");
socket.deliver({ ...channel, type: "resync", reason: "fell behind" });
assert.equal(feed.counts.resyncs, 1);
resubscribed("a resync");
socket.deliver({ ...update, seq: 51, prev_seq: 50, checksum: 12345 });
assert.equal(feed.counts.checksums, 1);
resubscribed("a checksum that differs");
// An update that follows, with the right checksum, is applied.
socket.deliver({ ...update, seq: 51, prev_seq: 50, checksum: crc32("1.95:1;1.5:1;") });
assert.deepEqual(feed.books.get("depth|gpu.a100-80gb|").sortedAsks(), [["1.95", 1]]);
assert.equal(feed.counts.errors, 0);

// An error frame is counted and shown, never thrown.
socket.deliver({ tag: 99, error: { error: "feeds_stopped", detail: "stopped", field: null } });
assert.equal(feed.counts.errors, 1);
assert.ok(seen.some((s) => s.error?.includes("feeds_stopped")));
feed.close();
console.log(JSON.stringify({ ok: true, counts: feed.counts }));
