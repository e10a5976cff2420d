use supervisor::{BreakerConfig, CircuitBreaker};

#[derive(Debug)]
struct DbError;

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("db error")
    }
}

impl std::error::Error for DbError {}

async fn query() -> Result<u32, DbError> {
    Err(DbError)
}

async fn caller(db: CircuitBreaker) {
    let _ = db.call(query()).await;
}

fn main() {
    let _ = caller(CircuitBreaker::new("db", BreakerConfig::default()));
}
