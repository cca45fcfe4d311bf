#!/bin/sh
# runner.sh: runs one experiment inside dom0 (shipped in the run's input
# archive with plan.sh, the guests' xl configs, kernel and initramfs).
# Writes everything into $OUT and archives it onto /dev/vdb.
IN=/run/xenlab-in
OUT=/var/tmp/xenlab-out
rm -rf "$OUT"; mkdir -p "$OUT"
. "$IN/plan.sh"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
T0=$(cut -d' ' -f1 /proc/uptime)
log() { echo "XENLAB-RUNNER [$(cut -d' ' -f1 /proc/uptime)] $*" | tee -a "$OUT/runner.log"; }
ev() { echo "$(cut -d' ' -f1 /proc/uptime) $*" >> "$OUT/events.log"; }
fail() { log "ERROR $*"; echo "$*" > "$OUT/FAILED"; finish; }
finish() {
    log "collecting"
    xl list > "$OUT/xl-list.txt" 2>&1
    xl vcpu-list > "$OUT/xl-vcpu-list-end.txt" 2>&1
    # libxl's and the HVM device models' logs (qemu-dm-NAME.log)
    mkdir -p "$OUT/xen-logs" && cp /var/log/xen/* "$OUT/xen-logs/" 2>/dev/null
    xl dmesg > "$OUT/xl-dmesg.txt" 2>&1
    dmesg > "$OUT/dom0-dmesg.txt" 2>&1
    for p in $(cat /run/xenlab-bg 2>/dev/null); do kill "$p" 2>/dev/null; done
    sleep 1
    ls -la "$OUT" >> "$OUT/runner.log"
    log "archiving results onto /dev/vdb"
    tar cf /dev/vdb -C "$OUT" . || log "ERROR archive write failed"
    sync
    log "done"
    echo o > /proc/sysrq-trigger
    sleep 60
    exit 0
}
bg() { echo "$1" >> /run/xenlab-bg; }

log "experiment $EXP_ID: $G_COUNT guest(s), trace ${DURATION}s mask $MASK"
ev boot-done
# ---- Xen toolstack
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkback xen-netback bridge loop; do
    modprobe "$m" 2>>"$OUT/runner.log" || log "warning: modprobe $m failed"
done
mountpoint -q /proc/xen || mount -t xenfs xenfs /proc/xen || fail "cannot mount xenfs"
xenstored --pid-file=/run/xen/xenstored.pid || fail "xenstored did not start"
xen-init-dom0 >> "$OUT/runner.log" 2>&1 || fail "xen-init-dom0 failed"
xenconsoled --pid-file=/run/xen/xenconsoled.pid || fail "xenconsoled did not start"
xl info > "$OUT/xl-info.txt" 2>&1 || fail "xl info failed"
log "$(grep -E '^(xen_version|cpu_mhz|free_memory|xen_scheduler)' "$OUT/xl-info.txt" | tr -s ' ' | tr '\n' ' ')"

# ---- HVM/PVH specs: dom0's vCPUs stay on pCPU 0 with the PV guests; every
# HVM/PVH vCPU has a pCPU of its own (the guests' "cpus" lines)
if [ -n "$PIN_DOM0" ]; then
    xl vcpu-pin Domain-0 all "$PIN_DOM0" >> "$OUT/runner.log" 2>&1 || fail "cannot pin dom0 to pCPU $PIN_DOM0"
    log "dom0 pinned to pCPU $PIN_DOM0"
fi

# ---- network: a bridge with dom0 on it; guests with a vif join it
ip link add xenbr0 type bridge || fail "cannot create bridge"
ip addr add "$DOM0_IP" dev xenbr0
ip link set xenbr0 up

# ---- start the guests
# Booting guests under TCG can starve dom0's block hotplug script past
# libxl's timeout ("unable to add disk devices"): dom0 gets 4x the default
# credit2 weight until every guest is ready, and the default back before
# tracing, so the traced period is as before.
RAISED=0
if xl sched-credit2 -d Domain-0 -w 1024 >> "$OUT/runner.log" 2>&1; then RAISED=1; else log "could not raise dom0's weight"; fi
i=1
while [ $i -le "$G_COUNT" ]; do
    eval name=\$G${i}_NAME gtype=\$G${i}_TYPE
    log "xl create $name ($gtype)"
    xl create "$IN/$name.cfg" >> "$OUT/xl-create-$name.log" 2>&1 || { cat "$OUT/xl-create-$name.log"; fail "xl create $name failed"; }
    domid=$(xl domid "$name") || fail "no domid for $name"
    # PV and PVH: the PV console (hvc0). HVM: the device model's emulated
    # UART (ttyS0), a pty whose path libxl writes once QEMU is up.
    key=console/tty
    [ "$gtype" = hvm ] && key=serial/0/tty
    tries=0
    until tty=$(xenstore-read "/local/domain/$domid/$key" 2>/dev/null) && [ -n "$tty" ]; do
        tries=$((tries+1))
        [ $tries -lt 60 ] || fail "no console tty for $name (/local/domain/$domid/$key)"
        sleep 1
    done
    stty -F "$tty" raw -echo 2>/dev/null
    # drain the console (a full console ring makes the guest yield) into a
    # log, and copy the guest's XENLAB lines and kernel trouble to the serial log
    ( cat "$tty" | tee "$OUT/console-$name.log" \
        | grep --line-buffered -a -E 'XENLAB|BUG|lockup|stall|panic|Oops' \
        | sed -u "s/^/[$name] /" ) &
    bg $!
    eval G${i}_DOMID=$domid G${i}_TTY=$tty
    echo "$name $domid" >> "$OUT/domids.txt"
    ev "created $name domid=$domid"
    i=$((i+1))
done

# ---- wait until every guest says READY (each one's time is logged when seen)
deadline=$(( $(cut -d. -f1 /proc/uptime) + READY_TIMEOUT ))
while :; do
    left=0
    i=1
    while [ $i -le "$G_COUNT" ]; do
        eval name=\$G${i}_NAME seen=\$G${i}_READY
        if [ -z "$seen" ]; then
            if grep -q "XENLAB READY" "$OUT/console-$name.log" 2>/dev/null; then
                ev "ready $name"; eval G${i}_READY=1
            else
                left=$((left+1))
            fi
        fi
        i=$((i+1))
    done
    [ $left -eq 0 ] && break
    if [ "$(cut -d. -f1 /proc/uptime)" -ge "$deadline" ]; then
        xl list
        i=1
        while [ $i -le "$G_COUNT" ]; do
            eval name=\$G${i}_NAME seen=\$G${i}_READY
            [ -n "$seen" ] || { tail -5 "$OUT/console-$name.log"; fail "guest $name not READY after ${READY_TIMEOUT}s"; }
            i=$((i+1))
        done
    fi
    sleep 1
done
log "all guests ready"
xl vcpu-list > "$OUT/xl-vcpu-list.txt" 2>&1
if [ "$RAISED" = 1 ]; then
    xl sched-credit2 -d Domain-0 -w 256 >> "$OUT/runner.log" 2>&1 || fail "could not restore dom0's weight"
fi
# let boot-time console output and frontend setup settle before tracing
sleep "$SETTLE"

# ---- trace
ev trace-start
# the trace goes straight onto its own raw disk (/dev/vdd): copying it through
# dom0's file system and the results archive would cost minutes under TCG
xentrace -D -e "$MASK" -S "$TBUF_PAGES" -T "$DURATION" "$TRACE_DEV" > "$OUT/xentrace.log" 2>&1 &
XT=$!
sleep 2
kill -0 $XT 2>/dev/null || fail "xentrace exited at once: $(cat "$OUT/xentrace.log")"
log "xentrace running (pid $XT)"

send() {  # send NAME-INDEX TEXT
    eval _tty=\$G${1}_TTY _n=\$G${1}_NAME
    printf '%s\n' "$2" > "$_tty"
    ev "sent $_n $2"
}

i=1
while [ $i -le "$G_COUNT" ]; do
    eval name=\$G${i}_NAME wl=\$G${i}_WL ip=\$G${i}_IPADDR fat=\$G${i}_FAULT_AT
    send $i start
    case "$wl" in
        net)
            timeout $((DURATION + 20)) iperf3 -c "$ip" -t "$((DURATION - 4))" -i 10 > "$OUT/load-$name.log" 2>&1 &
            bg $! ;;
        web)
            # ab -t stops after 50000 requests: repeat it until the trace ends
            ( end=$(( $(cut -d. -f1 /proc/uptime) + DURATION - 4 ))
              while :; do
                  left=$(( end - $(cut -d. -f1 /proc/uptime) ))
                  [ $left -gt 2 ] || break
                  timeout $((left + 15)) ab -r -s 5 -c "$WEB_CONCURRENCY" -t $left -n 50000 \
                      "http://$ip/64k.bin" || sleep 1
              done ) > "$OUT/load-$name.log" 2>&1 &
            bg $! ;;
    esac
    if [ -n "$fat" ]; then
        eval fmode=\$G${i}_FAULT_MODE fmask=\$G${i}_FAULT_MASK
        ( sleep "$fat"; send $i "fault $fmode $fmask $FAULT_DELAY_MS" ) &
        bg $!
    fi
    i=$((i+1))
done

# ---- wait for the trace to end (xentrace stops itself after DURATION s)
waited=0
while kill -0 $XT 2>/dev/null; do
    sleep 2; waited=$((waited + 2))
    if [ $waited -gt $((DURATION + 60)) ]; then
        log "ERROR xentrace still running after $waited s: stopping it"
        kill -INT $XT; sleep 5; kill -KILL $XT 2>/dev/null
        echo "xentrace overran" > "$OUT/FAILED"
        break
    fi
done
wait $XT 2>/dev/null
ev trace-end
sync
log "trace done"
i=1
while [ $i -le "$G_COUNT" ]; do send $i status; i=$((i+1)); done
sleep 3

# ---- the live path: vtrace reads the hypervisor's buffers itself
if [ -n "$VTRACE_SECONDS" ] && [ -x "$IN/vtrace" ]; then
    ev vtrace-record-start
    log "vtrace record for ${VTRACE_SECONDS}s"
    "$IN/vtrace" record "$OUT/vtrace-record.xtr" --seconds "$VTRACE_SECONDS" \
        > "$OUT/vtrace-record.out" 2> "$OUT/vtrace-record.err" || log "ERROR vtrace record failed"
    ev vtrace-run-start
    log "vtrace run for ${VTRACE_SECONDS}s"
    "$IN/vtrace" run --seconds "$VTRACE_SECONDS" --cpus 0 --format csv --record "$OUT/vtrace-run.xtr" \
        > "$OUT/vtrace-run.csv" 2> "$OUT/vtrace-run.err" || log "ERROR vtrace run failed"
    ev vtrace-end
    xentrace -e all -S 16 -T 1 /dev/null > /dev/null 2>&1  # is tracing left usable by others?
    log "vtrace done: $(tail -1 "$OUT/vtrace-run.err")"
fi
finish
