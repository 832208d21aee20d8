// The dashboard in a real headless Chromium, driven by playwright-core (installed by
// scripts/install-tools into .tools/playwright). Started by tests/dashboard_browser.rs, which
// runs the node and passes everything by environment variable:
//   GRIDBOOK_URL         the node (http://127.0.0.1:PORT)
//   GRIDBOOK_CLASS       the class to open the page on
//   GRIDBOOK_DEAL        a signed command (JSON) that makes a deal in that class
//   GRIDBOOK_DEAL_BID    the id of that command's bid, as the trade tape shows it
//   GRIDBOOK_CHROMIUM    the browser's executable (/usr/bin/chromium)
//   GRIDBOOK_PLAYWRIGHT  the playwright-core package's folder
//   GRIDBOOK_PROFILE     a fresh, empty folder for the browser's profile
//   GRIDBOOK_SCREENSHOT  where to save the PNG
// It checks that the page loads without console errors, shows the market's depth levels, shows
// the deal in its trade tape (painted) within DEAL_SHOWN_MS_MAX of sending it through
// POST /v1/commands, subscribes afresh after a forced gap in a depth channel, never saw a
// checksum differ or an error frame, and follows another class picked from its class picker.
// Every wait is bounded, and the browser is closed on every path. Its last line of output is a
// JSON summary the Rust test reads.

import { createRequire } from "node:module";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

/** How soon a deal must be in the tape after its POST is sent, ms. */
const DEAL_SHOWN_MS_MAX = 1000;
/** Depth frames whose checksum the page must have checked against its own book. */
const CHECKSUMS_VERIFIED_MIN = 100;
/** The demo's book can take a while on a debug build: its crowd warms up first. */
const BOOK_WAIT_MS = 120_000;
/** The whole script, at most (the Rust test kills it a little later). */
const SCRIPT_MS = 200_000;

const require = createRequire(import.meta.url);
const { chromium } = require(env("GRIDBOOK_PLAYWRIGHT"));

const url = env("GRIDBOOK_URL");
const cls = env("GRIDBOOK_CLASS");
const watchdog = setTimeout(() => {
  console.error(`the browser test did not finish within ${SCRIPT_MS} ms`);
  process.exit(2);
}, SCRIPT_MS);

