//! `config.json` parsing: both families, both ModernBERT layouts, strict fields, errors that
//! name the field.

use kompress_model::config::AttentionKind;
use kompress_model::{ModelConfig, ModelError};

const MINILM: &str = r#"{"_name_or_path": "nreimers/MiniLM-L6-H384-uncased", "architectures": ["BertModel"],
 "attention_probs_dropout_prob": 0.1, "gradient_checkpointing": false, "hidden_act": "gelu",
 "hidden_dropout_prob": 0.1, "hidden_size": 384, "initializer_range": 0.02, "intermediate_size": 1536,
 "layer_norm_eps": 1e-12, "max_position_embeddings": 512, "model_type": "bert", "num_attention_heads": 12,
 "num_hidden_layers": 6, "pad_token_id": 0, "position_embedding_type": "absolute",
 "transformers_version": "4.8.2", "type_vocab_size": 2, "use_cache": true, "vocab_size": 30522}"#;

const MODERNBERT_BASE: &str = r#"{"architectures": ["ModernBertForMaskedLM"], "attention_bias": false,
 "attention_dropout": 0.0, "bos_token_id": 50281, "classifier_activation": "gelu", "classifier_bias": false,
 "classifier_dropout": 0.0, "classifier_pooling": "mean", "cls_token_id": 50281, "decoder_bias": true,
 "deterministic_flash_attn": false, "embedding_dropout": 0.0, "eos_token_id": 50282,
 "global_attn_every_n_layers": 3, "global_rope_theta": 160000.0, "gradient_checkpointing": false,
 "hidden_activation": "gelu", "hidden_size": 768, "initializer_cutoff_factor": 2.0, "initializer_range": 0.02,
 "intermediate_size": 1152, "layer_norm_eps": 1e-05, "local_attention": 128, "local_rope_theta": 10000.0,
 "max_position_embeddings": 8192, "mlp_bias": false, "mlp_dropout": 0.0, "model_type": "modernbert",
 "norm_bias": false, "norm_eps": 1e-05, "num_attention_heads": 12, "num_hidden_layers": 22,
 "pad_token_id": 50283, "position_embedding_type": "absolute", "sep_token_id": 50282,
 "tie_word_embeddings": true, "torch_dtype": "float32", "transformers_version": "4.48.0", "vocab_size": 50368}"#;

fn field_of(err: ModelError) -> String {
    match err {
        ModelError::InvalidConfig { field, .. } => field,
        other => panic!("expected an invalid-config error, got {other}"),
    }
}

#[test]
fn minilm_config_parses_as_bert() {
    let ModelConfig::Bert(c) = ModelConfig::from_json(MINILM).unwrap() else {
        panic!("MiniLM is a BERT")
    };
    assert_eq!(
        (c.hidden_size, c.num_hidden_layers, c.num_attention_heads),
        (384, 6, 12)
    );
    assert_eq!(c.layer_norm_eps, 1e-12);
}

#[test]
fn modernbert_hub_layout_alternates_global_and_local_layers() {
    let ModelConfig::ModernBert(c) = ModelConfig::from_json(MODERNBERT_BASE).unwrap() else {
        panic!("ModernBERT-base is a ModernBERT")
    };
    let kinds = c.attention_kinds();
    assert_eq!(kinds.len(), 22);
    assert_eq!(kinds[0], AttentionKind::Global { theta: 160_000.0 });
    assert_eq!(
        kinds[1],
        AttentionKind::Local {
            theta: 10_000.0,
            half_window: 64
        }
    );
    assert!(matches!(kinds[3], AttentionKind::Global { .. }));
}

#[test]
fn modernbert_transformers5_layout_uses_layer_types_and_rope_parameters() {
    let json = r#"{"model_type": "modernbert", "vocab_size": 512, "hidden_size": 64, "num_hidden_layers": 2,
      "num_attention_heads": 4, "intermediate_size": 96, "local_attention": 16,
      "layer_types": ["sliding_attention", "full_attention"],
      "rope_parameters": {"full_attention": {"rope_type": "default", "rope_theta": 5000.0},
                          "sliding_attention": {"rope_type": "default", "rope_theta": 700.0}}}"#;
    let ModelConfig::ModernBert(c) = ModelConfig::from_json(json).unwrap() else {
        panic!("modernbert")
    };
    assert_eq!(
        c.attention_kinds(),
        vec![
            AttentionKind::Local {
                theta: 700.0,
                half_window: 8
            },
            AttentionKind::Global { theta: 5000.0 }
        ]
    );
}

#[test]
fn unknown_field_is_rejected_by_name() {
    let json = MINILM.replace("\"use_cache\": true", "\"use_cahce\": true");
    let err = ModelConfig::from_json(&json).unwrap_err();
    let msg = format!("{err}: {}", std::error::Error::source(&err).unwrap());
    assert!(msg.contains("use_cahce"), "{msg}");
}

#[test]
fn heads_that_do_not_divide_hidden_size_name_the_field() {
    let json = MINILM.replace("\"num_attention_heads\": 12", "\"num_attention_heads\": 7");
    assert_eq!(
        field_of(ModelConfig::from_json(&json).unwrap_err()),
        "hidden_size"
    );
}

#[test]
fn unsupported_activation_names_the_field() {
    let json = MINILM.replace("\"hidden_act\": \"gelu\"", "\"hidden_act\": \"relu\"");
    assert_eq!(
        field_of(ModelConfig::from_json(&json).unwrap_err()),
        "hidden_act"
    );
}

#[test]
fn special_token_outside_vocabulary_names_the_field() {
    let json = MODERNBERT_BASE.replace("\"cls_token_id\": 50281", "\"cls_token_id\": 99999");
    assert_eq!(
        field_of(ModelConfig::from_json(&json).unwrap_err()),
        "cls_token_id"
    );
}

#[test]
fn unknown_model_type_is_reported() {
    let json = MINILM.replace("\"model_type\": \"bert\"", "\"model_type\": \"gpt2\"");
    let err = ModelConfig::from_json(&json).unwrap_err();
    assert_eq!(err.kind(), "unsupported_model_type");
    assert!(err.to_string().contains("gpt2"));
}

#[test]
fn missing_model_type_names_the_field() {
    assert_eq!(
        field_of(ModelConfig::from_json("{}").unwrap_err()),
        "model_type"
    );
}
