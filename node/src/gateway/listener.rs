//! The listening socket, wrapped for `axum::serve`: the bound on open connections
//! (`limits.connections_max`) is enforced at accept, and every connection's reads and writes
//! carry the idle and slow-client timeouts.
//!
//! A connection beyond the bound gets a `503 too_many_connections` written without waiting and
//! is closed; it never reaches hyper, so it costs no task and no buffer. The timeouts live in
//! the connection's I/O ([`Conn`]) because that is the only place that sees a client trickle
//! a request byte by byte, or stop taking the node's bytes, before any handler runs:
//!
//! - **idle**: the node has waited `idle_timeout_ms` for the client's next byte;
//! - **slow request**: the client began a request `slow_client_timeout_ms` ago and the node is
//!   still waiting for the rest of it (its answer, once written, ends the request);
//! - **slow reader**: a write has been pending `slow_client_timeout_ms` because the client does
//!   not read.
//!
//! After a WebSocket upgrade ([`Peer::mark_upgraded`]) these rules step aside: the WebSocket
//! connection pings, times out and closes with a reason of its own (`gateway::ws`).

use std::future::Future as _;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::IncomingStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};

use crate::metrics::NodeMetrics;

/// Connection counters for `/metrics`.
#[derive(Debug, Default)]
pub struct ConnectionStats {
    /// Connections open now (HTTP and WebSocket).
    pub open: AtomicU64,
    /// Connections refused at accept because `connections_max` were open.
    pub refused: AtomicU64,
    /// Connections closed because the client was idle.
    pub timed_out_idle: AtomicU64,
    /// Connections closed because the client was too slow to send or to read.
    pub timed_out_slow: AtomicU64,
}

/// The timeouts every connection carries.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// See the module docs.
    pub idle: Duration,
    /// See the module docs.
    pub slow_client: Duration,
}

/// Refused connections whose request is drained before they are closed, so the client reads
/// the 503 rather than a reset; beyond this many at once, refused connections are just closed.
const REFUSED_LINGERING_MAX: usize = 64;
/// How long a refused connection is drained.
const REFUSED_LINGER: Duration = Duration::from_secs(1);

/// A TCP listener that enforces the connection bound and wraps each connection in [`Conn`].
#[derive(Debug)]
pub struct LimitedListener {
    inner: TcpListener,
    connections_max: u64,
    timeouts: Timeouts,
    stats: Arc<NodeMetrics>,
    lingering: Arc<Semaphore>,
}

impl LimitedListener {
    /// Wraps `inner`; counters go to `metrics.connections`.
    pub fn new(
        inner: TcpListener,
        connections_max: usize,
        timeouts: Timeouts,
        metrics: Arc<NodeMetrics>,
    ) -> LimitedListener {
        LimitedListener {
            inner,
            connections_max: connections_max as u64,
            timeouts,
            stats: metrics,
            lingering: Arc::new(Semaphore::new(REFUSED_LINGERING_MAX)),
        }
    }

    fn refuse(&self, stream: TcpStream) {
        self.stats.connections.refused.fetch_add(1, Ordering::Relaxed);
        let body = format!(
            "{{\"error\":\"too_many_connections\",\"detail\":\"the node has {} connections open (limits.connections_max)\",\"field\":null}}",
            self.connections_max
        );
        let response = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        // Never wait on a refused client: what the socket buffer takes now is all it gets.
        let _ = stream.try_write(response.as_bytes());
        let Ok(permit) = self.lingering.clone().try_acquire_owned() else { return };
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tokio::time::timeout(REFUSED_LINGER, drain(&stream)).await;
        });
    }
}

/// Reads and discards until the client closes: closing a socket with unread bytes would send
/// a reset that can destroy the 503 before the client reads it.
async fn drain(stream: &TcpStream) {
    let mut sink = [0u8; 4096];
    loop {
        if stream.readable().await.is_err() {
            return;
        }
        match stream.try_read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
            Err(_) => return,
        }
    }
}

