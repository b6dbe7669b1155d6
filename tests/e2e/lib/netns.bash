# shellcheck shell=bash
# A three-namespace NAT topology for natkeep tests (DESIGN.md "Tests and real peers").
#
#   device ns                 NAT ns                              server ns
#   100.64.0.2/24 --veth-- 100.64.0.1 | 198.51.100.1 --veth-- 198.51.100.10/24
#   default via 100.64.0.1     nftables masquerade              198.51.100.11/24 (RFC 5780)
#                              own nf_conntrack_udp_timeout     no route to 100.64/10
#
# Load after lib/common; call `netns_setup [options]` in setup() and `netns_teardown`
# in teardown(). Names carry the test's PID and a random tag, so parallel runs do not
# collide; teardown deletes the namespaces (and with them the veths and the NAT state).
#
#   netns_setup [--udp-timeout S] [--udp-stream-timeout S] [--random]
#                             build it; skips when not root / no netns. The stream
#                             timeout (flows that saw replies for over 2 s) defaults
#                             to the udp timeout.
#   netns_dev CMD... / netns_nat CMD... / netns_srv CMD...   run in a namespace
#   netns_nat_timeout S       change the NAT's UDP conntrack timeouts
#   netns_nat_flush           drop every NAT mapping (conntrack -F)
#   netns_nat_readdress       move the NAT to a new public address (198.51.100.2)
#   netns_nat_mappings        list the NAT's UDP conntrack entries
# Variables: NS_DEV NS_NAT NS_SRV, DEV_IP NAT_IP NAT_IP2 SRV_IP SRV_IP2

DEV_IP=100.64.0.2
NAT_IN_IP=100.64.0.1
NAT_IP=198.51.100.1
NAT_IP2=198.51.100.2
SRV_IP=198.51.100.10
SRV_IP2=198.51.100.11

# Skip the test (with the reason) unless namespaces, nft and conntrack are usable.
netns_require() {
    [[ $(id -u) == 0 ]] || skip "needs root to create network namespaces"
    local c
    for c in ip nft conntrack; do
        command -v "$c" >/dev/null 2>&1 || skip "$c not installed (needed for the NAT topology)"
    done
    local probe="swprobe$$"
    ip netns add "$probe" 2>/dev/null || skip "network namespaces not supported here (ip netns add failed)"
    ip netns del "$probe" 2>/dev/null || true
}

netns_dev() { ip netns exec "$NS_DEV" "$@"; }
netns_nat() { ip netns exec "$NS_NAT" "$@"; }
netns_srv() { ip netns exec "$NS_SRV" "$@"; }

# netns_nat_rules [random]: (re)load the NAT's nftables ruleset.
netns_nat_rules() {
    local how="masquerade"
    [[ ${1:-} == random ]] && how="masquerade random,fully-random"
    netns_nat nft -f - <<NFT
flush ruleset
table ip natkeep_test {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "${NS_TAG}o" $how
    }
}
NFT
}

# netns_nat_timeout S [STREAM]: the UDP timeouts; by default a hole that saw replies
# ("stream") lasts S too.
netns_nat_timeout() {
    netns_nat sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$1" \
        net.netfilter.nf_conntrack_udp_timeout_stream="${2:-$1}"
}

netns_nat_flush() { netns_nat conntrack -F >/dev/null 2>&1 || true; }
netns_nat_mappings() { netns_nat conntrack -L -p udp 2>/dev/null; }

# Move the NAT's public side to NAT_IP2 (as a CGNAT re-addressing does) and flush.
netns_nat_readdress() {
    netns_nat ip addr add "$NAT_IP2/24" dev "${NS_TAG}o"
    netns_nat nft -f - <<NFT
flush ruleset
table ip natkeep_test {
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        oifname "${NS_TAG}o" snat to $NAT_IP2
    }
}
NFT
    netns_nat_flush
}

