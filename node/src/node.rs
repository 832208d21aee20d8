//! Starting and stopping a node: recover the market from the journal, start the pipeline's
//! threads, serve the API until SIGTERM (or SIGINT), then drain and stop.
//!
//! Stopping is ordered so that nothing acknowledged is lost and nothing is answered twice: the
//! server stops accepting and finishes the requests it has (their commands are sequenced,
//! journaled and applied), the sequencer sees its queue close once it is empty, and each later
//! stage stops when the one before it has.

use std::net::SocketAddr;
use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use parking_lot::RwLock;

use crate::auth::Domain;
use crate::config::NodeConfig;
use crate::gateway::listener::{LimitedListener, Peer, Timeouts};
use crate::gateway::open_orders::OrdersInFlight;
use crate::gateway::sessions::Sessions;
use crate::gateway::stop::{Stop, StopCause};
use crate::gateway::{limits::Buckets, router, AppState};
use crate::journal::sequencer::{self, NodeClock, SequencerConfig, SequencerStats};
use crate::journal::{Journal, JournalConfig, JournalError, Recovered};
use crate::market_file::MarketFile;
use crate::metrics::NodeMetrics;
use crate::pipeline::feeds::NodeFeeds;
use crate::pipeline::market::{Market, MarketError, Snapshots};
use crate::pipeline::matching::{self, MatchingStats};
use crate::pipeline::publisher::{Handoff, Published, Publisher, PublisherBounds};
use crate::snapshot::start::{final_snapshot, restore_newest};
use crate::snapshot::{self, SnapshotStats};
use gridbook_feeds::{Feeds, FeedsConfig};

/// The node cannot start or stopped on an error.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The configuration is not valid.
    #[error("configuration: {0}")]
    Config(String),
    /// The market cannot be built.
    #[error(transparent)]
    Market(#[from] MarketError),
    /// The journal cannot be opened, read or written.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The listening socket or the runtime failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The error.
        source: std::io::Error,
    },
    /// A pipeline thread panicked (a bug: the journal holds everything acknowledged).
    #[error("the {0} thread panicked")]
    Panicked(&'static str),
}

/// What a start-up found in the data directory.
#[derive(Debug, Clone, Copy)]
pub struct Started {
    /// The address the API listens on.
    pub addr: SocketAddr,
    /// What the journal held.
    pub recovered: Recovered,
}

fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis().min(u128::from(u64::MAX)) as u64)
}

/// The `ts` a journal line starts with (`{"ts":N,…`).
fn line_ts(line: &str) -> Result<u64, String> {
    line.strip_prefix("{\"ts\":")
        .and_then(|rest| rest.split_once(','))
        .and_then(|(ts, _)| ts.parse().ok())
        .ok_or_else(|| "a journal line starts with {\"ts\":N,".to_owned())
}

/// Test hook: `GRIDBOOK_TEST_JOURNAL_SPACE_BYTES=N` makes the journal fail as on a full disk
/// once N more bytes are written (tests/node_disk_full.rs). Not a setting: nothing else reads it.
fn test_space_left_bytes() -> Option<u64> {
    std::env::var("GRIDBOOK_TEST_JOURNAL_SPACE_BYTES").ok()?.parse().ok()
}

