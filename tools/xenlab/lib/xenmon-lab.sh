# xenmon-lab.sh: sourced by runner.sh in dom0 for a spec with "xenmon"
# (README "xenmon comparison"). No trace is recorded: the guests are created
# in rounds (1, 4, 16, 40, ...: the round's size is the number of guests
# running), and at each round bench/xenmon_compare runs xenbaked, vtrace and
# xentop in turn, one reader at a time, at the round's event mask.
# Uses runner.sh's create, log, ev, fail (its send and load come later in
# runner.sh: sourced here they do not exist yet, hence xm_start).
xm_start() {  # xm_start I: tell guest I to start its workload
    eval _tty=\$G${1}_TTY _n=\$G${1}_NAME
    printf 'start\n' > "$_tty" || fail "cannot write to $_n's console $_tty"
    ev "sent $_n start"
}
XM="$OUT/xenmon"
mkdir -p "$XM"
made=0
k=0
for round in $XENMON_ROUNDS; do
    n=${round%%:*} mask=${round#*:}
    k=$((k+1))
    if [ "$n" -gt "$made" ]; then
        # dom0 gets 4x the default weight while guests boot (block hotplug
        # and xl under TCG), the default again before any phase
        xl sched-credit2 -d Domain-0 -w 1024 >> "$OUT/runner.log" 2>&1
        i=$((made+1))
        while [ $i -le "$n" ]; do
            create $i || fail "xl create g$i failed"
            i=$((i+1))
        done
        deadline=$(( $(cut -d. -f1 /proc/uptime) + READY_TIMEOUT + 20 * (n - made) ))
        i=$((made+1))
        while [ $i -le "$n" ]; do
            eval name=\$G${i}_NAME
            until grep -q "XENLAB READY" "$OUT/console-$name.log" 2>/dev/null; do
                [ "$(cut -d. -f1 /proc/uptime)" -lt "$deadline" ] || { tail -5 "$OUT/console-$name.log"; fail "guest $name not READY"; }
                sleep 1
            done
            ev "ready $name"
            i=$((i+1))
        done
        xl sched-credit2 -d Domain-0 -w "${DOM0_WEIGHT:-256}" >> "$OUT/runner.log" 2>&1 || fail "could not restore dom0's weight"
        i=$((made+1))
        while [ $i -le "$n" ]; do xm_start $i; i=$((i+1)); done
        made=$n
        log "round $k: $n guests ready and started"
        sleep "$SETTLE"
    fi
    tag=$(printf 'r%d-g%d-%s' "$k" "$n" "$mask")
    ev "xenmon $tag start"
    xl list > "$XM/$tag-xl-list.txt" 2>&1
    python3 "$IN/xenmon_compare" --xenbaked "$IN/xenbaked" --vtrace "$IN/vtrace" --mask "$mask" \
        --pages "$TBUF_PAGES" --phase-s "$XENMON_PHASE_S" --order "$XENMON_ORDER" --out "$XM/$tag" \
        > "$XM/$tag.txt" 2>&1
    rc=$?
    ev "xenmon $tag end rc=$rc"
    log "round $k ($n guests, mask $mask): xenmon_compare exit $rc: $(tail -1 "$XM/$tag.txt")"
done
xl vcpu-list > "$OUT/xl-vcpu-list.txt" 2>&1
