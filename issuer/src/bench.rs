pub async fn run(_a: BenchArgs) -> Result<(), offline_cash_issuer::IssuerError> { Ok(()) }
#[derive(clap::Args, Debug)] pub struct BenchArgs {}
