//! The live-reload channel: what the rebuild loop tells every open tab.
//!
//! Tabs listen on a server-sent event stream (`/__dossier/events`), opened by
//! the script `serve` injects into pages (`livereload.js`). Events:
//!
//! | event    | data                          | the tab                           |
//! | -------- | ----------------------------- | --------------------------------- |
//! | `reload` | the build's summary           | reloads                           |
//! | `css`    | the build's summary           | re-fetches its stylesheets        |
//! | `error`  | the errors, `path:line:col` … | shows them in an overlay          |
//! | `ok`     | the build's summary           | removes the overlay               |
//!
//! A tab that connects while the site is broken gets the current `error` at
//! once. The [`Hub`] remembers that error; a broadcast channel carries the rest.

use std::sync::{Arc, Mutex, PoisonError};

use axum::response::sse;
use futures_util::Stream;
use tokio::sync::broadcast;

/// One message to the open tabs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Reload(String),
    Css(String),
    Error(String),
    Ok(String),
    /// Serving stops: every stream ends, so connections can close.
    Shutdown,
}

impl Event {
    /// The event as sent on the wire; `None` for [`Event::Shutdown`].
    pub fn to_sse(&self) -> Option<sse::Event> {
        let (name, data) = match self {
            Event::Reload(d) => ("reload", d),
            Event::Css(d) => ("css", d),
            Event::Error(d) => ("error", d),
            Event::Ok(d) => ("ok", d),
            Event::Shutdown => return None,
        };
        // A browser drops events whose data is empty.
        let data = if data.is_empty() { name } else { data.as_str() };
        Some(sse::Event::default().event(name).data(data))
    }
}

/// Where builds report and tabs subscribe.
#[derive(Debug)]
pub struct Hub {
    sender: broadcast::Sender<Event>,
    /// The errors of the last build, while it is the latest.
    error: Mutex<Option<String>>,
}

impl Hub {
    pub fn new() -> Arc<Hub> {
        let (sender, _) = broadcast::channel(64);
        Arc::new(Hub {
            sender,
            error: Mutex::new(None),
        })
    }

    /// A build succeeded: clear a shown error, then reload (or swap stylesheets).
    pub fn built(&self, summary: &str, css_only: bool) {
        let had_error = self
            .error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .is_some();
        if had_error {
            self.send(Event::Ok(summary.to_string()));
        }
        self.send(if css_only && !had_error {
            Event::Css(summary.to_string())
        } else {
            Event::Reload(summary.to_string())
        });
    }

    /// A build failed: remember its errors for tabs that connect later, and show them.
    pub fn failed(&self, errors: &str) {
        *self.error.lock().unwrap_or_else(PoisonError::into_inner) = Some(errors.to_string());
        self.send(Event::Error(errors.to_string()));
    }

    /// Ends every event stream.
    pub fn shutdown(&self) {
        self.send(Event::Shutdown);
    }

    fn send(&self, event: Event) {
        // No tab listening is not an error.
        let _ = self.sender.send(event);
    }

    /// A new tab's stream: the current error if there is one, then every event
    /// until shutdown.
    pub fn stream(&self) -> impl Stream<Item = Event> + use<> {
        // Subscribe before reading the error, so nothing falls in between.
        let receiver = self.sender.subscribe();
        let current = self
            .error
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .map(Event::Error);
        futures_util::stream::unfold((current, receiver), |(pending, mut receiver)| async move {
            let event = match pending {
                Some(event) => event,
                None => match receiver.recv().await {
                    Ok(event) => event,
                    // Missed events: a reload shows the latest site.
                    Err(broadcast::error::RecvError::Lagged(_)) => Event::Reload("reload".into()),
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            };
            (event != Event::Shutdown).then_some((event, (None, receiver)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn next(stream: &mut (impl Stream<Item = Event> + Unpin)) -> Option<Event> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        runtime.block_on(stream.next())
    }

    #[test]
    fn a_tab_that_connects_while_broken_sees_the_error_first() {
        let hub = Hub::new();
        hub.failed("content/a.md:3:1: error: bad date");
        let mut stream = Box::pin(hub.stream());
        let error = Event::Error("content/a.md:3:1: error: bad date".into());
        assert_eq!(next(&mut stream), Some(error));
        hub.built("Built 1 briefing", true);
        assert_eq!(
            next(&mut stream),
            Some(Event::Ok("Built 1 briefing".into()))
        );
        // After an error the page is stale: a full reload, even for CSS.
        assert_eq!(
            next(&mut stream),
            Some(Event::Reload("Built 1 briefing".into()))
        );
        hub.built("again", true);
        assert_eq!(next(&mut stream), Some(Event::Css("again".into())));
        hub.shutdown();
        assert_eq!(next(&mut stream), None);
    }

    #[test]
    fn a_fixed_error_is_not_replayed() {
        let hub = Hub::new();
        hub.failed("broken");
        hub.built("fine", false);
        let mut stream = Box::pin(hub.stream());
        hub.shutdown();
        assert_eq!(next(&mut stream), None);
    }

    #[test]
    fn events_on_the_wire_are_never_empty() {
        assert!(Event::Reload(String::new()).to_sse().is_some());
        assert!(Event::Shutdown.to_sse().is_none());
    }
}
