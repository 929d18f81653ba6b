//! A real SMTP server for the tests: listens on 127.0.0.1:0, speaks enough
//! of RFC 5321 for lettre (EHLO/HELO, MAIL FROM, RCPT TO, DATA with
//! dot-unstuffing, RSET, NOOP, QUIT; no STARTTLS offered, so a loopback relay
//! is used in plain text) and hands every accepted message to the test.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

#[derive(Clone, Debug)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body as sent, CRLF line endings, dots unstuffed.
    pub data: String,
}

impl Received {
    /// The body decoded from its transfer encoding (7bit, quoted-printable
    /// with soft line breaks, or base64).
    pub fn body(&self) -> String {
        let (headers, body) = self
            .data
            .split_once("\r\n\r\n")
            .unwrap_or((self.data.as_str(), ""));
        let encoding = headers
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-transfer-encoding")
                    .then(|| v.trim().to_ascii_lowercase())
            })
            .unwrap_or_default();
        match encoding.as_str() {
            "quoted-printable" => decode_qp(body),
            "base64" => {
                let compact: String = body.split_whitespace().collect();
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("base64 body");
                String::from_utf8(bytes).expect("utf-8 body")
            }
            _ => body.to_owned(),
        }
    }

    /// The `token` query parameter of the first link in the body.
    pub fn magic_token(&self) -> String {
        let body = self.body();
        let start = body
            .find("token=")
            .expect("a link with ?token= in the mail")
            + 6;
        body[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}

/// Quoted-printable: `=\r\n` is a soft line break, `=XX` a byte.
pub fn decode_qp(s: &str) -> String {
    let joined = s.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub struct SmtpSink {
    pub port: u16,
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Received>>,
    all: Arc<Mutex<Vec<Received>>>,
    /// Messages still to refuse with a temporary error.
    refuse: Arc<AtomicU32>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let port = listener.local_addr().expect("addr").port();
        let (tx, rx) = mpsc::unbounded_channel();
        let all = Arc::new(Mutex::new(Vec::new()));
        let refuse = Arc::new(AtomicU32::new(0));
        let (all2, refuse2) = (all.clone(), refuse.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (tx, all, refuse) = (tx.clone(), all2.clone(), refuse2.clone());
                tokio::spawn(async move {
                    let _ = session(stream, tx, all, refuse).await;
                });
            }
        });
        Self {
            port,
            rx: tokio::sync::Mutex::new(rx),
            all,
            refuse,
        }
    }

    /// The next `n` messages are refused at `MAIL FROM` with 451, as a
    /// relay that is overloaded or restarting answers.
    pub fn refuse_next(&self, n: u32) {
        self.refuse.store(n, Ordering::SeqCst);
    }

    /// Environment for the app under test to deliver here.
    pub fn env(&self, vars: &mut Vec<(String, String)>) {
        vars.push(("SMTP_HOST".into(), "127.0.0.1".into()));
        vars.push(("SMTP_PORT".into(), self.port.to_string()));
        vars.push(("FROM_EMAIL".into(), "portal@bridgeboard.test".into()));
    }

    /// The next message, or `None` if none arrives within `wait`.
    pub async fn next(&self, wait: Duration) -> Option<Received> {
        tokio::time::timeout(wait, self.rx.lock().await.recv())
            .await
            .ok()
            .flatten()
    }

    /// Every message received so far.
    pub fn received(&self) -> Vec<Received> {
        self.all.lock().expect("sink lock").clone()
    }
}

async fn session(
    stream: TcpStream,
    tx: mpsc::UnboundedSender<Received>,
    all: Arc<Mutex<Vec<Received>>>,
    refuse: Arc<AtomicU32>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 sink.test ESMTP ready\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_owned();
        let upper = cmd.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
        } else if upper.starts_with("HELO") {
            b"250 sink.test\r\n"
        } else if upper.starts_with("MAIL FROM:")
            && refuse
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            b"451 4.3.0 try again later\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = address(&cmd[10..]);
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(address(&cmd[8..]));
            b"250 OK\r\n"
        } else if upper == "DATA" {
            write
                .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                let l = line.trim_end_matches(['\r', '\n']);
                if l == "." {
                    break;
                }
                // Dot-unstuffing (RFC 5321 4.5.2).
                data.push_str(l.strip_prefix('.').unwrap_or(l));
                data.push_str("\r\n");
            }
            let msg = Received {
                from: from.clone(),
                to: std::mem::take(&mut to),
                data,
            };
            all.lock().expect("sink lock").push(msg.clone());
            let _ = tx.send(msg);
            b"250 OK queued\r\n"
        } else if upper == "RSET" || upper == "NOOP" {
            b"250 OK\r\n"
        } else if upper == "QUIT" {
            write.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            b"502 command not implemented\r\n"
        };
        write.write_all(reply).await?;
    }
}

/// `<a@b>` (possibly with parameters after it) to `a@b`.
fn address(arg: &str) -> String {
    let arg = arg.trim();
    match (arg.find('<'), arg.find('>')) {
        (Some(s), Some(e)) if s < e => arg[s + 1..e].to_owned(),
        _ => arg.split_whitespace().next().unwrap_or("").to_owned(),
    }
}

#[test]
fn quoted_printable_soft_breaks_are_joined() {
    assert_eq!(
        decode_qp("http://x/?token=3Dab=\r\ncd-_e\r\n"),
        "http://x/?token=abcd-_e\r\n"
    );
}
