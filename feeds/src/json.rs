//! The feeds as the API writes them (docs/api.md, "Market data"): prices as exact decimal
//! text, quantities as integers, times in ms.

use gridbook_matcher::money::format_nano;
use gridbook_matcher::{Hardware, Side, Symbols};
use serde_json::{json, Map, Value};

use crate::book::{ChannelId, DepthKey};
use crate::depth::LevelChange;
use crate::market::{Candle, Ticker, Trade};
use crate::{FeedMessage, Feeds, ReferencePoint};

/// A machine, as orders write it.
pub fn hw_json(hw: &Hardware, symbols: &Symbols) -> Value {
    json!({
        "cpu": hw.cpu,
        "mem": hw.mem_gib,
        "gpu": hw.gpu.map(|s| symbols.name(s)),
        "gpus": hw.gpus,
        "gpu_mem": hw.gpu_mem_gib,
        "tee": hw.tee.map(|s| symbols.name(s)),
        "region": symbols.name(hw.region),
    })
}

/// The fields naming a depth channel: `"class":…` or `"hw":{…}`.
pub fn key_fields(feeds: &Feeds, key: DepthKey, into: &mut Map<String, Value>) {
    match key {
        DepthKey::Class(class) => {
            into.insert("class".into(), feeds.taxonomy().class(class).name.clone().into());
        }
        DepthKey::Config(config) => {
            let hw = &feeds.book().configs()[config.0 as usize].hw;
            into.insert("hw".into(), hw_json(hw, feeds.symbols()));
        }
    }
}

fn levels(levels: impl Iterator<Item = (u64, u64)>, most: usize) -> Value {
    levels.take(most).map(|(price, qty)| json!([format_nano(price), qty])).collect()
}

/// A depth channel's snapshot: every level (at most `most` per side), its seq, time and
/// checksum.
///
/// A configuration channel nobody tracks is computed from the resting orders.
pub fn depth_snapshot(feeds: &Feeds, channel: ChannelId, most: usize) -> Map<String, Value> {
    let key = feeds.book().key(channel);
    let computed = match key {
        DepthKey::Config(config) if !feeds.book().is_tracked(config) => {
            Some(feeds.book().computed_depth(config))
        }
        _ => None,
    };
    let depth = computed.as_ref().unwrap_or_else(|| feeds.book().depth(channel));
    let mut out = Map::new();
    key_fields(feeds, key, &mut out);
    out.insert("seq".into(), depth.seq().into());
    out.insert("ts".into(), feeds.now_ms().into());
    out.insert("asks".into(), levels(depth.asks(), most));
    out.insert("bids".into(), levels(depth.bids(), most));
    out.insert("checksum".into(), depth.checksum().into());
    out
}

fn side_name(side: Side) -> &'static str {
    match side {
        Side::Ask => "ask",
        Side::Bid => "bid",
    }
}

fn changes(changes: &[LevelChange]) -> Value {
    changes
        .iter()
        .map(|change| json!([side_name(change.side), format_nano(change.price_nano), change.qty]))
        .collect()
}

/// A trade.
pub fn trade_json(feeds: &Feeds, trade: &Trade) -> Value {
    let class = trade.class.map(|(class, _)| feeds.taxonomy().class(class));
    json!({
        "deal": trade.deal,
        "ts": trade.ts_ms,
        "class": class.map(|class| class.name.as_str()),
        "unit": class.map(|class| class.unit.as_str()),
        "price": format_nano(trade.price_nano),
        "unit_price": trade.unit_price_nano().map(format_nano),
        "qty": trade.qty,
        "units": trade.units(),
        "start": trade.start_ms,
        "end": trade.end_ms,
        "bid": trade.bid,
        "ask": trade.ask,
    })
}

/// A candle.
pub fn candle_json(candle: &Candle) -> Value {
    json!({
        "start": candle.start_ms,
        "open": format_nano(candle.open_nano),
        "high": format_nano(candle.high_nano),
        "low": format_nano(candle.low_nano),
        "close": format_nano(candle.close_nano),
        "volume": candle.volume,
        "trades": candle.trades,
    })
}

/// A signed amount of nano-units as decimal text (`-0.4`).
pub fn format_signed_nano(nano: i128) -> String {
    let magnitude = format_nano(u64::try_from(nano.unsigned_abs()).unwrap_or(u64::MAX));
    if nano < 0 {
        format!("-{magnitude}")
    } else {
        magnitude
    }
}

/// A ticker.
pub fn ticker_json(feeds: &Feeds, ticker: &Ticker) -> Value {
    let class = feeds.taxonomy().class(ticker.class);
    json!({
        "class": class.name,
        "unit": class.unit.as_str(),
        "ts": ticker.ts_ms,
        "best_bid": ticker.best_bid_nano.map(format_nano),
        "best_ask": ticker.best_ask_nano.map(format_nano),
        "last": ticker.last_nano.map(format_nano),
        "reference": ticker.reference_nano.map(format_nano),
        "volume_24h": ticker.volume_24h,
        "change_24h": ticker.change_24h_nano.map(format_signed_nano),
        "supply": ticker.supply,
        "demand": ticker.demand,
    })
}

/// A reference point.
pub fn reference_json(point: &ReferencePoint) -> Value {
    json!({"class": point.class, "price": format_nano(point.price_nano), "ts": point.ts_ms})
}

/// A feed message as its channel sends it.
pub fn message_json(feeds: &Feeds, message: &FeedMessage) -> Value {
    let mut out = Map::new();
    match message {
        FeedMessage::Depth { channel, seq, prev_seq, ts_ms, changes: levels, checksum } => {
            out.insert("channel".into(), "depth".into());
            key_fields(feeds, feeds.book().key(*channel), &mut out);
            out.insert("type".into(), "update".into());
            out.insert("seq".into(), (*seq).into());
            out.insert("prev_seq".into(), (*prev_seq).into());
            out.insert("ts".into(), (*ts_ms).into());
            out.insert("changes".into(), changes(levels));
            out.insert("checksum".into(), (*checksum).into());
        }
        FeedMessage::Trade(trade) => {
            out.insert("channel".into(), "trades".into());
            out.insert("type".into(), "trade".into());
            out.insert("trade".into(), trade_json(feeds, trade));
        }
        FeedMessage::Candle { class, interval, candle } => {
            out.insert("channel".into(), "candles".into());
            out.insert("class".into(), feeds.taxonomy().class(*class).name.clone().into());
            out.insert("interval".into(), interval.name().into());
            out.insert("type".into(), "candle".into());
            out.insert("candle".into(), candle_json(candle));
        }
        FeedMessage::Ticker(ticker) => {
            out.insert("channel".into(), "tickers".into());
            out.insert("type".into(), "ticker".into());
            out.insert("ticker".into(), ticker_json(feeds, ticker));
        }
        FeedMessage::Reference(point) => {
            out.insert("channel".into(), "references".into());
            out.insert("type".into(), "reference".into());
            out.insert("class".into(), point.class.clone().into());
            out.insert("price".into(), format_nano(point.price_nano).into());
            out.insert("ts".into(), point.ts_ms.into());
        }
    }
    Value::Object(out)
}
