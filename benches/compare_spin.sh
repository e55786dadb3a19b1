#!/usr/bin/env bash
# Compare leash with SPIN on the worker-pool anchor and on the Promela twins
# of the other models/perf designs (see docs/performance.md).
#
# Each argument is a pool size W,J,B (workers, jobs, buffer: the anchor
# /work/shared/anchors/promela/pool.py, or $POOL_PY, against
# models/perf/pool_W_J_B.leash) or a twin KIND:N (twins.py, or $TWINS_PY:
# pipeline:N against pipeline_N.leash, errgroup:N against
# errgroup_fanout_N.leash, heartbeat:D against heartbeat_tree_D.leash). For
# each it generates the Promela model, compiles SPIN's verifier for safety
# (invalid end states, assertions) and runs it, then runs
# `leash check --scenario cancel --format json` on the leash model and prints
# one table line.
#
# Usage: benches/compare_spin.sh [W,J,B | KIND:N ...]
#        (default: the six pool sizes and every twin)
#        e.g. benches/compare_spin.sh 2,4,1 heartbeat:2 pipeline:4
# Environment:
#   LEASH          leash binary (default: target/release/leash, else
#                  $CARGO_TARGET_DIR/release/leash)
#   LEASH_TIMEOUT  seconds for each leash run, passed as --timeout (default 120)
#   LEASH_FLAGS    more options for leash check (e.g. "--max-states 50000000")
#   POOL_PY        the Promela generator (default /work/shared/anchors/promela/pool.py)
#   TWINS_PY       the twins' generator (default: twins.py beside POOL_PY)
#   SPIN_CFLAGS    gcc flags for pan.c (default "-O2 -DSAFETY"; add -DNOREDUCE
#                  to switch SPIN's partial-order reduction off)
#   SPIN_RUNFLAGS  flags of ./pan (default "-m10000000 -w26")
#   SPIN_TIMEOUT   seconds for each ./pan run (default: LEASH_TIMEOUT); pan is
#                  interrupted (SIGINT) and prints its partial statistics
#   SPIN_MEMLIM    pan's memory limit in MB, compiled in as -DMEMLIM (default
#                  8192, like leash's --max-memory default of 8192 MiB)
#
# SPIN seconds are pan's own "elapsed time" (search only); leash seconds are
# the scenario's stats.time_ms (search only, no parsing); leash_MiB is the
# peak resident memory of the leash process (/usr/bin/time's maximum RSS when
# /usr/bin/time exists, else the JSON's peak_memory_bytes). A run of either tool
# that stops at a bound prints its states so far, a ">" before its seconds and
# a note at the end of the line.
# Exit status: 0 (also when spin or gcc is missing: the comparison is skipped).

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
POOL_PY=${POOL_PY:-/work/shared/anchors/promela/pool.py}
TWINS_PY=${TWINS_PY:-$(dirname "$POOL_PY")/twins.py}
LEASH_TIMEOUT=${LEASH_TIMEOUT:-120}
LEASH_FLAGS=${LEASH_FLAGS:-}
SPIN_CFLAGS=${SPIN_CFLAGS:--O2 -DSAFETY}
SPIN_RUNFLAGS=${SPIN_RUNFLAGS:--m10000000 -w26}
SPIN_TIMEOUT=${SPIN_TIMEOUT:-$LEASH_TIMEOUT}
SPIN_MEMLIM=${SPIN_MEMLIM:-8192}

if [ -z "${LEASH:-}" ]; then
    if [ -x "$ROOT/target/release/leash" ]; then
        LEASH="$ROOT/target/release/leash"
    elif [ -n "${CARGO_TARGET_DIR:-}" ] && [ -x "$CARGO_TARGET_DIR/release/leash" ]; then
        LEASH="$CARGO_TARGET_DIR/release/leash"
    else
        LEASH="$ROOT/target/release/leash"
    fi
fi

for tool in spin gcc python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "compare_spin: '$tool' not found; skipping the SPIN comparison" \
             "(install it, e.g. apt-get install -y spin)"
        exit 0
    fi
done
if [ ! -f "$POOL_PY" ]; then
    echo "compare_spin: Promela generator $POOL_PY not found; skipping"
    exit 0
fi
if [ ! -x "$LEASH" ]; then
    echo "compare_spin: leash binary $LEASH not found; build it with" \
         "'cargo build --release' or set LEASH; skipping"
    exit 0
fi

