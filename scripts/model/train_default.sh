#!/usr/bin/env bash
# Reproduces models/default from scratch: training data, round 0 on teacher labels, then two
# self-labelling rounds (relabel with the previous round + floor, continue training).
# Usage: scripts/model/train_default.sh [STEPS] [SCALE] [ROUND_STEPS]
#   defaults: 150 steps for round 0, scale 1, 60 steps for each self-labelling round (1, 2),
#   which continues from the previous round's adapter.
# Work files go to out/training/; the final adapter is copied to models/default/.
# Needs scripts/setup_torch.sh to have run. Each round's metrics: out/training/roundN/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
STEPS=${1:-150}
SCALE=${2:-1}
ROUND_STEPS=${3:-60}
W=out/training
DEV=${KOMPRESS_DEV:-../shared/data/dev.jsonl}
mkdir -p "$W"
scripts/model/make_training_data.sh "$W/train.jsonl" "$SCALE"
EVAL=""
[ -f "$DEV" ] && EVAL="\"eval_data\": \"$DEV\","
export KOMPRESS_LOG=${KOMPRESS_LOG:-info}   # step losses on stderr
run() { cargo run -q --release -p kompress-cli -- "$@"; }
settings() { # data out_dir steps [init_from]
    local init=""
    [ -n "${4:-}" ] && init="\"init_from\": \"$4\","
    cat > "$W/$(basename "$2").json" <<JSON
{"data": ["$1"], "out_dir": "$2", $EVAL $init "steps": $3}
JSON
    echo "$W/$(basename "$2").json"
}
run train "$(settings "$W/train.jsonl" "$W/round0" "$STEPS")"
for r in 1 2; do
    p=$((r - 1))
    cat > "$W/relabel$r.json" <<JSON
{"model_dir": "$W/round$p", "data": ["$W/train.jsonl"], "out": "$W/relabelled$r.jsonl"}
JSON
    run relabel "$W/relabel$r.json"
    run train "$(settings "$W/relabelled$r.jsonl" "$W/round$r" "$ROUND_STEPS" "$W/round$p")"
done
# pick the round with the best critical recall (model + floor) on the dev evaluation split,
# then the lowest keep rate; without a dev set, the last round
BEST=$(python3 - "$W" <<'PY'
import json, sys
w = sys.argv[1]
rounds = []
for r in (0, 1, 2):
    e = json.load(open(f"{w}/round{r}/train_report.json")).get("eval")
    rounds.append((r, e))
if any(e is None for _, e in rounds):
    print(2)
else:
    print(max(rounds, key=lambda x: (round(x[1]["critical_recall_with_floor"], 3), -x[1]["keep_rate_with_floor"]))[0])
PY
)
mkdir -p models/default
for f in lora.safetensors heads.safetensors README.md train_config.json train_report.json; do
    cp "$W/round$BEST/$f" "models/default/$f"
done
python3 - "$W/round$BEST/adapter_config.json" models/default/adapter_config.json <<'PY'
import json, os, sys
cfg = json.load(open(sys.argv[1]))
base = os.path.normpath(os.path.join(os.path.dirname(sys.argv[1]), cfg["base_model_name_or_path"]))
cfg["base_model_name_or_path"] = os.path.relpath(base, os.path.dirname(sys.argv[2]))
json.dump(cfg, open(sys.argv[2], "w"), indent=2)
PY
echo "models/default <- round $BEST (all rounds: out/training/round{0,1,2}/README.md)"
