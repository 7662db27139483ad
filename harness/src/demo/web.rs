//! `demo --web`: the live view in a browser, a second subscriber of the [`View`] beside the
//! terminal. A small hyper 1 server on 127.0.0.1 only: `GET /` is one self-contained page
//! (`web.html`: inline CSS and JS, nothing fetched from elsewhere, which its
//! Content-Security-Policy enforces), `GET /events` streams one server-sent event per view
//! update ([`event`](super::event)), and `POST /next`, `/previous`, `/hint`, `/reset`,
//! `/quit` send the same [`Key`]s the terminal sends, into the same channel the demo loop reads.
//!
//! Every request is bounded: a few connections at once, headers within a timeout, no request
//! body read. Commands need the `X-Badgateway: demo` header and every request a loopback
//! `Host`, so another site open in the same browser cannot drive the demo (a custom header
//! forces a CORS preflight, which is refused) nor read it through DNS rebinding. The server
//! stops when the view says the demo has finished (or its sender is gone): the demo's one
//! shutdown path.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::event::{event, sse};
use super::keys::Key;
use super::timeline::Timeline;
use super::view::View;

/// The page, served as is.
const PAGE: &str = include_str!("web.html");
/// Connections served at once (a page holds one for its events); more are closed at once.
const MAX_CONNECTIONS: usize = 16;
/// A request's headers must arrive within this.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long open connections get to finish once the demo has ended.
const DRAIN: Duration = Duration::from_secs(1);
/// The header a command must carry.
pub const COMMAND_HEADER: (&str, &str) = ("x-badgateway", "demo");
/// Only this page, inline styles and scripts, and events from its own origin.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
                   connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Page,
    Events,
    Command(Key),
    /// A command path with another method than POST.
    WrongMethod,
    NotFound,
}

/// The route of `method` and `path` (the query is ignored).
pub fn route(method: &Method, path: &str) -> Route {
    let path = path.split('?').next().unwrap_or("");
    let key = match path {
        "/" | "/index.html" if method == Method::GET => return Route::Page,
        "/events" if method == Method::GET => return Route::Events,
        "/next" => Key::Next,
        "/previous" => Key::Previous,
        "/hint" => Key::Hint,
        "/reset" => Key::Reset,
        "/quit" => Key::Quit,
        _ => return Route::NotFound,
    };
    match *method == Method::POST {
        true => Route::Command(key),
        false => Route::WrongMethod,
    }
}

/// Why a request is refused before it is routed, if it is: a `Host` other than this server's
/// loopback address, or a command without [`COMMAND_HEADER`].
pub fn refusal(headers: &HeaderMap, route: Route, port: u16) -> Option<&'static str> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let loopback = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    if !host.is_some_and(|h| loopback.iter().any(|l| l == h)) {
        return Some("the demo's web view answers only on its loopback address\n");
    }
    let (name, value) = COMMAND_HEADER;
    let marked = headers.get(name).is_some_and(|v| v == value);
    match (route, marked) {
        (Route::Command(_), false) => Some("a command needs the header `X-Badgateway: demo`\n"),
        _ => None,
    }
}

/// Listen on 127.0.0.1:`port` (0: any free port); the listener and the page's address.
pub fn bind(port: u16) -> std::io::Result<(std::net::TcpListener, String)> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    let url = format!("http://127.0.0.1:{}/", listener.local_addr()?.port());
    Ok((listener, url))
}

/// What every connection's handler shares.
struct Shared {
    port: u16,
    views: watch::Receiver<View>,
    keys: mpsc::UnboundedSender<Key>,
    /// The chart's history, recorded from every view by [`serve`].
    timeline: Mutex<Timeline>,
}

