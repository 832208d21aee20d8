// TEMPORARY, for developing the page before the market-data channels land: what the node
// without them offers (`subscribe: all` deal events, GET /v1/book, GET /v1/references) handed to
// the page in the channels' shapes. Depth is only each class's best bid and ask.

import { DepthBook } from "./feed.js";

const POLL_MS = 1000;

export function startLegacy(feed) {
  const handlers = feed.handlers;
  feed.socket.send(JSON.stringify({ tag: 0, subscribe: "all" }));
  const poll = async () => {
    try {
      const [book, refs] = await Promise.all([
        fetch("/v1/book?levels=1").then((r) => r.json()),
        fetch("/v1/references").then((r) => r.json()),
      ]);
      const byClass = new Map(book.classes.map((c) => [c.class, c]));
      const tickers = refs.classes.map((r) => {
        const c = byClass.get(r.class) ?? {};
        return {
          class: r.class, unit: r.unit, ts: book.ts, best_bid: c.best_bid ?? null,
          best_ask: c.best_ask ?? null, last: null, reference: r.reference, volume_24h: 0,
          change_24h: null, supply: c.supply_units ?? 0, demand: c.demand_units ?? 0,
        };
      });
      handlers.tickers(tickers, true);
      handlers.references(refs.classes.map((r) => ({ class: r.class, price: r.reference ?? r.model, ts: refs.ts })), false);
      for (const params of feed.wanted.values()) {
        if (params.subscribe !== "depth") continue;
        const c = byClass.get(params.class) ?? {};
        const snapshot = {
          seq: 0, ts: book.ts,
          asks: c.best_ask ? [[c.best_ask, c.supply_units]] : [],
          bids: c.best_bid ? [[c.best_bid, c.demand_units]] : [],
        };
        handlers.depth(params.class, new DepthBook(snapshot), null);
      }
    } catch (error) {
      handlers.error(`legacy poll: ${error}`);
    }
  };
  poll();
  setInterval(poll, POLL_MS);
}

export function legacyEvents(feed, message) {
  const deals = (message.events ?? []).filter((e) => e.type === "deal");
  if (deals.length) {
    feed.handlers.trades(deals.map((d) => ({ ...d, class: null, units: d.qty })), false);
  }
}
