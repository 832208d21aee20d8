// The dashboard page: per pricing class the depth ladder and a cumulative depth chart, candles
// with the reference price, the trade tape, and tickers for every class. It renders what
// feed.js receives over /v1/ws; nothing here speaks the protocol. uPlot (vendored, a global
// script) draws the charts. Prices are shown as the exact text the node sends; the charts alone
// turn them into numbers, to place points.

import { Feed, compareDecimal } from "./feed.js";

/** Levels a side in the ladder. */
const LADDER_LEVELS = 15;
/** Levels a side in the depth chart (beyond them the curves say little and squash the rest). */
const DEPTH_CHART_LEVELS = 50;
/** Trades kept in the tape. */
const TAPE_ROWS = 100;
/** Reference prices kept per class, for the candle chart's line: at most one a second (a
 * newer one within a second replaces the last), so about five and a half hours. */
const REFERENCES_KEPT = 20000;
const REFERENCE_THIN_MS = 1000;
const INTERVAL_S = { "1m": 60, "5m": 300, "1h": 3600, "1d": 86400 };

const $ = (id) => document.getElementById(id);

const state = {
  cls: null, // the selected class
  interval: "1m",
  tickers: new Map(), // class → TICKER
  book: null, // the selected class's DepthBook
  trades: [], // newest first
  candles: [], // the selected class and interval, oldest first
  references: new Map(), // class → [{ts, price}], oldest first
};

// ---------- exact decimals for the spread (prices are never floats here) ----------

const NANO_DIGITS = 9;

function toNano(text) {
  const [whole, fraction = ""] = text.split(".");
  const nano = fraction.padEnd(NANO_DIGITS, "0").slice(0, NANO_DIGITS);
  return BigInt(whole) * 10n ** 9n + BigInt(nano);
}

function formatNano(nano) {
  const sign = nano < 0n ? "-" : "";
  const abs = nano < 0n ? -nano : nano;
  const whole = abs / 10n ** 9n;
  const fraction = (abs % 10n ** 9n).toString().padStart(NANO_DIGITS, "0").replace(/0+$/, "");
  return sign + whole.toString() + (fraction ? `.${fraction}` : "");
}

// ---------- rendering, at most once a frame ----------

const dirty = new Set();
let frameAsked = false;

function redraw(part) {
  dirty.add(part);
  if (frameAsked) return;
  frameAsked = true;
  requestAnimationFrame(() => {
    frameAsked = false;
    const parts = [...dirty];
    dirty.clear();
    for (const name of parts) RENDER[name]();
  });
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text ?? "—";
  if (className) td.className = className;
  return td;
}

function renderTickers() {
  const body = $("tickers").tBodies[0];
  body.replaceChildren();
  const names = [...state.tickers.keys()].sort();
  for (const name of names) {
    const t = state.tickers.get(name);
    const row = body.insertRow();
    row.dataset.class = name;
    if (name === state.cls) row.classList.add("selected");
    cell(row, name);
    cell(row, t.unit);
    cell(row, t.last, "num");
    const change = cell(row, t.change_24h, "num");
    if (t.change_24h) change.classList.add(t.change_24h.startsWith("-") ? "down" : "up");
    cell(row, t.best_bid, "num bid");
    cell(row, t.best_ask, "num ask");
    cell(row, t.reference, "num");
    cell(row, String(t.volume_24h ?? 0), "num");
    cell(row, String(t.supply ?? 0), "num");
    cell(row, String(t.demand ?? 0), "num");
    row.addEventListener("click", () => select(name));
  }
  const picker = $("class-picker");
  const known = [...picker.options].map((o) => o.value).join("\n");
  if (known !== names.join("\n")) {
    picker.replaceChildren(...names.map((name) => new Option(name, name)));
  }
  if (state.cls) picker.value = state.cls;
  $("unit").textContent = state.tickers.get(state.cls)?.unit?.replace("_", "-") ?? "";
}

function ladderRows(body, levels, side) {
  body.replaceChildren();
  let total = 0;
  const rows = levels.map(([price, qty]) => {
    total += qty;
    const row = document.createElement("tr");
    row.className = `level ${side}`;
    row.dataset.price = price;
    cell(row, price, "num price");
    cell(row, String(qty), "num");
    cell(row, String(total), "num");
    return row;
  });
  // Asks read upwards from the spread: the best ask sits next to it.
  body.append(...(side === "ask" ? rows.reverse() : rows));
}

