//! The node's market-data feeds: [`gridbook_feeds::Feeds`] followed by the publisher, after it
//! has answered each group's clients, and what the gateway reads of them.
//!
//! Each applied command's feed messages of the topics some subscription follows ([`Wanted`])
//! are rendered once, as [`FeedFrame`]s, kept in a bounded log (for subscriptions that resume)
//! and broadcast to every feed subscription; a subscription picks the frames of its topic. The state sits behind a lock the publisher
//! holds while it follows a group, so a snapshot read under the lock and the frames broadcast
//! after it meet exactly at the command `seq` the snapshot names.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gridbook_feeds::{json, ChannelId, ConfigId, DepthKey, FeedMessage, Feeds, Interval};
use hashbrown::HashMap;
use parking_lot::{Mutex, RwLock};
use tokio::sync::broadcast;

/// Frames kept for subscriptions that resume (across every topic).
pub const FEED_LOG_MAX: usize = 65_536;

/// Groups of frames the feed broadcast holds for its slowest subscriber; past it, that
/// subscriber is sent a resync and a fresh snapshot.
pub const FEED_BROADCAST_GROUPS: usize = 1_024;

/// What a feed frame is about, as a subscription names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A depth channel: `class:NAME` or `hw:{…}` (the machine as the feeds write it).
    Depth(Arc<str>),
    /// Trades, of one class (`None`: of a machine in no class).
    Trades(Option<Arc<str>>),
    /// Candles of a class at an interval.
    Candles(Arc<str>, Interval),
    /// Tickers.
    Tickers,
    /// References.
    References,
}

impl Topic {
    /// Whether a subscription to `self` wants a frame about `frame` (a `trades` subscription
    /// without a class is `Trades(None)` with `all`).
    pub fn wants(&self, frame: &Topic, all_trades: bool) -> bool {
        match (self, frame) {
            (Topic::Trades(_), Topic::Trades(_)) if all_trades => true,
            _ => self == frame,
        }
    }
}

/// One rendered feed message.
#[derive(Debug)]
pub struct FeedFrame {
    /// The command that caused it.
    pub cmd_seq: u64,
    /// Its topic.
    pub topic: Topic,
    /// A depth update's seq (0 for other topics), and its `prev_seq`.
    pub depth_seq: u64,
    /// The frame, one JSON object.
    pub json: Arc<str>,
}

/// The live feed broadcast.
pub type FeedLive = broadcast::Sender<Arc<Vec<Arc<FeedFrame>>>>;

/// The feeds and what the gateway reads of them.
#[derive(Debug)]
pub struct FeedState {
    /// The feeds.
    pub feeds: Feeds,
    /// The newest frames, oldest first, at most [`FEED_LOG_MAX`].
    pub log: VecDeque<Arc<FeedFrame>>,
    /// The last command followed.
    pub last_seq: u64,
    /// Why the feeds stopped, if they did (input they could not follow: a bug).
    pub failed: Option<String>,
    /// Each depth channel's name, once written.
    channel_names: Vec<Option<Arc<str>>>,
}

/// The name of a depth channel in frames and topics.
pub fn depth_name(feeds: &Feeds, key: DepthKey) -> Arc<str> {
    match key {
        DepthKey::Class(class) => format!("class:{}", feeds.taxonomy().class(class).name).into(),
        DepthKey::Config(config) => {
            let hw = &feeds.book().configs()[config.0 as usize].hw;
            format!("hw:{}", json::hw_json(hw, feeds.symbols())).into()
        }
    }
}

fn class_name(feeds: &Feeds, class: gridbook_pricing::ClassId) -> Arc<str> {
    feeds.taxonomy().class(class).name.as_str().into()
}

impl FeedState {
    /// Feeds of an empty market.
    pub fn new(feeds: Feeds) -> FeedState {
        FeedState {
            feeds,
            log: VecDeque::new(),
            last_seq: 0,
            failed: None,
            channel_names: Vec::new(),
        }
    }

    /// Follows command `seq` and appends the frames of the topics `wanted` to `out` (and to
    /// the log); the messages of other topics change the feeds' state but are not rendered.
    pub fn follow(
        &mut self,
        seq: u64,
        line: &str,
        events: &[u8],
        (wanted, now): (&Wanted, Instant),
        out: &mut Vec<Arc<FeedFrame>>,
    ) {
        if self.failed.is_some() {
            return;
        }
        let mut messages = Vec::new();
        if let Err(error) = self.feeds.apply(seq, line.as_bytes(), events, &mut messages) {
            // The feeds can no longer say anything true: they stop, loudly, and the node
            // goes on matching (the feeds are a view; the journal is the record).
            eprintln!("gridbook node: market-data feeds stopped at command {seq}: {error}");
            self.failed = Some(format!("stopped at command {seq}: {error}"));
            return;
        }
        self.last_seq = seq;
        for message in &messages {
            let (topic, depth_seq) = self.topic(message);
            if !wanted.wants(&topic, now) {
                continue;
            }
            let json = json::message_json(&self.feeds, message).to_string().into();
            let frame = Arc::new(FeedFrame { cmd_seq: seq, topic, depth_seq, json });
            if self.log.len() == FEED_LOG_MAX {
                self.log.pop_front();
            }
            self.log.push_back(frame.clone());
            out.push(frame);
        }
    }

    /// The name of depth channel `channel`, written once.
    fn channel_name(&mut self, channel: ChannelId) -> Arc<str> {
        let feeds = &self.feeds;
        let at = channel.0 as usize;
        if self.channel_names.len() <= at {
            self.channel_names.resize(at + 1, None);
        }
        let name = self.channel_names[at]
            .get_or_insert_with(|| depth_name(feeds, feeds.book().key(channel)));
        name.clone()
    }

