//! `kompress stream` and `kompress recompress`: the Kafka commands of kompress-kafka with the
//! pruner flags of the other pipeline commands. Without `--pruner`/`--model` they run the
//! statistical pruner (throughput per partition, as `serve`); `--pruner blend` or `--model DIR`
//! puts the learned model on the pipeline's model thread, which batches the concurrent
//! transcripts of all partitions by token budget. `memory-sink` runs no pipeline.

use kompress_kafka::cli::{KafkaCommand, MemorySinkArgs, RecompressArgs, StreamArgs};

use crate::settings::{service_pipeline_settings, ServiceFlags};

#[derive(clap::Args, Debug)]
pub struct Stream {
    #[command(flatten)]
    pub kafka: StreamArgs,
    #[command(flatten)]
    pub service: ServiceFlags,
}

#[derive(clap::Args, Debug)]
pub struct Recompress {
    #[command(flatten)]
    pub kafka: RecompressArgs,
    #[command(flatten)]
    pub service: ServiceFlags,
}

pub fn run_stream(a: Stream) -> anyhow::Result<()> {
    let settings = service_pipeline_settings(&a.service)?;
    Ok(kompress_kafka::cli::run_command_with(
        KafkaCommand::Stream(a.kafka),
        Some(settings),
    )?)
}

pub fn run_recompress(a: Recompress) -> anyhow::Result<()> {
    let settings = service_pipeline_settings(&a.service)?;
    Ok(kompress_kafka::cli::run_command_with(
        KafkaCommand::Recompress(Box::new(a.kafka)),
        Some(settings),
    )?)
}

pub fn run_memory_sink(a: MemorySinkArgs) -> anyhow::Result<()> {
    Ok(kompress_kafka::cli::run_command(KafkaCommand::MemorySink(
        a,
    ))?)
}
