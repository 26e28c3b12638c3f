//! A scripted plain-HTTP server for unit tests of the transport and of what is built on it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use url::Url;

/// Requests a scripted server received: head (lower-cased header names kept as sent) and body.
pub(crate) type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// A plain-HTTP server on loopback that answers each connection with the next raw response, then
/// closes it (so a short body is a dropped connection).
pub(crate) fn serve(responses: Vec<String>) -> (Url, Seen) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let seen: Seen = Arc::default();
    let record = seen.clone();
    std::thread::spawn(move || {
        for response in responses {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let length = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            record
                .lock()
                .unwrap()
                .push((head, String::from_utf8_lossy(&body).into_owned()));
            let mut stream = reader.into_inner();
            let _ = stream.write_all(response.as_bytes());
            let _ = stream.flush();
        }
    });
    (url, seen)
}

/// The log records `body` makes on this thread, as (level, target, message). Tests run on threads of
/// their own, so one test's records never reach another's capture.
pub(crate) fn capture_logs(body: impl FnOnce()) -> Vec<(log::Level, String, String)> {
    CAPTURE.with(|c| *c.borrow_mut() = Some(Vec::new()));
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        // Fails only if something else took the logger; then captures stay empty and the test says so.
        let _ = log::set_logger(&ThreadLogger);
        log::set_max_level(log::LevelFilter::Trace);
    });
    body();
    CAPTURE.with(|c| c.borrow_mut().take().unwrap_or_default())
}

thread_local! {
    static CAPTURE: std::cell::RefCell<Option<Vec<(log::Level, String, String)>>> =
        const { std::cell::RefCell::new(None) };
}

struct ThreadLogger;

impl log::Log for ThreadLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }

    fn log(&self, record: &log::Record<'_>) {
        CAPTURE.with(|c| {
            if let Some(records) = c.borrow_mut().as_mut() {
                records.push((
                    record.level(),
                    record.target().to_string(),
                    record.args().to_string(),
                ));
            }
        });
    }

    fn flush(&self) {}
}

pub(crate) fn reply(status: &str, headers: &[&str], body: &str) -> String {
    let mut text = format!(
        "HTTP/1.1 {status}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    text.push_str(body);
    text
}