function renderLadder() {
  const book = state.book;
  const asks = book ? book.sortedAsks().slice(0, LADDER_LEVELS) : [];
  const bids = book ? book.sortedBids().slice(0, LADDER_LEVELS) : [];
  ladderRows($("ladder-asks"), asks, "ask");
  ladderRows($("ladder-bids"), bids, "bid");
  const spread = $("ladder-spread").rows[0].cells[0];
  if (asks.length && bids.length) {
    const spreadNano = toNano(asks[0][0]) - toNano(bids[0][0]);
    // A class's book can cross: its best bid and best ask need not fit each other (the bid may
    // want more memory, another region or other hours than the ask offers).
    const crossed = spreadNano < 0n;
    spread.textContent = crossed
      ? `crossed by ${formatNano(-spreadNano)}`
      : `spread ${formatNano(spreadNano)}`;
    spread.title = crossed ? "the best bid and the best ask do not fit each other" : "";
  } else {
    spread.textContent = book ? "one side is empty" : "waiting for the book";
  }
  $("depth-note").textContent = book ? `seq ${book.seq}` : "";
}

/**
 * The depth chart's series: at each price of the chart's levels, the units bid at that price or
 * above (from the best bid down) and the units asked at that price or below (from the best ask
 * up). A class's book may be crossed — its bids want other machines than its asks offer — so
 * both curves can cover the same prices.
 */
function depthData() {
  const book = state.book;
  if (!book) return [[], [], []];
  const bids = book.sortedBids().slice(0, DEPTH_CHART_LEVELS);
  const asks = book.sortedAsks().slice(0, DEPTH_CHART_LEVELS);
  const prices = [...new Set([...bids, ...asks].map(([price]) => price))].sort(compareDecimal);
  const bidUnits = new Map(bids);
  const askUnits = new Map(asks);
  const bidCurve = new Array(prices.length).fill(null);
  const askCurve = new Array(prices.length).fill(null);
  let sum = 0;
  for (let i = prices.length - 1; i >= 0 && bids.length; i--) {
    if (compareDecimal(prices[i], bids[0][0]) > 0) continue;
    sum += bidUnits.get(prices[i]) ?? 0;
    bidCurve[i] = sum;
  }
  sum = 0;
  for (let i = 0; i < prices.length && asks.length; i++) {
    if (compareDecimal(prices[i], asks[0][0]) < 0) continue;
    sum += askUnits.get(prices[i]) ?? 0;
    askCurve[i] = sum;
  }
  return [prices.map(Number), bidCurve, askCurve];
}

function renderDepthChart() {
  charts.depth?.setData(depthData());
}

/**
 * The candle chart's series on one time axis: each candle at its slot's middle, and each kept
 * reference point at its own time (from the first candle on), so the line shows how the
 * reference moved inside the candles, and alone when the class has not traded yet.
 */
function candleData() {
  const intervalMs = INTERVAL_S[state.interval] * 1000;
  const first = state.candles.length ? state.candles[0].start : -Infinity;
  const points = new Map(); // x, seconds → [open, high, low, close, reference]
  for (const c of state.candles) {
    const values = [c.open, c.high, c.low, c.close].map(Number);
    points.set((c.start + intervalMs / 2) / 1000, [...values, null]);
  }
  for (const { ts, price } of state.references.get(state.cls) ?? []) {
    if (ts < first) continue;
    const at = points.get(ts / 1000) ?? [null, null, null, null, null];
    at[4] = Number(price);
    points.set(ts / 1000, at);
  }
  const xs = [...points.keys()].sort((x, y) => x - y);
  return [xs, ...[0, 1, 2, 3, 4].map((series) => xs.map((x) => points.get(x)[series]))];
}

function renderCandles() {
  charts.candles?.setData(candleData());
}

function formatTime(ms) {
  return new Date(ms).toISOString().slice(11, 19);
}

function tradeRow(trade) {
  const row = document.createElement("tr");
  row.className = "trade";
  row.dataset.deal = String(trade.deal);
  row.dataset.class = trade.class ?? "";
  row.dataset.bid = trade.bid;
  row.dataset.ask = trade.ask;
  if (trade.class === state.cls) row.classList.add("selected");
  cell(row, formatTime(trade.ts));
  cell(row, trade.class ?? "(no class)");
  const price = trade.unit_price ?? trade.price;
  cell(row, price, "num");
  cell(row, String(trade.units ?? trade.qty), "num");
  cell(row, trade.bid, "id");
  cell(row, trade.ask, "id");
  return row;
}

function renderTape() {
  const onlyThis = $("tape-this-class").checked;
  const shown = state.trades.filter((t) => !onlyThis || t.class === state.cls);
  $("tape").tBodies[0].replaceChildren(...shown.map(tradeRow));
}