// A persistent context is playwright's way to give Chromium a `--user-data-dir` of our own.
const browser = await chromium.launchPersistentContext(env("GRIDBOOK_PROFILE"), {
  executablePath: env("GRIDBOOK_CHROMIUM"),
  headless: true,
  timeout: 60_000,
  viewport: { width: 1400, height: 1000 },
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

const problems = [];
let summary;
try {
  const page = await browser.newPage();
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("requestfailed", (request) => {
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`);
  });

  const loadStart = Date.now();
  await page.goto(`${url}/#class=${encodeURIComponent(cls)}`, {
    waitUntil: "load",
    timeout: 30_000,
  });
  const loaded_ms = Date.now() - loadStart;
  await page.waitForSelector("#status[data-status=live]", { timeout: 30_000 });
  await page.waitForFunction(
    () =>
      document.querySelectorAll("#ladder-asks tr.level").length > 0 &&
      document.querySelectorAll("#ladder-bids tr.level").length > 0 &&
      document.querySelectorAll("#tickers tbody tr").length > 0,
    null,
    { timeout: BOOK_WAIT_MS, polling: 100 },
  );
  const book_shown_ms = Date.now() - loadStart;
  const levels = await page.evaluate(() => ({
    asks: document.querySelectorAll("#ladder-asks tr.level").length,
    bids: document.querySelectorAll("#ladder-bids tr.level").length,
    tickers: document.querySelectorAll("#tickers tbody tr").length,
  }));

  const bidId = env("GRIDBOOK_DEAL_BID");
  // Timed inside the page (the browser and this script share the machine's clock): when the
  // deal's trade frame arrives, when its row is in the tape, and the next animation frame, by
  // which the row is painted. Playwright's own notice that the row exists comes later still
  // (its polling and the DevTools round trip, 100-200 ms on a busy machine), which is not the
  // page's delay, so the test holds the page to the painted time.
  await page.evaluate((id) => {
    const handlers = window.gridbook.feed.handlers;
    const trades = handlers.trades;
    handlers.trades = (list, snapshot) => {
      if (list.some((t) => t.bid === id)) window.gridbook.dealArrived ??= Date.now();
      trades(list, snapshot);
      const row = document.querySelector(`#tape tr.trade[data-bid="${id}"]`);
      if (row && !window.gridbook.dealInTape) {
        window.gridbook.dealInTape = Date.now();
        // The frame after the row went in: the browser has painted it by then.
        requestAnimationFrame(() => (window.gridbook.dealPainted = Date.now()));
      }
    };
  }, bidId);
  const sent = Date.now();
  const posted = fetch(`${url}/v1/commands`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: env("GRIDBOOK_DEAL"),
    signal: AbortSignal.timeout(10_000),
  }).then(async (response) => ({
    status: response.status,
    body: await response.text(),
    answered_ms: Date.now() - sent,
  }));
  const shown = page.waitForSelector(`#tape tr.trade[data-bid="${bidId}"]`, { timeout: 5_000 });
  const answer = await posted;
  if (answer.status !== 200 || !answer.body.includes('"deal"')) {
    throw new Error(`the deal was not made: ${answer.status} ${answer.body}`);
  }
  await shown;
  await page.waitForFunction(() => window.gridbook.dealPainted, null, { timeout: 5_000 });
  const deal_arrived_ms = (await page.evaluate(() => window.gridbook.dealArrived)) - sent;
  const deal_in_tape_ms = (await page.evaluate(() => window.gridbook.dealInTape)) - sent;
  const deal_shown_ms = (await page.evaluate(() => window.gridbook.dealPainted)) - sent;

  // A gap forced in the page's copy of the book (its last seq set back by one): the next
  // update's prev_seq does not follow, so the page must subscribe afresh and show the book
  // from the new snapshot.
  const gapStart = Date.now();
  await page.evaluate(() => {
    const [key, book] = [...window.gridbook.feed.books].find(([k]) => k.startsWith("depth|"));
    window.gridbook.gapKey = key;
    book.seq -= 1;
  });
  await page.waitForFunction(
    () => {
      const { feed, gapKey } = window.gridbook;
      return (
        feed.counts.gaps >= 1 &&
        feed.books.has(gapKey) &&
        document.querySelectorAll("#ladder-asks tr.level").length > 0
      );
    },
    null,
    { timeout: 10_000, polling: 50 },
  );
  const gap_recovered_ms = Date.now() - gapStart;
  // The page follows the live market for a while: every update's checksum must match its book.
  const followStart = Date.now();
  await page.waitForFunction(
    (n) => window.gridbook.feed.counts.verified >= n,
    CHECKSUMS_VERIFIED_MIN,
    { timeout: 30_000, polling: 100 },
  );
  const followed_ms = Date.now() - followStart;

  const screenshot = env("GRIDBOOK_SCREENSHOT");
  await page.screenshot({ path: screenshot, fullPage: true, timeout: 30_000 });

  // Another class from the picker: the page leaves the first class's depth channel and shows
  // the other's book.
  const other = await page.evaluate(
    (first) =>
      [...window.gridbook.state.tickers.values()].find(
        (t) => t.class !== first && t.best_bid && t.best_ask,
      )?.class,
    cls,
  );
  if (!other) throw new Error("the demo has no second class with both sides");
  await page.selectOption("#class-picker", other, { timeout: 5_000 });
  await page.waitForFunction(
    ([first, next]) => {
      const books = window.gridbook.feed.books;
      return (
        books.has(`depth|${next}|`) &&
        !books.has(`depth|${first}|`) &&
        document.querySelectorAll("#ladder-asks tr.level").length > 0 &&
        location.hash === `#class=${encodeURIComponent(next)}`
      );
    },
    [cls, other],
    { timeout: 10_000, polling: 50 },
  );
  const counts = await page.evaluate(() => window.gridbook.feed.counts);
  if (counts.checksums || counts.errors) {
    problems.push(`checksums that did not match or error frames: ${JSON.stringify(counts)}`);
  }
  summary = {
    loaded_ms,
    book_shown_ms,
    deal_shown_ms,
    deal_answered_ms: answer.answered_ms,
    deal_arrived_ms,
    deal_in_tape_ms,
    gap_recovered_ms,
    followed_ms,
    other,
    counts,
    levels,
    screenshot,
  };
  if (deal_shown_ms > DEAL_SHOWN_MS_MAX) {
    problems.push(`the deal took ${deal_shown_ms} ms to show, more than ${DEAL_SHOWN_MS_MAX} ms`);
  }
} catch (error) {
  problems.push(`${error.stack ?? error}`);
} finally {
  await browser.close().catch(() => {});
  clearTimeout(watchdog);
}

for (const problem of problems) console.error(problem);
console.log(JSON.stringify({ ...summary, problems }));
process.exit(problems.length ? 1 : 0);