impl axum::serve::Listener for LimitedListener {
    type Io = Conn;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Conn, SocketAddr) {
        loop {
            let (stream, addr) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait rather than spin (as axum does).
                    if !matches!(
                        error.kind(),
                        io::ErrorKind::ConnectionRefused
                            | io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                    ) {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    continue;
                }
            };
            let open = &self.stats.connections.open;
            if open.load(Ordering::Acquire) >= self.connections_max {
                self.refuse(stream);
                continue;
            }
            open.fetch_add(1, Ordering::AcqRel);
            // Answers are small and latency matters more than packet count.
            let _ = stream.set_nodelay(true);
            return (Conn::new(stream, self.timeouts, self.stats.clone()), addr);
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// What a connection's handlers share with its I/O.
#[derive(Debug, Default)]
struct ConnShared {
    upgraded: AtomicBool,
}

/// The client of a request: its address, and a handle on its connection's I/O rules. Handlers
/// extract it as `ConnectInfo<Peer>`.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The client's address.
    pub addr: SocketAddr,
    conn: Arc<ConnShared>,
}

impl Peer {
    /// The connection is now a WebSocket, which keeps its own timeouts.
    pub fn mark_upgraded(&self) {
        self.conn.upgraded.store(true, Ordering::Release);
    }
}

impl Connected<IncomingStream<'_, LimitedListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, LimitedListener>) -> Peer {
        Peer { addr: *stream.remote_addr(), conn: stream.io().shared.clone() }
    }
}

/// One accepted connection: the TCP stream with the timeouts of the module docs; dropping it
/// gives its place in `connections_max` back.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    shared: Arc<ConnShared>,
    timeouts: Timeouts,
    metrics: Arc<NodeMetrics>,
    /// When the client sent the first byte of a request the node has not answered yet.
    request_since: Option<Instant>,
    /// When the node began waiting for the client's next byte.
    read_wait_since: Option<Instant>,
    read_timer: Option<Pin<Box<Sleep>>>,
    write_timer: Option<Pin<Box<Sleep>>>,
}

impl Conn {
    fn new(stream: TcpStream, timeouts: Timeouts, metrics: Arc<NodeMetrics>) -> Conn {
        Conn {
            stream,
            shared: Arc::default(),
            timeouts,
            metrics,
            request_since: None,
            read_wait_since: None,
            read_timer: None,
            write_timer: None,
        }
    }

    fn upgraded(&self) -> bool {
        self.shared.upgraded.load(Ordering::Acquire)
    }

    /// While the node waits to read: `Err` once the idle or the slow-request deadline passed.
    fn poll_read_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let now = Instant::now();
        let waiting_since = *self.read_wait_since.get_or_insert(now);
        let idle_at = waiting_since + self.timeouts.idle;
        let (deadline, slow) = match self.request_since {
            Some(since) if since + self.timeouts.slow_client < idle_at => {
                (since + self.timeouts.slow_client, true)
            }
            _ => (idle_at, false),
        };
        let timer =
            self.read_timer.get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        let (counter, detail) = if slow {
            (&self.metrics.connections.timed_out_slow, "the client sent its request too slowly")
        } else {
            (&self.metrics.connections.timed_out_idle, "the client was idle")
        };
        counter.fetch_add(1, Ordering::Relaxed);
        Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, detail))
    }

    /// While a write is pending: `Err` once the client has not read for the slow-client time.
    fn poll_write_deadline(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let slow = self.timeouts.slow_client;
        let timer = self.write_timer.get_or_insert_with(|| Box::pin(tokio::time::sleep(slow)));
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.metrics.connections.timed_out_slow.fetch_add(1, Ordering::Relaxed);
        Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "the client does not read"))
    }

    /// A write's result, with the slow-reader deadline on a pending one; a write that went
    /// through also ends the request being answered.
    fn timed_write(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match written {
            Poll::Ready(Ok(written)) => {
                self.write_timer = None;
                self.request_since = None;
                Poll::Ready(Ok(written))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending if self.upgraded() => Poll::Pending,
            Poll::Pending => self.poll_write_deadline(cx).map(Err),
        }
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        self.metrics.connections.open.fetch_sub(1, Ordering::AcqRel);
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.read_wait_since = None;
                    if this.request_since.is_none() {
                        this.request_since = Some(Instant::now());
                    }
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            Poll::Pending if this.upgraded() => Poll::Pending,
            Poll::Pending => this.poll_read_deadline(cx).map(Err),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write(cx, buf);
        this.timed_write(cx, written)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        this.timed_write(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
