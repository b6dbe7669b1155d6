#!/bin/sh
# natkeep-server.sh: run natkeep serve on two addresses (RFC 5780) with a control socket,
# then wake a device from the shell and show its binding.
#
#   natkeep-server.sh ADDR1 ADDR2 KEYS-FILE            (serve, foreground)
#   natkeep-server.sh wake DEVICE [CALLER]             (ask the running server)
#   natkeep-server.sh binding DEVICE
set -eu
sock=${NATKEEP_CONTROL:-/run/sipwake/natkeep.sock}

request() {
    # One JSON line in, one reply line out (DESIGN.md "Requests in").
    printf '%s\n' "$1" | nc -U -q 2 "$sock"
}

case ${1:-} in
    wake)
        [ $# -ge 2 ] || { echo "usage: $0 wake DEVICE [CALLER]" >&2; exit 2; }
        request "{\"id\":\"$$\",\"op\":\"wake\",\"device\":\"$2\",\"payload\":{\"caller\":\"${3:-unknown}\"}}"
        ;;
    binding)
        [ $# -eq 2 ] || { echo "usage: $0 binding DEVICE" >&2; exit 2; }
        request "{\"id\":\"$$\",\"op\":\"binding\",\"device\":\"$2\"}"
        ;;
    *)
        [ $# -eq 3 ] || { echo "usage: $0 ADDR1 ADDR2 KEYS-FILE | wake DEVICE | binding DEVICE" >&2; exit 2; }
        mkdir -p "$(dirname "$sock")"
        # SIGHUP reloads the keys file.
        exec natkeep serve --listen "udp:$1:3478" --alt-listen "udp:$2:3479" --keys "$3" \
            --control "unix:$sock" --json
        ;;
esac
