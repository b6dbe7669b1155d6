# shellcheck shell=bash
# Helpers for driving sipreg in e2e tests. Load after lib/common.
#
#   SIPREG                       path of the binary ($SIPWAKE_BIN/sipreg)
#   sipreg_spawn NAME ARGS...    start `sipreg ARGS...` in the background via e2e_spawn
#                                (stdin fifo NAME.in, stdout NAME.out, stderr NAME.err);
#                                sets SIPREG_PID
#   sipreg_events FILE EVENT [FIELD]   validated events named EVENT (or their FIELD)
#   sipreg_event_count FILE EVENT      how many EVENT lines FILE holds
#   sipreg_wait_event FILE EVENT [N] [TIMEOUT]   wait until FILE holds >= N EVENT lines

SIPREG="$SIPWAKE_BIN/sipreg"

sipreg_spawn() {
    local name=$1
    shift
    e2e_spawn "$name" "$SIPREG" "$@"
    SIPREG_PID=$E2E_LAST_PID
    export SIPREG_PID
}

sipreg_events() {
    local file=$1 ev=$2 field=${3:-}
    timeout 10 python3 "$E2E_LIB_DIR/sipcheck.py" events "$file" --tool sipreg --event "$ev" \
        ${field:+--field "$field"}
}

sipreg_event_count() {
    local n
    n=$(grep -c "\"event\" *: *\"$2\"" "$1" 2>/dev/null) || true
    echo "${n:-0}"
}

sipreg_wait_event() {
    local file=$1 ev=$2 n=${3:-1} t=${4:-10}
    # shellcheck disable=SC2016 # expanded by eval on each poll
    wait_until "$t" eval '(( $(sipreg_event_count "'"$file"'" "'"$ev"'") >= '"$n"' ))'
}