/// Runs a node until SIGTERM or SIGINT; `ready` is called once it listens (with what it
/// recovered). Returns after a clean stop.
pub fn serve(config: NodeConfig, ready: impl FnOnce(Started) + Send) -> Result<(), NodeError> {
    config.check().map_err(NodeError::Config)?;
    let config = Arc::new(config);
    let market_file = MarketFile::of(&config.market)?;
    market_file.check_or_write(&config.data).map_err(NodeError::Config)?;
    let market_id = snapshot::MarketId::of(&market_file);
    let store = snapshot::Store::new(&config.data, config.snapshot.keep);
    let published = Arc::new(RwLock::new(Published::default()));
    let (live, _) = tokio::sync::broadcast::channel(1024);
    let bounds = PublisherBounds {
        events_kept: config.limits.events_kept,
        orders_kept: config.limits.orders_kept,
        outcomes_kept: config.limits.outcomes_kept,
    };
    let mut publisher = Publisher::new(published.clone(), bounds, live.clone());
    let restored = restore_newest(&store, &market_id.fingerprint, &config.market, &mut publisher)?;
    let mut market = match restored {
        Some(market) => market,
        None => Market::new(&config.market)?,
    };
    let snapshot_seq = market.last_seq();
    // A machine's depth channel holds levels while someone follows it (pipeline/feeds.rs).
    let feeds_config = FeedsConfig {
        priced: market.priced().model().is_some(),
        all_configurations: false,
        ..FeedsConfig::default()
    };
    let taxonomy = market.priced().taxonomy().clone();
    let node_feeds = if config.feeds {
        publisher.start_feeds(taxonomy, feeds_config, snapshot_seq)
    } else {
        let off = "are off in this node's configuration (feeds = false)".to_owned();
        NodeFeeds::new(Feeds::new(taxonomy, feeds_config), snapshot_seq, Some(off))
    };
    let journal_config = JournalConfig {
        dir: config.data.clone(),
        segment_bytes_max: config.journal.segment_bytes_max,
    };
    let mut last_ts = 0;
    let sessions = Sessions::new(config.limits.sessions_max, config.limits.session_lifetime_max_ms);
    let started_ms = wall_ms();
    // Every record is read (sessions spent before the snapshot stay spent); only those after
    // it are applied.
    let (journal, recovered) = Journal::open(journal_config, 0, |seq, line| {
        let ts = line_ts(line)?;
        sessions.recover_line(line, started_ms);
        last_ts = ts;
        if seq <= snapshot_seq {
            return Ok(());
        }
        let mut events = Vec::new();
        market.apply(seq, line, &mut events);
        publisher.recover(seq, ts, line, events);
        Ok(())
    })?;
    if recovered.last_seq < snapshot_seq {
        return Err(NodeError::Config(format!(
            "the newest snapshot is at seq {snapshot_seq}, past the journal's end at seq {}: the journal lost acknowledged commands; move the snapshots away to start from the journal alone",
            recovered.last_seq
        )));
    }
    let snapshot_stats = Arc::new(SnapshotStats::default());
    snapshot_stats.start_seq.store(snapshot_seq, std::sync::atomic::Ordering::Relaxed);
    let mut state = Vec::new();
    market.write_state(&mut state);
    snapshot_stats.set_state_hash(market.last_seq(), snapshot::state_hash(&state));
    drop(state);
    let (copies_tx, copies_rx) = crossbeam_channel::bounded(1);
    let (jobs_tx, jobs_rx) = crossbeam_channel::bounded(1);
    let (spares_tx, spares_rx) = crossbeam_channel::bounded(1);
    market.arm_snapshots(Snapshots {
        schedule: snapshot::Schedule::new(&config.snapshot, last_ts),
        copies: copies_tx,
        spares: spares_rx,
        stats: snapshot_stats.clone(),
    });
    publisher.set_snapshots(Handoff::new(copies_rx, jobs_tx, snapshot_stats.clone()));

    let mut journal = journal;
    if let Some(bytes) = test_space_left_bytes() {
        journal.pretend_space_left(bytes);
    }
    let limits = &config.limits;
    let (inbound_tx, inbound_rx) = crossbeam_channel::bounded(limits.inbound_queue_max + 1);
    let (groups_tx, groups_rx) = crossbeam_channel::bounded(64);
    let (queries_tx, queries_rx) = crossbeam_channel::bounded(1024);
    let (applied_tx, applied_rx) = crossbeam_channel::bounded(64);
    let sequencer_stats = Arc::new(SequencerStats::default());
    let matching_stats = Arc::new(MatchingStats::default());
    let sequencer_config = SequencerConfig {
        group_max: config.journal.group_max,
        tick_interval_ms: config.journal.tick_interval_ms,
    };
    let stop = Arc::new(Stop::default());
    let threads = Threads {
        sequencer: spawn("gridbook-sequencer", {
            let stats = sequencer_stats.clone();
            let stop = stop.clone();
            move || {
                let clock = NodeClock::starting_at(last_ts);
                let ran = sequencer::run(
                    journal,
                    clock,
                    wall_ms,
                    sequencer_config,
                    inbound_rx,
                    groups_tx,
                    stats,
                );
                // Nothing can be acknowledged any more: stop accepting at once, rather than
                // answering until someone sends SIGTERM.
                if let Err(error) = &ran {
                    stop.stop(StopCause::Failed(error.to_string()));
                }
                ran.map(drop).map_err(NodeError::from)
            }
        })?,
        matching: spawn("gridbook-matching", {
            let stats = matching_stats.clone();
            move || Ok(matching::run(market, groups_rx, queries_rx, applied_tx, stats))
        })?,
        publisher: spawn("gridbook-publisher", move || {
            for group in applied_rx {
                publisher.publish(group);
            }
            Ok(publisher)
        })?,
        snapshots: spawn("gridbook-snapshots", {
            let (store, stats, market_id) =
                (store.clone(), snapshot_stats.clone(), market_id.clone());
            move || {
                snapshot::writer::run(store, market_id, jobs_rx, spares_tx, &stats);
                Ok(())
            }
        })?,
    };

    let state = Arc::new(AppState {
        domain: Domain::new(config.chain.chain_id, config.chain.verifying_contract),
        inbound: inbound_tx,
        queries: queries_tx,
        in_flight: Arc::new(AtomicUsize::new(0)),
        published,
        live,
        feeds: node_feeds,
        ip_limits: Buckets::new(limits.ip_requests_per_s, limits.ip_burst, 65_536),
        owner_limits: Buckets::new(limits.owner_commands_per_s, limits.owner_burst, 65_536),
        orders_in_flight: Arc::new(OrdersInFlight::default()),
        sessions,
        metrics: Arc::new(NodeMetrics::new(
            sequencer_stats,
            matching_stats,
            snapshot_stats.clone(),
        )),
        config: config.clone(),
        stop,
    });
    let served = run_server(state, &config, recovered, ready);
    // The server is gone and with it every sender to the sequencer: the stages drain and stop,
    // and the last snapshot is taken of where they stopped.
    let stopped = threads.join(|market, publisher_state| {
        final_snapshot(&store, &market_id, market, publisher_state, &snapshot_stats)
    });
    served.and(stopped)
}

