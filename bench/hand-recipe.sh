#!/bin/bash
# The seeds' recipe as an operator types it from the HOWTO (Sangoma's TEQL guide, LARTC chapter 10),
# run as a script beside wanbond in the same benchmark run: start the cards, load TEQL, enslave each
# line, a fake /31 on teql0, bring it up, the default route, rp_filter off.
#   hand-recipe.sh up|down WANROUTER LINE...
# Prints how many programs it started (processes=N) and how long the card's start or stop took
# (card_ms=), so the benchmark compares like with like.
set -e
action=$1; wanrouter=$2; shift 2
n=0
run() { n=$((n + 1)); "$@"; }
case "$action" in
  up)
    t0=$EPOCHREALTIME; run "$wanrouter" start >/dev/null; t1=$EPOCHREALTIME
    echo "card_ms=$(( (${t1/./} - ${t0/./}) / 1000 ))"
    run modprobe sch_teql max_equalizers=2
    for l in "$@"; do run tc qdisc add dev "$l" root teql0; done
    run ip addr add 10.0.0.0/31 dev teql0
    run ip link set dev teql0 up
    run ip route add default dev teql0
    echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter
    for l in "$@"; do echo 0 > "/proc/sys/net/ipv4/conf/$l/rp_filter"; done
    ;;
  down)
    run ip route del default dev teql0
    run ip link set dev teql0 down
    run ip addr del 10.0.0.0/31 dev teql0
    for l in "$@"; do run tc qdisc del dev "$l" root; done
    t0=$EPOCHREALTIME; run "$wanrouter" stop >/dev/null; t1=$EPOCHREALTIME
    echo "card_ms=$(( (${t1/./} - ${t0/./}) / 1000 ))"
    run modprobe -r sch_teql
    ;;
  *) echo "usage: $0 up|down WANROUTER LINE..." >&2; exit 2 ;;
esac
echo "processes=$n"
