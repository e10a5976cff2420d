//! A call through a breaker may fail with any usual error type (S13.5).

use supervisor::{BoxError, BreakerConfig, CircuitBreaker, Directed, Disposition};

#[derive(Debug)]
struct DbError;

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("db error")
    }
}

impl Disposition for DbError {}

async fn calls(b: CircuitBreaker) {
    let _ = b.call(async { Err::<(), String>("down".into()) }).await;
    let _ = b.call(async { Err::<(), &str>("down") }).await;
    let _ = b.call(async { Err::<(), BoxError>("down".into()) }).await;
    let _ = b.call(async { Err::<(), Box<dyn std::error::Error>>("down".into()) }).await;
    let _ = b.call(async { Err::<(), std::io::Error>(std::io::Error::other("down")) }).await;
    let _ = b.call(async { Err::<(), Directed>(Directed::stop("bad request")) }).await;
    let _ = b.call(async { Err::<(), DbError>(DbError) }).await;
}

fn main() {
    let _ = calls(CircuitBreaker::new("db", BreakerConfig::default()));
}