    /// Tracks exactly the configuration channels `wanted` names (a bid is in the channel of
    /// every configuration it reaches, so the node keeps only those someone follows).
    fn track_wanted(&mut self, wanted: &Wanted, now: Instant) {
        for at in 0..self.feeds.book().configs().len() as u32 {
            let config = ConfigId(at);
            let channel = self.feeds.book().channel(DepthKey::Config(config));
            let name = self.channel_name(channel);
            let want = wanted.wants(&Topic::Depth(name), now);
            if want != self.feeds.book().is_tracked(config) {
                self.feeds.track(config, want);
            }
        }
    }

    /// What `message` is about, and its depth seq (0 for other topics).
    fn topic(&mut self, message: &FeedMessage) -> (Topic, u64) {
        let class = |class| class_name(&self.feeds, class);
        match message {
            FeedMessage::Depth { channel, seq, .. } => {
                (Topic::Depth(self.channel_name(*channel)), *seq)
            }
            FeedMessage::Trade(trade) => (Topic::Trades(trade.class.map(|(c, _)| class(c))), 0),
            FeedMessage::Candle { class: c, interval, .. } => {
                (Topic::Candles(class(*c), *interval), 0)
            }
            FeedMessage::Ticker(_) => (Topic::Tickers, 0),
            FeedMessage::Reference(_) => (Topic::References, 0),
        }
    }
}

/// How long a topic's frames are still rendered after its last subscription ended, so that a
/// client that lost its connection resumes from the log rather than from a snapshot.
pub const LINGER: Duration = Duration::from_secs(60);

/// The topics some subscription follows, or followed within [`LINGER`]: only their messages
/// are rendered (a depth update nobody follows costs its bookkeeping, not its JSON).
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// Subscriptions to each topic, and when the last one ended.
    topics: HashMap<Topic, (usize, Option<Instant>)>,
    /// Subscriptions to every trade.
    all_trades: usize,
}

impl Wanted {
    fn wants(&self, topic: &Topic, now: Instant) -> bool {
        if self.all_trades > 0 && matches!(topic, Topic::Trades(_)) {
            return true;
        }
        self.topics.get(topic).is_some_and(|&(count, ended)| {
            count > 0 || ended.is_some_and(|ended| now < ended + LINGER)
        })
    }

    /// Forgets the topics nobody has followed for [`LINGER`].
    fn forget_old(&mut self, now: Instant) {
        self.topics.retain(|_, &mut (count, ended)| {
            count > 0 || ended.is_some_and(|ended| now < ended + LINGER)
        });
    }
}

/// A subscription's place in [`Wanted`], given back when it ends.
#[derive(Debug)]
pub struct Following {
    wanted: Arc<Mutex<Wanted>>,
    topic: Topic,
    all_trades: bool,
}

impl Drop for Following {
    fn drop(&mut self) {
        let mut wanted = self.wanted.lock();
        if self.all_trades {
            wanted.all_trades -= 1;
        } else if let Some((count, ended)) = wanted.topics.get_mut(&self.topic) {
            *count -= 1;
            if *count == 0 {
                *ended = Some(Instant::now());
            }
        }
    }
}

/// The feeds as the publisher runs them: the shared state and the broadcast.
#[derive(Debug, Clone)]
pub struct NodeFeeds {
    /// The state, read by the gateway.
    pub state: Arc<RwLock<FeedState>>,
    /// The live frames.
    pub live: FeedLive,
    /// What the subscriptions follow.
    wanted: Arc<Mutex<Wanted>>,
}

impl NodeFeeds {
    /// `feeds`, at command `seq`; stopped already if `failed` says why.
    pub fn new(feeds: Feeds, seq: u64, failed: Option<String>) -> NodeFeeds {
        let (live, _) = broadcast::channel(FEED_BROADCAST_GROUPS);
        let state = FeedState { last_seq: seq, failed, ..FeedState::new(feeds) };
        NodeFeeds { state: Arc::new(RwLock::new(state)), live, wanted: Arc::default() }
    }

    /// Counts a subscription to `topic` (every trade if `all_trades`) until the returned guard
    /// drops. Taken before the subscription reads its snapshot: the publisher reads what is
    /// wanted under the state's write lock, so a group it renders without this topic ends
    /// before that snapshot is read.
    pub fn follow_topic(&self, topic: &Topic, all_trades: bool) -> Following {
        let mut wanted = self.wanted.lock();
        if all_trades {
            wanted.all_trades += 1;
        } else {
            wanted.topics.entry(topic.clone()).or_insert((0, None)).0 += 1;
        }
        drop(wanted);
        if matches!(topic, Topic::Depth(_)) {
            // A machine's channel starts holding levels now, before the snapshot is read.
            let mut state = self.state.write();
            let wanted = self.wanted.lock().clone();
            if state.failed.is_none() {
                state.track_wanted(&wanted, Instant::now());
            }
        }
        Following { wanted: self.wanted.clone(), topic: topic.clone(), all_trades }
    }

    /// Follows a group of applied commands `(seq, line, events)` and broadcasts their frames.
    pub fn follow_group<'a>(&self, group: impl Iterator<Item = (u64, &'a str, &'a [u8])>) {
        let mut frames = Vec::new();
        {
            let mut state = self.state.write();
            let now = Instant::now();
            let wanted = {
                let mut wanted = self.wanted.lock();
                wanted.forget_old(now);
                wanted.clone()
            };
            if state.failed.is_none() {
                state.track_wanted(&wanted, now);
            }
            for (seq, line, events) in group {
                state.follow(seq, line, events, (&wanted, now), &mut frames);
            }
        }
        if !frames.is_empty() {
            // No subscriber is not an error.
            let _ = self.live.send(Arc::new(frames));
        }
    }
}
