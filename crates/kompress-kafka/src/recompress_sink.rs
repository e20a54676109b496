//! Where the recompression job writes: a topic (flushed per chunk) or three JSONL files
//! (cut back to the checkpointed lengths on resume, fsynced per chunk).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::ClientConfig;

use crate::recompress::{Checkpoint, Sink};
use crate::records::OutRecord;
use crate::KafkaError;

const FILES: [&str; 3] = ["compressed.jsonl", "memory.jsonl", "dlq.jsonl"];

pub(crate) enum SinkWriter {
    Topic {
        producer: FutureProducer,
        names: [String; 3],
        pending: Vec<rdkafka::producer::DeliveryFuture>,
    },
    Dir {
        dir: PathBuf,
        files: BTreeMap<String, std::fs::File>,
    },
}

impl SinkWriter {
    pub(crate) fn open(sink: &Sink, cp: &Checkpoint) -> Result<SinkWriter, KafkaError> {
        match sink {
            Sink::Topic {
                bootstrap,
                output,
                memory,
                dlq,
            } => {
                let producer = ClientConfig::new()
                    .set("bootstrap.servers", bootstrap)
                    .set("enable.idempotence", "true")
                    .set("compression.type", "zstd")
                    .create()
                    .map_err(KafkaError::client("recompress producer"))?;
                Ok(SinkWriter::Topic {
                    producer,
                    names: [output.clone(), memory.clone(), dlq.clone()],
                    pending: Vec::new(),
                })
            }
            Sink::Dir(dir) => {
                std::fs::create_dir_all(dir).map_err(|source| KafkaError::Io {
                    path: dir.display().to_string(),
                    source,
                })?;
                let mut files = BTreeMap::new();
                for name in FILES {
                    let path = dir.join(name);
                    let io = |source| KafkaError::Io {
                        path: path.display().to_string(),
                        source,
                    };
                    let f = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)
                        .map_err(io)?;
                    // Drop whatever a stopped run wrote after its last checkpoint.
                    f.set_len(cp.sink_len.get(name).copied().unwrap_or(0))
                        .map_err(io)?;
                    files.insert(name.to_string(), f);
                }
                Ok(SinkWriter::Dir {
                    dir: dir.clone(),
                    files,
                })
            }
        }
    }

    /// Names the records' topics carry: real topics, or the file names.
    pub(crate) fn topics(&self) -> (String, String, String) {
        match self {
            SinkWriter::Topic { names, .. } => {
                (names[0].clone(), names[1].clone(), names[2].clone())
            }
            SinkWriter::Dir { .. } => (FILES[0].into(), FILES[1].into(), FILES[2].into()),
        }
    }

    pub(crate) async fn write(&mut self, recs: Vec<OutRecord>) -> Result<(), KafkaError> {
        match self {
            SinkWriter::Topic {
                producer, pending, ..
            } => {
                for r in &recs {
                    let mut h = OwnedHeaders::new_with_capacity(r.headers.len());
                    for (k, v) in &r.headers {
                        h = h.insert(Header {
                            key: k,
                            value: Some(v),
                        });
                    }
                    let mut fr = FutureRecord::<[u8], [u8]>::to(&r.topic)
                        .payload(&r.payload)
                        .headers(h);
                    if let Some(k) = &r.key {
                        fr = fr.key(k);
                    }
                    loop {
                        match producer.send_result(fr) {
                            Ok(f) => {
                                pending.push(f);
                                break;
                            }
                            Err((
                                rdkafka::error::KafkaError::MessageProduction(
                                    rdkafka::types::RDKafkaErrorCode::QueueFull,
                                ),
                                back,
                            )) => {
                                fr = back;
                                tokio::time::sleep(Duration::from_millis(5)).await;
                            }
                            Err((e, _)) => {
                                return Err(KafkaError::Client {
                                    stage: "recompress produce",
                                    source: e,
                                })
                            }
                        }
                    }
                }
                Ok(())
            }
            SinkWriter::Dir { dir, files } => {
                for r in recs {
                    let line = if r.topic == FILES[2] {
                        dead_letter_line(&r)
                    } else {
                        r.payload
                    };
                    let f = files.get_mut(&r.topic).expect("sink file per record kind");
                    let io = |source| KafkaError::Io {
                        path: dir.join(&r.topic).display().to_string(),
                        source,
                    };
                    f.write_all(&line).map_err(io)?;
                    f.write_all(b"\n").map_err(io)?;
                }
                Ok(())
            }
        }
    }

    /// Makes everything written so far durable and records the sink position.
    pub(crate) async fn flush(&mut self, cp: &mut Checkpoint) -> Result<(), KafkaError> {
        match self {
            SinkWriter::Topic {
                producer, pending, ..
            } => {
                for f in pending.drain(..) {
                    match f.await {
                        Ok(Ok(_)) => {}
                        Ok(Err((e, _))) => {
                            return Err(KafkaError::Client {
                                stage: "recompress delivery",
                                source: e,
                            })
                        }
                        Err(_) => {
                            return Err(KafkaError::Client {
                                stage: "recompress delivery",
                                source: rdkafka::error::KafkaError::Canceled,
                            })
                        }
                    }
                }
                producer
                    .flush(Duration::from_secs(30))
                    .map_err(KafkaError::client("recompress flush"))
            }
            SinkWriter::Dir { dir, files } => {
                for (name, f) in files.iter_mut() {
                    let io = |source| KafkaError::Io {
                        path: dir.join(name).display().to_string(),
                        source,
                    };
                    f.sync_data().map_err(io)?;
                    cp.sink_len
                        .insert(name.clone(), f.metadata().map_err(io)?.len());
                }
                Ok(())
            }
        }
    }
}

/// A dead letter as a JSONL line: the reason headers and the original bytes (hex, since they
/// may not be UTF-8).
fn dead_letter_line(r: &OutRecord) -> Vec<u8> {
    let headers: BTreeMap<&str, String> = r
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), String::from_utf8_lossy(v).into_owned()))
        .collect();
    serde_json::to_vec(
        &serde_json::json!({ "headers": headers, "original_hex": hex::encode(&r.payload) }),
    )
    .expect("dead letter line serialises")
}
