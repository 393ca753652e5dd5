//! `/metrics` in the Prometheus text format: requests by route and status,
//! latency histograms by route, bytes sent.

use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    bytes: Family<RouteLabels, Counter>,
    panics: Family<RouteLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 10 µs to about 2.6 s: a patched segment takes microseconds, a
    // manifest tens of them, a cold file read milliseconds.
    Histogram::new(exponential_buckets(0.000_01, 4.0, 10))
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("dashlive");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency =
            Family::<RouteLabels, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        let bytes = Family::<RouteLabels, Counter>::default();
        let panics = Family::<RouteLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request (headers ready), by route",
            latency.clone(),
        );
        registry.register(
            "http_response_bytes",
            "Body bytes sent, by route",
            bytes.clone(),
        );
        registry.register(
            "panics",
            "Handler panics (each answered 500), by route",
            panics.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            bytes,
            panics,
        }
    }

    pub fn record(&self, route: &str, status: u16, body_bytes: u64, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.to_string(),
                status,
            })
            .inc();
        let labels = RouteLabels {
            route: route.to_string(),
        };
        self.latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        self.bytes.get_or_create(&labels).inc_by(body_bytes);
    }

    /// A handler panicked (a bug): counted so that it shows.
    pub fn panic(&self, route: &str) {
        self.panics
            .get_or_create(&RouteLabels {
                route: route.to_string(),
            })
            .inc();
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_appear_in_the_text_format() {
        let m = Metrics::new();
        m.record("live_segment", 200, 1000, Duration::from_micros(50));
        m.record("live_segment", 200, 500, Duration::from_micros(70));
        m.record("static", 404, 20, Duration::from_micros(30));
        let text = m.render();
        assert!(
            text.contains(r#"dashlive_http_requests_total{route="live_segment",status="200"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"dashlive_http_requests_total{route="static",status="404"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"dashlive_http_response_bytes_total{route="live_segment"} 1500"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"dashlive_http_request_duration_seconds_count{route="live_segment"} 2"#
            ),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