const RENDER = {
  tickers: renderTickers,
  ladder: renderLadder,
  depthChart: renderDepthChart,
  candles: renderCandles,
  tape: renderTape,
};

// ---------- charts ----------

const charts = { depth: null, candles: null };

function drawCandles(u) {
  const [times, open, high, low, close] = u.data;
  if (!times.length) return;
  const ctx = u.ctx;
  const { left, top, width, height } = u.bbox;
  const step = INTERVAL_S[state.interval];
  const slotPx = Math.abs(u.valToPos(times[0] + step, "x", true) - u.valToPos(times[0], "x", true));
  const bodyPx = Math.max(1, Math.min(slotPx * 0.7, 16 * devicePixelRatio));
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  for (let i = 0; i < times.length; i++) {
    if (open[i] == null) continue; // a reference point only
    const x = Math.round(u.valToPos(times[i], "x", true));
    const [yo, yh, yl, yc] = [open[i], high[i], low[i], close[i]].map((v) =>
      Math.round(u.valToPos(v, "y", true)),
    );
    const up = close[i] >= open[i];
    ctx.strokeStyle = ctx.fillStyle = up ? "#2e9e5b" : "#d0453a";
    ctx.lineWidth = Math.max(1, devicePixelRatio);
    ctx.beginPath();
    ctx.moveTo(x, yh);
    ctx.lineTo(x, yl);
    ctx.stroke();
    ctx.fillRect(x - bodyPx / 2, Math.min(yo, yc), bodyPx, Math.max(1, Math.abs(yc - yo)));
  }
  ctx.restore();
}

function chartWidth(element) {
  return Math.max(200, element.clientWidth);
}

function makeCharts() {
  const depthElement = $("depth-chart");
  charts.depth = new uPlot(
    {
      width: chartWidth(depthElement),
      height: 200,
      scales: { x: { time: false } },
      axes: [{ label: "price per unit" }, { label: "units" }],
      series: [
        { label: "price" },
        {
          label: "bids",
          stroke: "#2e9e5b",
          fill: "rgba(46,158,91,0.25)",
          paths: uPlot.paths.stepped({ align: -1 }),
          points: { show: false },
        },
        {
          label: "asks",
          stroke: "#d0453a",
          fill: "rgba(208,69,58,0.25)",
          paths: uPlot.paths.stepped({ align: 1 }),
          points: { show: false },
        },
      ],
    },
    depthData(),
    depthElement,
  );
  const candleElement = $("candle-chart");
  const hidden = { paths: () => null, points: { show: false } };
  charts.candles = new uPlot(
    {
      width: chartWidth(candleElement),
      height: 240,
      scales: {
        // The candles and one slot either side, from the data itself: uPlot widens a single
        // point's range by 86,400 of its time units, which are seconds here, so years.
        x: {
          time: true,
          range: (u, min, max) => {
            const xs = u.data[0];
            if (!xs.length) return [min, max];
            const step = INTERVAL_S[state.interval];
            return [xs[0] - step, xs[xs.length - 1] + step];
          },
        },
      },
      axes: [{}, { label: "price per unit" }],
      series: [
        { label: "time" },
        { label: "open", ...hidden },
        { label: "high", ...hidden },
        { label: "low", ...hidden },
        { label: "close", ...hidden },
        { label: "reference", stroke: "#3a6fd0", width: 2, spanGaps: true },
      ],
      hooks: { draw: [drawCandles] },
    },
    candleData(),
    candleElement,
  );
  new ResizeObserver(() => {
    charts.depth.setSize({ width: chartWidth(depthElement), height: 200 });
    charts.candles.setSize({ width: chartWidth(candleElement), height: 240 });
  }).observe($("charts-panel"));
}

// ---------- the feed ----------

const problems = [];

function problem(text) {
  problems.unshift(`${formatTime(Date.now())} ${text}`);
  problems.length = Math.min(problems.length, 5);
  $("problems").textContent = problems.join(" · ");
}

/** Appends a reference point of `cls` (older ones than the last are dropped). */
function addReference(cls, price, ts) {
  if (price == null) return;
  const series = state.references.get(cls) ?? [];
  const last = series[series.length - 1];
  if (last && ts < last.ts) return;
  // The last point is always the newest; the one before it at least REFERENCE_THIN_MS older.
  const before = series[series.length - 2];
  if (before && ts - before.ts < REFERENCE_THIN_MS) series.pop();
  series.push({ ts, price });
  if (series.length > REFERENCES_KEPT) series.splice(0, series.length - REFERENCES_KEPT);
  state.references.set(cls, series);
}