if [ $# -gt 0 ]; then
    SIZES=("$@")
else
    SIZES=(2,4,1 4,8,2 6,12,3 8,16,4 12,24,4 16,32,4
           pipeline:2 pipeline:3 pipeline:4 errgroup:2 errgroup:4 errgroup:6
           heartbeat:1 heartbeat:2 heartbeat:3)
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/compare_spin.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

echo "# $(spin -V 2>&1 | head -n1); gcc $(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)"
echo "# $("$LEASH" --version 2>&1 | head -n1) ($LEASH), --scenario cancel, --timeout $LEASH_TIMEOUT $LEASH_FLAGS"
echo "# pan: gcc $SPIN_CFLAGS -DMEMLIM=$SPIN_MEMLIM; ./pan $SPIN_RUNFLAGS, timeout $SPIN_TIMEOUT s; machine: $(nproc) cores"
printf '%-12s %12s %10s %12s %10s %10s %10s\n' "design" "spin_states" "spin_s" "leash_states" "leash_s" "ratio" "leash_MiB"

for size in "${SIZES[@]}"; do
    case "$size" in
        *:*)
            kind=${size%%:*}; n=${size#*:}
            case "$kind" in
                pipeline) name="pipeline_$n" ;;
                errgroup) name="errgroup_fanout_$n" ;;
                heartbeat) name="heartbeat_tree_$n" ;;
                *) echo "compare_spin: unknown twin '$kind' (pipeline, errgroup, heartbeat)" >&2; continue ;;
            esac
            gen=(python3 "$TWINS_PY" "$kind" "$n")
            label="$kind $n"
            ;;
        *)
            IFS=', ' read -r W J B <<<"$size"
            if [ -z "${W:-}" ] || [ -z "${J:-}" ] || [ -z "${B:-}" ]; then
                echo "compare_spin: bad size '$size' (expected W,J,B or KIND:N)" >&2
                continue
            fi
            name="pool_${W}_${J}_${B}"
            gen=(python3 "$POOL_PY" "$W" "$J" "$B")
            label="pool $W $J $B"
            ;;
    esac
    model="$ROOT/models/perf/$name.leash"

    # --- SPIN ---
    dir="$WORK/$name"
    mkdir -p "$dir"
    spin_states="-"; spin_s="-"; spin_note=""
    if (cd "$dir" && "${gen[@]}" > pool.pml \
            && spin -a pool.pml > spin.log 2>&1 \
            && gcc $SPIN_CFLAGS -DMEMLIM="$SPIN_MEMLIM" -o pan pan.c > gcc.log 2>&1); then
        (cd "$dir" && timeout -s INT "$SPIN_TIMEOUT" ./pan $SPIN_RUNFLAGS > pan.log 2>&1)
        spin_states=$(awk '/states, stored/ {print $1; exit}' "$dir/pan.log")
        spin_s=$(sed -n 's/^pan: elapsed time \([0-9.e+-]*\) seconds.*/\1/p' "$dir/pan.log" | head -n1)
        spin_errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.log" | head -n1)
        if [ "${spin_errors:-0}" != "0" ]; then
            spin_note="spin:errors=$spin_errors"
        fi
        if grep -q "Search not completed" "$dir/pan.log"; then
            if grep -q "^Interrupted" "$dir/pan.log"; then
                spin_note="spin:incomplete(timeout)"
            elif grep -q "MEMLIM" "$dir/pan.log"; then
                spin_note="spin:incomplete(memlim_${SPIN_MEMLIM}MB)"
            else
                spin_note="spin:incomplete"
            fi
            spin_s=">${spin_s:-?}"
        fi
        spin_states=${spin_states:--}; spin_s=${spin_s:--}
    else
        echo "# SPIN failed for $label" >&2
    fi

    # --- leash ---
    leash_states="-"; leash_s="-"; leash_note="-"; leash_mib="-"
    if [ ! -f "$model" ]; then
        echo "# no leash model $model" >&2
    else
        json="$dir/leash.json"
        timer=()
        if [ -x /usr/bin/time ]; then
            timer=(/usr/bin/time -v -o "$dir/leash.time")
        fi
        # shellcheck disable=SC2086
        "${timer[@]}" "$LEASH" check --scenario cancel --timeout "$LEASH_TIMEOUT" $LEASH_FLAGS \
            --format json "$model" > "$json" 2> "$dir/leash.err"
        read -r leash_states leash_s leash_note leash_mib < <(python3 - "$json" "$dir/leash.time" <<'EOF'
import json, re, sys
try:
    mib = "-"
    try:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(sys.argv[2]).read())
        if m:
            mib = "%.0f" % (int(m.group(1)) / 1024.0)
    except OSError:
        pass
    d = json.load(open(sys.argv[1]))
    if mib == "-" and d["models"][0].get("peak_memory_bytes"):
        mib = "%.0f" % (d["models"][0]["peak_memory_bytes"] / 1048576.0)
    s = d["models"][0]["scenarios"][0]
    st = s["stats"]
    secs = "%.3f" % (st["time_ms"] / 1000.0)
    note = "-"
    if s.get("bound"):
        secs = ">" + secs
        note = "incomplete(" + s["bound"].replace(" ", "_") + ")"
    elif s["verdict"] != "verified":
        note = s["verdict"]
    print(st["states"], secs, note, mib)
except Exception as e:
    print("-", "-", "no-json", "-")
EOF
        )
    fi

    ratio=$(python3 -c '
import sys
l, s = sys.argv[1], sys.argv[2]
if l.startswith(">") or s.startswith(">"):
    print("-"); sys.exit()
try:
    l, s = float(l), float(s)
    print("%.1f" % (l / s) if s > 0 else "-")
except ValueError:
    print("-")' "$leash_s" "$spin_s")
    line=$(printf '%-12s %12s %10s %12s %10s %10s %10s' "$label" "$spin_states" "$spin_s" "$leash_states" "$leash_s" "$ratio" "$leash_mib")
    if [ "${leash_note:--}" != "-" ]; then
        line="$line  leash:$leash_note"
    fi
    if [ -n "$spin_note" ]; then
        line="$line  $spin_note"
    fi
    echo "$line"
done
exit 0