netns_setup() {
    local timeout=5 stream="" random=""
    while (($#)); do
        case $1 in
            --udp-timeout) timeout=$2; shift 2 ;;
            --udp-stream-timeout) stream=$2; shift 2 ;;
            --random) random=random; shift ;;
            *) echo "netns_setup: unknown option $1" >&2; return 2 ;;
        esac
    done
    netns_require
    # 6 hex chars keep veth names ("sw" + tag + suffix) within IFNAMSIZ.
    NS_TAG="sw$(printf '%04x' $(($$ % 65536)))$(printf '%02x' $((RANDOM % 256)))"
    NS_DEV="${NS_TAG}-dev" NS_NAT="${NS_TAG}-nat" NS_SRV="${NS_TAG}-srv"
    export NS_TAG NS_DEV NS_NAT NS_SRV DEV_IP NAT_IP NAT_IP2 SRV_IP SRV_IP2
    # Remember for teardown even if a later step fails.
    [[ -n ${E2E_TMP:-} ]] && echo "$NS_TAG" >>"$E2E_TMP/.netns"
    ip netns add "$NS_DEV" && ip netns add "$NS_NAT" && ip netns add "$NS_SRV" || return 1
    ip link add "${NS_TAG}d" netns "$NS_DEV" type veth peer name "${NS_TAG}i" netns "$NS_NAT"
    ip link add "${NS_TAG}o" netns "$NS_NAT" type veth peer name "${NS_TAG}s" netns "$NS_SRV"
    netns_dev ip link set lo up
    netns_dev ip addr add "$DEV_IP/24" dev "${NS_TAG}d"
    netns_dev ip link set "${NS_TAG}d" up
    netns_dev ip route add default via "$NAT_IN_IP"
    netns_nat ip link set lo up
    netns_nat ip addr add "$NAT_IN_IP/24" dev "${NS_TAG}i"
    netns_nat ip addr add "$NAT_IP/24" dev "${NS_TAG}o"
    netns_nat ip link set "${NS_TAG}i" up
    netns_nat ip link set "${NS_TAG}o" up
    netns_nat sysctl -qw net.ipv4.ip_forward=1
    netns_srv ip link set lo up
    netns_srv ip addr add "$SRV_IP/24" dev "${NS_TAG}s"
    netns_srv ip addr add "$SRV_IP2/24" dev "${NS_TAG}s"
    netns_srv ip link set "${NS_TAG}s" up
    netns_nat_rules "$random"
    # conntrack sysctls exist once the NAT table has pulled in nf_conntrack.
    netns_nat_timeout "$timeout" "$stream"
    # Readiness: all four veth ends report carrier (no fixed sleep).
    wait_until 5 _netns_links_up || {
        echo "netns_setup: veth links did not come up" >&2
        return 1
    }
}

_netns_links_up() {
    [[ $(netns_dev cat "/sys/class/net/${NS_TAG}d/operstate") == up ]] &&
        [[ $(netns_nat cat "/sys/class/net/${NS_TAG}i/operstate") == up ]] &&
        [[ $(netns_nat cat "/sys/class/net/${NS_TAG}o/operstate") == up ]] &&
        [[ $(netns_srv cat "/sys/class/net/${NS_TAG}s/operstate") == up ]]
}

netns_teardown() {
    local tag tags=()
    [[ -n ${NS_TAG:-} ]] && tags+=("$NS_TAG")
    [[ -n ${E2E_TMP:-} && -f $E2E_TMP/.netns ]] && mapfile -t -O "${#tags[@]}" tags <"$E2E_TMP/.netns"
    for tag in "${tags[@]}"; do
        [[ -n $tag ]] || continue
        ip netns del "${tag}-dev" 2>/dev/null || true
        ip netns del "${tag}-nat" 2>/dev/null || true
        ip netns del "${tag}-srv" 2>/dev/null || true
    done
    NS_TAG=
}
