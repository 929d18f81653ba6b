//! Shutdown as the load balancer and clients see it. On SIGTERM the server
//! first drains: `/ready` answers 503 so the balancer stops sending new
//! work, for `SHUTDOWN_DRAIN_MS`, while everything in flight carries on.
//! Then open WebSockets are told (each subscription `complete`, then close
//! 1001 Going Away), the listener stops accepting, and requests in flight
//! get a bounded time to finish.

use tokio::sync::watch;

#[derive(Clone)]
pub struct Lifecycle {
    draining: watch::Sender<bool>,
    closing: watch::Sender<bool>,
    /// Open WebSockets: the server does not track upgraded connections, so
    /// shutdown waits on this for their last frames to go out.
    sockets: watch::Sender<usize>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            draining: watch::Sender::new(false),
            closing: watch::Sender::new(false),
            sockets: watch::Sender::new(0),
        }
    }
}

/// One open WebSocket, counted while it lives.
pub struct OpenSocket(watch::Sender<usize>);

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
        metrics::gauge!("websockets_open").decrement(1.0);
    }
}

impl Lifecycle {
    /// Not ready any more: the balancer should send new work elsewhere.
    pub fn drain(&self) {
        self.draining.send_replace(true);
    }

    pub fn is_draining(&self) -> bool {
        *self.draining.borrow()
    }

    /// Long-lived connections must end now.
    pub fn close(&self) {
        self.draining.send_replace(true);
        self.closing.send_replace(true);
    }

    pub fn socket_opened(&self) -> OpenSocket {
        self.sockets.send_modify(|n| *n += 1);
        metrics::gauge!("websockets_open").increment(1.0);
        OpenSocket(self.sockets.clone())
    }

    /// Completes when no WebSocket is open.
    pub async fn sockets_closed(&self) {
        let mut rx = self.sockets.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    /// Completes once `close` is called (at once if it was).
    pub fn closing(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut rx = self.closing.subscribe();
        async move {
            // An error means the lifecycle is gone with the server: close.
            let _ = rx.wait_for(|closing| *closing).await;
        }
    }
}