function mergeCandles(list) {
  for (const candle of list) {
    const last = state.candles[state.candles.length - 1];
    if (last && last.start === candle.start) state.candles[state.candles.length - 1] = candle;
    else if (!last || last.start < candle.start) state.candles.push(candle);
  }
}

const feed = new Feed(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/ws`, {
  status(text) {
    $("status").textContent = text;
    $("status").dataset.status = text.split(" ")[0];
  },
  depth(cls, book, why) {
    if (cls !== state.cls) return;
    state.book = book;
    if (why) problem(`depth of ${cls}: ${why}; subscribed again`);
    redraw("ladder");
    redraw("depthChart");
  },
  trades(list, snapshot) {
    if (snapshot) {
      state.trades = [...list].sort((a, b) => b.deal - a.deal).slice(0, TAPE_ROWS);
      redraw("tape");
      return;
    }
    // A new trade goes on top of the tape at once, not at the next animation frame: a busy
    // browser can hold frames back for a tenth of a second, and the tape is the page's news.
    const body = $("tape").tBodies[0];
    const onlyThis = $("tape-this-class").checked;
    for (const trade of list) {
      if (state.trades.length && trade.deal <= state.trades[0].deal) continue;
      state.trades.unshift(trade);
      if (!onlyThis || trade.class === state.cls) body.prepend(tradeRow(trade));
    }
    state.trades.length = Math.min(state.trades.length, TAPE_ROWS);
    while (body.rows.length > TAPE_ROWS) body.deleteRow(-1);
  },
  candles(cls, interval, list, snapshot, references) {
    if (cls !== state.cls || interval !== state.interval) return;
    if (snapshot) {
      state.candles = [];
      // The reference series since the first candle: the line starts with the candles.
      const known = state.references.get(cls) ?? [];
      state.references.set(cls, []);
      for (const point of references) addReference(cls, point.price, point.ts);
      for (const point of known) addReference(cls, point.price, point.ts);
    }
    mergeCandles(list);
    redraw("candles");
  },
  tickers(list, snapshot) {
    if (snapshot) state.tickers.clear();
    for (const ticker of list) state.tickers.set(ticker.class, ticker);
    if (!state.cls && state.tickers.size) select(defaultClass());
    redraw("tickers");
  },
  references(list) {
    for (const { class: cls, price, ts } of list) addReference(cls, price, ts);
    redraw("candles");
  },
  error: problem,
});

/** The class named in the URL (`#class=NAME`), else the first with both sides, else any. */
function defaultClass() {
  const named = new URLSearchParams(location.hash.slice(1)).get("class");
  if (named) return named;
  const tickers = [...state.tickers.values()].sort((a, b) => a.class.localeCompare(b.class));
  const twoSided = tickers.find((t) => t.best_bid && t.best_ask);
  return (twoSided ?? tickers[0]).class;
}

function select(cls) {
  if (cls === state.cls) return;
  if (state.cls) {
    feed.unsubscribe({ subscribe: "depth", class: state.cls });
    feed.unsubscribe({ subscribe: "candles", class: state.cls, interval: state.interval });
  }
  state.cls = cls;
  state.book = null;
  state.candles = [];
  history.replaceState(null, "", `#class=${encodeURIComponent(cls)}`);
  feed.subscribe({ subscribe: "depth", class: cls });
  feed.subscribe({ subscribe: "candles", class: cls, interval: state.interval });
  for (const part of Object.keys(RENDER)) redraw(part);
}

function selectInterval(interval) {
  if (interval === state.interval) return;
  if (state.cls) {
    feed.unsubscribe({ subscribe: "candles", class: state.cls, interval: state.interval });
  }
  state.interval = interval;
  state.candles = [];
  if (state.cls) feed.subscribe({ subscribe: "candles", class: state.cls, interval });
  redraw("candles");
}

makeCharts();
$("class-picker").addEventListener("change", (event) => select(event.target.value));
$("interval-picker").addEventListener("change", (event) => selectInterval(event.target.value));
$("tape-this-class").addEventListener("change", () => redraw("tape"));
addEventListener("hashchange", () => {
  const named = new URLSearchParams(location.hash.slice(1)).get("class");
  if (named) select(named);
});
feed.subscribe({ subscribe: "tickers" });
feed.subscribe({ subscribe: "references" });
feed.subscribe({ subscribe: "trades" });
addEventListener("pagehide", () => feed.close());

// For tests and the curious: the page's state and its feed, read-only by convention.
window.gridbook = { state, feed, charts };