fn run_server(
    state: Arc<AppState>,
    config: &NodeConfig,
    recovered: Recovered,
    ready: impl FnOnce(Started),
) -> Result<(), NodeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("gridbook-gateway")
        .build()
        .map_err(|source| NodeError::Io { what: "starting the runtime".into(), source })?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|source| {
            NodeError::Io { what: format!("listening on {}", config.listen), source }
        })?;
        let addr = listener
            .local_addr()
            .map_err(|source| NodeError::Io { what: "reading the bound address".into(), source })?;
        ready(Started { addr, recovered });
        let timeouts = Timeouts {
            idle: Duration::from_millis(config.limits.idle_timeout_ms),
            slow_client: Duration::from_millis(config.limits.slow_client_timeout_ms),
        };
        let listener = LimitedListener::new(
            listener,
            config.limits.connections_max,
            timeouts,
            state.metrics.clone(),
        );
        let stop = state.stop.clone();
        let app = router(state).into_make_service_with_connect_info::<Peer>();
        let stopping = {
            let stop = stop.clone();
            async move {
                tokio::select! {
                    () = stop_signal() => stop.stop(StopCause::Signal),
                    _ = stop.stopped() => {}
                }
            }
        };
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stopping)
            .await
            .map_err(|source| NodeError::Io { what: "serving".into(), source });
        // Upgraded connections outlive the server: each WebSocket sends its close frame (going
        // away), waiting at most the slow-client time for its client.
        let close_wait = timeouts.slow_client + Duration::from_secs(1);
        let _ = tokio::time::timeout(close_wait, stop.sockets_closed()).await;
        served
    })
}

/// SIGTERM or SIGINT.
async fn stop_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) =
        (signal(SignalKind::terminate()), signal(SignalKind::interrupt()))
    else {
        // Without signal handlers the node can still be stopped by SIGKILL; recovery covers it.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

struct Threads {
    sequencer: JoinHandle<Result<(), NodeError>>,
    matching: JoinHandle<Result<Market, NodeError>>,
    publisher: JoinHandle<Result<Publisher, NodeError>>,
    snapshots: JoinHandle<Result<(), NodeError>>,
}

fn spawn<T: Send + 'static>(
    name: &str,
    body: impl FnOnce() -> Result<T, NodeError> + Send + 'static,
) -> Result<JoinHandle<Result<T, NodeError>>, NodeError> {
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(body)
        .map_err(|source| NodeError::Io { what: format!("starting thread {name}"), source })
}

impl Threads {
    /// Joins the stages in pipeline order; once all have stopped (the snapshot thread too, so
    /// two snapshots are never written at once), `last` sees the market and the publisher's
    /// state.
    fn join(self, last: impl FnOnce(&Market, Vec<u8>)) -> Result<(), NodeError> {
        let sequencer = self.sequencer.join().map_err(|_| NodeError::Panicked("sequencer"))?;
        let matching = self.matching.join().map_err(|_| NodeError::Panicked("matching"))?;
        let publisher = self.publisher.join().map_err(|_| NodeError::Panicked("publisher"))?;
        let publisher_state = publisher.map(|publisher| {
            let mut state = Vec::new();
            publisher.write_snapshot(&mut state);
            state
        });
        // The publisher held the snapshot thread's queue: with it gone, that thread ends.
        let snapshots = self.snapshots.join().map_err(|_| NodeError::Panicked("snapshots"))?;
        if let (Ok(market), Ok(publisher_state)) = (&matching, publisher_state) {
            last(market, publisher_state);
        }
        sequencer.and(matching.map(drop)).and(snapshots)
    }
}
