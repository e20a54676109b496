//! `cargo run -p kompress-serve --example serve -- [serve.toml]`: the service without the rest
//! of the CLI (used by scripts/serve/*.sh). The `kompress serve` subcommand is the same thing.

fn main() -> anyhow::Result<()> {
    let cfg = match std::env::args().nth(1) {
        Some(p) => kompress_serve::ServeConfig::from_toml(&std::fs::read_to_string(&p)?)?,
        None => kompress_serve::ServeConfig::default(),
    };
    actix_web::rt::System::new().block_on(kompress_serve::run(
        cfg,
        kompress_pipeline::PipelineSettings::default(),
    ))?;
    Ok(())
}