impl Shared {
    fn timeline(&self) -> std::sync::MutexGuard<'_, Timeline> {
        self.timeline.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Serve the page, its events and its commands until the demo has finished.
pub async fn serve(
    listener: std::net::TcpListener,
    views: watch::Receiver<View>,
    keys: mpsc::UnboundedSender<Key>,
) {
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    let port = listener.local_addr().map_or(0, |a| a.port());
    let shared = Arc::new(Shared {
        port,
        views: views.clone(),
        keys,
        timeline: Mutex::new(Timeline::default()),
    });
    let limit = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let stop = CancellationToken::new();
    let mut connections = JoinSet::new();
    let mut views = views;
    views.mark_changed();
    loop {
        tokio::select! {
            changed = views.changed() => {
                if changed.is_err() {
                    break;
                }
                let finished = {
                    let v = views.borrow_and_update();
                    shared.timeline().record(&v);
                    v.finished
                };
                if finished {
                    break;
                }
            }
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                // Over the limit the connection is closed unanswered.
                let Ok(permit) = limit.clone().try_acquire_owned() else { continue };
                let (shared, stop) = (shared.clone(), stop.clone());
                connections.spawn(async move {
                    connection(stream, shared, stop).await;
                    drop(permit);
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    stop.cancel();
    let drained = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(DRAIN, drained).await;
}

/// One connection, shut down gracefully when `stop` fires.
async fn connection(stream: TcpStream, shared: Arc<Shared>, stop: CancellationToken) {
    let service = service_fn(move |req| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(handle(req, &shared)) }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stop.cancelled() => conn.as_mut().graceful_shutdown(),
    }
    let _ = tokio::time::timeout(DRAIN, conn).await;
}

type Body = BoxBody<Bytes, Infallible>;

fn handle(req: Request<Incoming>, shared: &Arc<Shared>) -> Response<Body> {
    let route = route(req.method(), req.uri().path());
    if let Some(why) = refusal(req.headers(), route, shared.port) {
        return text(StatusCode::FORBIDDEN, why);
    }
    match route {
        Route::Page => {
            let mut res = Response::new(Full::new(Bytes::from_static(PAGE.as_bytes())).boxed());
            let headers = res.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                "text/html; charset=utf-8".parse().unwrap(),
            );
            headers.insert(header::CONTENT_SECURITY_POLICY, CSP.parse().unwrap());
            headers.insert(header::CACHE_CONTROL, "no-store".parse().unwrap());
            res
        }
        Route::Events => events(shared.clone()),
        Route::Command(key) => match shared.keys.send(key) {
            Ok(()) => text(StatusCode::ACCEPTED, "sent\n"),
            Err(_) => text(StatusCode::SERVICE_UNAVAILABLE, "the demo has ended\n"),
        },
        Route::WrongMethod => text(StatusCode::METHOD_NOT_ALLOWED, "use POST\n"),
        Route::NotFound => text(StatusCode::NOT_FOUND, "not found\n"),
    }
}

/// The event stream: the current view at once, then one event per update, until the view
/// that says the demo has finished (or the demo's sender is gone). Each event carries the
/// chart's ticks this stream has not sent yet.
fn events(shared: Arc<Shared>) -> Response<Body> {
    let mut views = shared.views.clone();
    views.mark_changed();
    let state = (views, shared, None::<u64>, false);
    let stream =
        futures_util::stream::unfold(state, |(mut views, shared, sent, done)| async move {
            if done || views.changed().await.is_err() {
                return None;
            }
            let (ticks, marks) = {
                let timeline = shared.timeline();
                (timeline.after(sent), timeline.marks.clone())
            };
            let sent = ticks.last().map(|(at, _)| *at).or(sent);
            let (data, finished) = {
                let v = views.borrow_and_update();
                (sse(&event(&v, &ticks, &marks)), v.finished)
            };
            let frame = Ok::<_, Infallible>(Frame::data(Bytes::from(data)));
            Some((frame, (views, shared, sent, finished)))
        });
    let mut res = Response::new(BodyExt::boxed(StreamBody::new(stream)));
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, "text/event-stream".parse().unwrap());
    headers.insert(header::CACHE_CONTROL, "no-store".parse().unwrap());
    res
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut res = Response::new(Full::new(Bytes::from_static(body.as_bytes())).boxed());
    *res.status_mut() = status;
    let plain = "text/plain; charset=utf-8".parse().unwrap();
    res.headers_mut().insert(header::CONTENT_TYPE, plain);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_posts_that_become_the_keys_the_terminal_sends() {
        let post = |p| route(&Method::POST, p);
        assert_eq!(post("/next"), Route::Command(Key::Next));
        assert_eq!(post("/previous"), Route::Command(Key::Previous));
        assert_eq!(post("/hint"), Route::Command(Key::Hint));
        assert_eq!(post("/reset"), Route::Command(Key::Reset));
        assert_eq!(post("/quit?x=1"), Route::Command(Key::Quit));
        assert_eq!(route(&Method::GET, "/next"), Route::WrongMethod);
        assert_eq!(route(&Method::GET, "/"), Route::Page);
        assert_eq!(route(&Method::GET, "/events"), Route::Events);
        assert_eq!(post("/events"), Route::NotFound);
        assert_eq!(route(&Method::GET, "/../etc/passwd"), Route::NotFound);
    }

    #[test]
    fn only_loopback_hosts_and_marked_commands_pass() {
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.insert(*k, v.parse().unwrap());
            }
            h
        };
        let next = Route::Command(Key::Next);
        let local = headers(&[("host", "127.0.0.1:8080")]);
        assert_eq!(refusal(&local, Route::Page, 8080), None);
        assert!(refusal(&local, next, 8080).is_some(), "unmarked command");
        let marked = headers(&[("host", "localhost:8080"), COMMAND_HEADER]);
        assert_eq!(refusal(&marked, next, 8080), None);
        let rebound = headers(&[("host", "evil.example:8080"), COMMAND_HEADER]);
        assert!(refusal(&rebound, Route::Events, 8080).is_some());
        assert!(refusal(&local, Route::Page, 9090).is_some(), "another port");
        assert!(refusal(&HeaderMap::new(), Route::Page, 8080).is_some());
    }

    #[test]
    fn the_page_is_self_contained_and_its_buttons_send_the_command_header() {
        // Only the SVG namespace (an identifier, never fetched) looks like an address.
        let addresses: Vec<&str> = (PAGE.match_indices("http").map(|(i, _)| &PAGE[i..]))
            .filter(|rest| !rest.starts_with("http://www.w3.org/2000/svg"))
            .collect();
        assert!(addresses.is_empty(), "external addresses: {addresses:?}");
        for tag in ["<link", "src=", "@import", "url("] {
            assert!(!PAGE.contains(tag), "the page loads nothing: {tag}");
        }
        let (name, value) = COMMAND_HEADER;
        assert!(
            PAGE.to_lowercase()
                .contains(&format!("\"{name}\": \"{value}\""))
        );
        for button in ["previous", "next", "hint", "reset"] {
            assert!(
                PAGE.contains(&format!("<button id=\"{button}\"")),
                "{button}"
            );
            assert_eq!(
                route(&Method::POST, &format!("/{button}")),
                Route::Command(match button {
                    "previous" => Key::Previous,
                    "next" => Key::Next,
                    "hint" => Key::Hint,
                    _ => Key::Reset,
                })
            );
        }
    }
}
