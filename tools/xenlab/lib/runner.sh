#!/bin/sh
# runner.sh: runs one experiment inside dom0 (shipped in the run's input
# archive with plan.sh, the guests' xl configs, kernel and initramfs).
# Writes everything into $OUT and archives it onto /dev/vdb.
IN=/run/xenlab-in
OUT=/var/tmp/xenlab-out
rm -rf "$OUT"; mkdir -p "$OUT"
. "$IN/plan.sh"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin
# shared libraries vtrace needs that dom0 lacks (run-experiment ships them)
[ -d "$IN/lib" ] && export LD_LIBRARY_PATH="$IN/lib"
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
    if [ -n "$UNIT" ]; then
        journalctl -b -o short-monotonic --no-pager > "$OUT/journal.txt" 2>&1
        systemctl --failed --no-pager > "$OUT/systemctl-failed.txt" 2>&1
    fi
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
# ---- the packaged monitor ("vtrace": {"package": true}): the .deb that
# tools/package built, and the runtime dependencies dom0 lacks, installed
# as an operator would (dpkg -i; dom0 has no network for apt)
if [ -n "$PACKAGE" ] && [ -n "$UNIT" ]; then
    # the systemd image (UNIT): apt-get install of the local .debs, as the
    # README says, offline: the dependencies dom0 lacks are among them, and
    # no Recommends (ca-certificates, publicsuffix: dom0 has no network)
    if ( cd "$IN/debs" && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ./*.deb ) > "$OUT/dpkg-install.log" 2>&1; then
        log "apt-get install ./*.deb: done"
    else
        log "apt-get install ./*.deb failed ($(tail -1 "$OUT/dpkg-install.log")): dpkg -i instead"
        dpkg -i "$IN"/debs/*.deb >> "$OUT/dpkg-install.log" 2>&1 \
            || fail "dpkg -i of the vtrace package failed: $(tail -3 "$OUT/dpkg-install.log" | tr '\n' ' ')"
    fi
elif [ -n "$PACKAGE" ]; then
    dpkg -i "$IN"/debs/*.deb > "$OUT/dpkg-install.log" 2>&1 \
        || fail "dpkg -i of the vtrace package failed: $(tail -3 "$OUT/dpkg-install.log" | tr '\n' ' ')"
fi
if [ -n "$PACKAGE" ]; then
    { dpkg -s vtrace; echo; dpkg -L vtrace; echo; ls -ld /var/log/vtrace; } > "$OUT/dpkg-vtrace.txt" 2>&1
    cp /etc/vtrace/vtrace.toml "$OUT/vtrace.toml"
    /usr/bin/vtrace --help > "$OUT/vtrace-help.txt" 2>&1 || fail "the installed vtrace does not run: $(head -3 "$OUT/vtrace-help.txt")"
    log "installed $(ls "$IN"/debs | tr '\n' ' ')"
fi
# ---- Xen toolstack
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-blkback xen-netback bridge loop; do
    modprobe "$m" 2>>"$OUT/runner.log" || log "warning: modprobe $m failed"
done
mountpoint -q /proc/xen || mount -t xenfs xenfs /proc/xen || fail "cannot mount xenfs"
if [ -n "$UNIT" ] && pgrep -x 'o?xenstored' > /dev/null; then
    # systemd's xen.service (Debian's /etc/init.d/xen) started the daemons
    log "xen.service: $(systemctl is-active xen.service); xenstored, xenconsoled: $(pgrep -x 'o?xenstored|xenconsoled' | tr '\n' ' ')"
    systemctl status --no-pager xen.service > "$OUT/xen-service.txt" 2>&1
else
xenstored --pid-file=/run/xen/xenstored.pid || fail "xenstored did not start"
xen-init-dom0 >> "$OUT/runner.log" 2>&1 || fail "xen-init-dom0 failed"
xenconsoled --pid-file=/run/xen/xenconsoled.pid || fail "xenconsoled did not start"
fi
xl info > "$OUT/xl-info.txt" 2>&1 || fail "xl info failed"
log "$(grep -E '^(xen_version|cpu_mhz|free_memory|xen_scheduler)' "$OUT/xl-info.txt" | tr -s ' ' | tr '\n' ' ')"

# ---- HVM/PVH specs: dom0's vCPUs stay on pCPU 0 with the PV guests; every
# HVM/PVH vCPU has a pCPU of its own (the guests' "cpus" lines)
if [ -n "$PIN_DOM0" ]; then
    xl vcpu-pin Domain-0 all "$PIN_DOM0" >> "$OUT/runner.log" 2>&1 || fail "cannot pin dom0 to pCPU $PIN_DOM0"
    log "dom0 pinned to pCPU $PIN_DOM0"
fi

# ---- network: loopback (dom0's init leaves it down; the packaged vtrace
# serves /metrics on 127.0.0.1), and a bridge with dom0 on it; guests with
# a vif join it
ip link set lo up || log "warning: cannot bring lo up"
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
# attach I: find guest I's domid and console tty (PV and PVH: the PV console
# (hvc0); HVM: the device model's emulated UART (ttyS0), a pty whose path
# libxl writes once QEMU is up) and drain the console (a full console ring
# makes the guest yield) into its log, appending (a rebooted or restored
# guest is a new domain with a new tty); the guest's XENLAB lines and kernel
# trouble go to the serial log.
attach() {
    eval _n=\$G${1}_NAME _ty=\$G${1}_TYPE
    _d=$(xl domid "$_n" 2>/dev/null) || { log "no domid for $_n"; return 1; }
    _key=console/tty
    [ "$_ty" = hvm ] && _key=serial/0/tty
    _tries=0
    until _tty=$(xenstore-read "/local/domain/$_d/$_key" 2>/dev/null) && [ -n "$_tty" ]; do
        _tries=$((_tries+1))
        [ $_tries -lt 60 ] || { log "no console tty for $_n (/local/domain/$_d/$_key)"; return 1; }
        sleep 1
    done
    stty -F "$_tty" raw -echo 2>/dev/null
    ( cat "$_tty" | tee -a "$OUT/console-$_n.log" \
        | grep --line-buffered -a -E 'XENLAB|BUG|lockup|stall|panic|Oops' \
        | sed -u "s/^/[$_n] /" ) &
    bg $!
    eval G${1}_DOMID=$_d G${1}_TTY=$_tty
    echo "$_n $_d" >> "$OUT/domids.txt"
    ev "attached $_n domid=$_d tty=$_tty"
    return 0
}
# create I: xl create guest I and attach its console
create() {
    eval _n=\$G${1}_NAME _ty=\$G${1}_TYPE
    log "xl create $_n ($_ty)"
    xl create "$IN/$_n.cfg" >> "$OUT/xl-create-$_n.log" 2>&1 || { cat "$OUT/xl-create-$_n.log"; return 1; }
    ev "created $_n domid=$(xl domid "$_n" 2>/dev/null)"
    attach "$1"
}
# ---- the xenmon comparison (spec "xenmon"): xenmon-lab.sh makes the guests
# in rounds and runs bench/xenmon_compare at each size; no trace is recorded
if [ -n "$XENMON" ]; then
    . "$IN/xenmon-lab.sh"
    finish
fi
i=1
while [ $i -le "$G_COUNT" ]; do
    eval name=\$G${i}_NAME boot=\$G${i}_BOOT
    if [ "$boot" = later ]; then
        # created by a lifecycle step during the trace
        eval G${i}_READY=1
    else
        create $i || fail "xl create $name failed"
    fi
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
# the guests' identity as the toolstack and xenstore say it (what vtrace's
# names and uuids are checked against): xl list -v, and per guest
# "NAME DOMID /local/domain/D/name /local/domain/D/vm"
xl list -v > "$OUT/xl-list-v.txt" 2>&1
i=1
while [ $i -le "$G_COUNT" ]; do
    eval name=\$G${i}_NAME
    if _d=$(xl domid "$name" 2>/dev/null); then
        echo "$name $_d $(xenstore-read "/local/domain/$_d/name" 2>&1) $(xenstore-read "/local/domain/$_d/vm" 2>&1)" >> "$OUT/identity.txt"
    fi
    i=$((i+1))
done
if [ "$RAISED" = 1 ]; then
    xl sched-credit2 -d Domain-0 -w "${DOM0_WEIGHT:-256}" >> "$OUT/runner.log" 2>&1 || fail "could not restore dom0's weight"
fi
# let boot-time console output and frontend setup settle before tracing
sleep "$SETTLE"

send() {  # send NAME-INDEX TEXT
    eval _tty=\$G${1}_TTY _n=\$G${1}_NAME
    printf '%s\n' "$2" > "$_tty"
    ev "sent $_n $2"
}
# load I: the dom0 side of guest I's workload (net: iperf3 client; web: ab)
# for SECONDS (default: the rest of the trace)
load() {
    eval _n=\$G${1}_NAME _wl=\$G${1}_WL _ip=\$G${1}_IPADDR
    _secs=${2:-$DURATION}
    case "$_wl" in
        net)
            timeout $((_secs + 20)) iperf3 -c "$_ip" -t "$((_secs - 4))" -i 10 >> "$OUT/load-$_n.log" 2>&1 &
            bg $! ;;
        web)
            # ab -t stops after 50000 requests: repeat it until the trace ends
            ( end=$(( $(cut -d. -f1 /proc/uptime) + _secs - 4 ))
              while :; do
                  left=$(( end - $(cut -d. -f1 /proc/uptime) ))
                  [ $left -gt 2 ] || break
                  timeout $((left + 15)) ab -r -s 5 -c "$WEB_CONCURRENCY" -t $left -n 50000 \
                      "http://$_ip/64k.bin" || sleep 1
              done ) >> "$OUT/load-$_n.log" 2>&1 &
            bg $! ;;
    esac
}

# scrape NNN: the packaged vtrace's /metrics into metrics/NNN.txt
scrape() {
    if curl -sS -m 20 -o "$OUT/metrics/$1.txt" http://127.0.0.1:9464/metrics 2>> "$OUT/scrape.err"; then
        ev "scrape $1 $(wc -l < "$OUT/metrics/$1.txt") lines"
    else
        ev "scrape-failed $1"
    fi
}

# ---- trace
if [ -n "$LIVE" ]; then
    # Lifecycle experiments: vtrace itself is the only reader of the rings
    # for the whole trace (vtrace run --detect, its verdicts live, its
    # --record file straight onto the trace disk), while lifecycle steps run.
    # It runs until the steps are done and TAIL s more (at least DURATION s,
    # at most DURATION + 600 s): a slow step (a loaded host) delays the ones
    # after it, and none is cut off by the end of the trace.
    ev trace-start
    if [ -n "$UNIT" ]; then
    # the systemd image: the packaged unit itself, as shipped
    systemctl start vtrace.service > "$OUT/vtrace-start.txt" 2>&1
    elif [ -n "$PACKAGE" ]; then
    # the packaged service as its unit's ExecStart runs it (vtrace run
    # --config /etc/vtrace/vtrace.toml: detect, verdicts in
    # /var/log/vtrace/verdicts.jsonl, metrics on 127.0.0.1:9464, the models
    # in /usr/share/vtrace/models), plus what the lab needs: an end, the
    # recording on the trace disk, and the samples as CSV
    /usr/bin/vtrace run --config /etc/vtrace/vtrace.toml --seconds "$((DURATION + 600))" \
        --record "$TRACE_DEV" --format csv > "$OUT/vtrace-run.csv" 2> "$OUT/vtrace-run.err" &
    else
    "$IN/vtrace" run --detect --seconds "$((DURATION + 600))" --pages "$TBUF_PAGES" ${VTRACE_EVENTS:+--events "$VTRACE_EVENTS"} \
        --model "$IN/models/default.json" --model "$IN/models/default-hvm.json" \
        --format csv --record "$TRACE_DEV" --verdicts "$OUT/verdicts.jsonl" \
        > "$OUT/vtrace-run.csv" 2> "$OUT/vtrace-run.err" &
    fi
    XT=$!
    sleep 2
    if [ -n "$UNIT" ]; then
        XT=$(systemctl show -p MainPID --value vtrace.service)
        [ "${XT:-0}" != 0 ] || fail "vtrace.service is not running: $(systemctl status --no-pager vtrace.service | tail -5 | tr '\n' ' ')"
    fi
    kill -0 $XT 2>/dev/null || fail "vtrace run exited at once: $(cat "$OUT/vtrace-run.err")"
    log "vtrace run --detect running (pid $XT)"
    if [ -n "$PACKAGE" ]; then
        # scrape its /metrics every SCRAPE_S s with curl (installed with
        # the package: dom0 has none, and busybox's wget segfaulted) into
        # metrics/NNN.txt; events.log says when ("scrape NNN")
        mkdir -p "$OUT/metrics"
        ( n=0
          while :; do
              scrape "$(printf %03d $n)"
              n=$((n+1))
              sleep "$SCRAPE_S"
          done ) &
        SCRAPER=$!
        bg $SCRAPER
    fi
else
    ev trace-start
    # the trace goes straight onto its own raw disk (/dev/vdd): copying it through
    # dom0's file system and the results archive would cost minutes under TCG
    xentrace -D -e "$MASK" -S "$TBUF_PAGES" -T "$DURATION" "$TRACE_DEV" > "$OUT/xentrace.log" 2>&1 &
    XT=$!
    sleep 2
    kill -0 $XT 2>/dev/null || fail "xentrace exited at once: $(cat "$OUT/xentrace.log")"
    log "xentrace running (pid $XT)"
fi
TRACE_T0=$(cut -d' ' -f1 /proc/uptime)

i=1
while [ $i -le "$G_COUNT" ]; do
    eval name=\$G${i}_NAME boot=\$G${i}_BOOT auto=\$G${i}_AUTOSTART fat=\$G${i}_FAULT_AT
    # autostart 0: the workload waits for a "start" step
    if [ "$boot" != later ] && [ "$auto" != 0 ]; then
        send $i start
        load $i
    fi
    if [ -n "$fat" ]; then
        eval fmode=\$G${i}_FAULT_MODE fmask=\$G${i}_FAULT_MASK
        ( sleep "$fat"; send $i "fault $fmode $fmask $FAULT_DELAY_MS" ) &
        bg $!
    fi
    i=$((i+1))
done

# ---- lifecycle steps ($IN/steps.txt: "IDX AT GUEST ACTION ARGS...", AT in
# seconds after trace start). Each step is marked in the trace itself: dom0
# issues 20+2*IDX SCHEDOP_yield hypercalls ($IN/mark) right before the step and
# 21+2*IDX right after it (TRC_SCHED_YIELD d0), so the host finds both on
# the trace's clock. steps.log: IDX AT GUEST ACTION rc=.. t_start t_end
# (dom0 uptime) domid before/after; steps/IDX-{before,after}.txt: xl list -v
# and xl vcpu-list around it.
gidx() {  # gidx NAME -> the guest's index
    _j=1
    while [ $_j -le "$G_COUNT" ]; do
        eval [ "\$G${_j}_NAME" = "$1" ] && { echo $_j; return 0; }
        _j=$((_j+1))
    done
    return 1
}
snap() {  # snap FILE [vcpus]: xl list -v (and xl vcpu-list)
    { echo "# dom0 uptime $(cut -d' ' -f1 /proc/uptime)"; xl list -v 2>&1
      [ -n "$2" ] && { echo; xl vcpu-list 2>&1; }; } > "$1"
}
xlrun() {  # xlrun CMD...: run an xl command, its output in the step log, its exit status in RC
    echo "\$ $*" >> "$SLOG"
    timeout 300 "$@" >> "$SLOG" 2>&1
    RC=$?
}
# wait_new NAME OLD_DOMID: wait (up to 120 s) for NAME to exist with another domid
wait_new() {
    _k=0
    while [ $_k -lt 120 ]; do
        _d=$(xl domid "$1" 2>/dev/null) && [ "$_d" != "$2" ] && return 0
        sleep 1; _k=$((_k+1))
    done
    return 1
}
# after_boot I: wait (in the background, up to READY_TIMEOUT) for a new
# READY line on guest I's console, then start its workload and load
after_boot() {
    eval _n=\$G${1}_NAME
    _before=$(grep -c "XENLAB READY" "$OUT/console-$_n.log" 2>/dev/null)
    ( _k=0
      while [ $_k -lt "$READY_TIMEOUT" ]; do
          if [ "$(grep -c "XENLAB READY" "$OUT/console-$_n.log" 2>/dev/null)" -gt "${_before:-0}" ]; then
              ev "ready $_n"
              eval _auto=\$G${1}_AUTOSTART
              [ "$_auto" = 0 ] && exit 0
              send "$1" start
              _left=$(( DURATION - ($(cut -d. -f1 /proc/uptime) - ${TRACE_T0%.*}) ))
              [ "$_left" -gt 10 ] && load "$1" "$_left"
              exit 0
          fi
          sleep 1; _k=$((_k+1))
      done
      ev "not-ready $_n" ) &
    bg $!
}
step() {  # step IDX AT NAME ACTION ARGS...
    idx=$1 at=$2 name=$3 act=$4; shift 4
    args="$*"
    SLOG="$OUT/steps/$idx.log"
    gi=$(gidx "$name") || gi=
    d0=$(xl domid "$name" 2>/dev/null) || d0=-
    snap "$OUT/steps/$idx-before.txt" $([ "$act" = vcpu-set ] && echo v)
    "$IN/mark" $((20 + 2 * idx))
    ts=$(cut -d' ' -f1 /proc/uptime)
    ev "step $idx $act $name $args"
    RC=0
    case "$act" in
        create)   create "$gi"; RC=$?; [ $RC = 0 ] && after_boot "$gi" ;;
        shutdown) xlrun xl shutdown -w "$name" ;;
        reboot)   xlrun xl reboot "$name" ;;
        destroy)  xlrun xl destroy "$name" ;;
        pause)    xlrun xl pause "$name" ;;
        unpause)  xlrun xl unpause "$name" ;;
        save)     xlrun xl save "$name" "/var/tmp/$name.save" ;;
        restore)  xlrun xl restore "/var/tmp/$name.save" ;;
        vcpu-set) xlrun xl vcpu-set "$name" $args ;;
        cap)      xlrun xl sched-credit2 -d "$name" -c $args ;;
        crash)    send "$gi" "sh echo c > /proc/sysrq-trigger" ;;
        sh)       send "$gi" "sh $args" ;;
        send)     send "$gi" "$args" ;;
        start)    send "$gi" start; load "$gi" $(( DURATION - (${ts%.*} - ${TRACE_T0%.*}) )) ;;
        hog)      # N CPU hogs in dom0 (busy loops), until hog-stop
                  _h=0
                  while [ $_h -lt "${args:-1}" ]; do
                      sh -c 'while :; do :; done' & echo $! >> /run/xenlab-hogs; bg $!
                      _h=$((_h+1))
                  done ;;
        hog-stop) for p in $(cat /run/xenlab-hogs 2>/dev/null); do kill "$p"; done; rm -f /run/xenlab-hogs ;;
        *)        RC=99; log "unknown step action $act" ;;
    esac
    te=$(cut -d' ' -f1 /proc/uptime)
    "$IN/mark" $((21 + 2 * idx))
    # a rebooted or restored guest is a new domain with a new console
    case "$act" in
        reboot)  if [ $RC = 0 ] && wait_new "$name" "$d0"; then attach "$gi" && after_boot "$gi"; else ev "no new domain for $name"; fi ;;
        restore) [ $RC = 0 ] && attach "$gi" && rm -f "/var/tmp/$name.save" ;;
    esac
    sleep 5
    d1=$(xl domid "$name" 2>/dev/null) || d1=-
    snap "$OUT/steps/$idx-after.txt" $([ "$act" = vcpu-set ] && echo v)
    echo "$idx $at $name $act rc=$RC t_start=$ts t_end=$te domid_before=$d0 domid_after=$d1 args=$args" >> "$OUT/steps.log"
    log "step $idx $act $name $args: rc=$RC in $(echo "$te $ts" | awk '{printf "%.1f", $1 - $2}') s, domid $d0 -> $d1"
}
if [ -s "$IN/steps.txt" ]; then
    mkdir -p "$OUT/steps"
    # a step starts at its time, but never less than MIN_GAP s after the step
    # before it has ended (a loaded dom0 falls behind: the effects stay apart)
    ( prev_end=0
      while read -r idx at name act args <&9; do
          now=$(cut -d' ' -f1 /proc/uptime)
          wait_s=$(echo "$TRACE_T0 $at $now $prev_end ${MIN_GAP:-20}" \
              | awk '{w = $1 + $2 - $3; g = $4 + $5 - $3; if (g > w) w = g; print (w > 0 ? w : 0)}')
          sleep "$wait_s"
          step "$idx" "$at" "$name" "$act" $args < /dev/null
          prev_end=$(cut -d' ' -f1 /proc/uptime)
      done 9< "$IN/steps.txt"
      ev steps-done ) &
    STEPS_PID=$!
    bg $STEPS_PID
fi

# ---- wait for the trace to end (xentrace stops itself after DURATION s;
# vtrace is stopped with SIGINT once the steps are done and TAIL s more)
waited=0
if [ -n "$LIVE" ]; then
    until [ -z "$STEPS_PID" ] || ! kill -0 "$STEPS_PID" 2>/dev/null; do sleep 2; done
    ev steps-ended
    sleep "${TAIL:-30}"
    while kill -0 $XT 2>/dev/null; do
        el=$(echo "$TRACE_T0 $(cut -d' ' -f1 /proc/uptime)" | awk '{print int($2 - $1)}')
        [ "$el" -ge "$DURATION" ] && break
        sleep 2
    done
    # a last scrape (999) right before vtrace is stopped
    if [ -n "$SCRAPER" ]; then kill "$SCRAPER" 2>/dev/null; scrape 999; fi
    if [ -n "$UNIT" ]; then systemctl stop --no-block vtrace.service; else kill -INT $XT 2>/dev/null; fi
    waited=$DURATION   # SIGINT sent: at most 60 s more before KILL
fi
while kill -0 $XT 2>/dev/null; do
    sleep 2; waited=$((waited + 2))
    if [ $waited -gt $((DURATION + 60)) ]; then
        log "ERROR tracer still running after $waited s: stopping it"
        kill -INT $XT; sleep 5; kill -KILL $XT 2>/dev/null
        echo "tracer overran" > "$OUT/FAILED"
        break
    fi
done
wait $XT 2>/dev/null
ev trace-end
if [ -n "$STEPS_PID" ] && kill -0 "$STEPS_PID" 2>/dev/null; then
    log "warning: lifecycle steps still running at the end of the trace: stopping them"
    kill "$STEPS_PID" 2>/dev/null
fi
for p in $(cat /run/xenlab-hogs 2>/dev/null); do kill "$p" 2>/dev/null; done
sync
log "trace done"
[ -n "$LIVE" ] && log "vtrace: $(tr '\n' ' ' < "$OUT/vtrace-run.err")"
# the unit's messages (its standard error goes to the journal)
[ -n "$UNIT" ] && journalctl -u vtrace.service -o cat --no-pager > "$OUT/vtrace-run.err" 2>&1
if [ -n "$PACKAGE" ]; then
    cp /var/log/vtrace/verdicts.jsonl "$OUT/verdicts.jsonl" 2>> "$OUT/runner.log" || log "ERROR no /var/log/vtrace/verdicts.jsonl"
    ls -la /var/log/vtrace >> "$OUT/dpkg-vtrace.txt" 2>&1
fi
# ---- hardening probes ("hardening_probes": true): the packaged vtrace for
# 8 s under each restriction of the unit that can be applied
# without systemd (dom0's init is a shell script, not systemd): capability
# bounding sets and no_new_privs (setpriv), read-only mounts in a private
# mount namespace (unshare -m). hardening/NAME.{err,csv,rc}
probe() {  # probe NAME WRAPPER...: runs WRAPPER... /usr/bin/vtrace run ... for 8 s (a verdict at 6 s)
    _pn=$1; shift
    ev "probe $_pn"
    timeout -k 5 60 "$@" /usr/bin/vtrace run --config /etc/vtrace/vtrace.toml --seconds 8 \
        --verdicts "/var/log/vtrace/probe-$_pn.jsonl" --metrics 127.0.0.1:9465 --format csv \
        > "$OUT/hardening/$_pn.csv" 2> "$OUT/hardening/$_pn.err"
    echo $? > "$OUT/hardening/$_pn.rc"
    echo "$*" > "$OUT/hardening/$_pn.cmd"
    log "probe $_pn: exit $(cat "$OUT/hardening/$_pn.rc"): $(tail -1 "$OUT/hardening/$_pn.err")"
}
if [ -n "$PACKAGE" ] && [ -n "$HARDEN_PROBES" ]; then
    mkdir -p "$OUT/hardening"
    # (exit 97: a mount failed; 98: the file system was still writable)
    RO='mount --bind /var/log/vtrace /var/log/vtrace && for m in / /run /tmp; do mountpoint -q $m || continue; mount -o remount,bind,ro $m || exit 97; done; ! touch /.vtrace-probe 2>/dev/null || exit 98'
    KT='mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && mount -o remount,bind,ro /sys || exit 97; ! touch /sys/kernel/.p 2>/dev/null || exit 98'
    probe plain env
    probe caps-unit setpriv --bounding-set=-all,+sys_admin,+ipc_lock --inh-caps=-all
    probe caps-ipc-lock setpriv --bounding-set=-all,+ipc_lock --inh-caps=-all
    probe caps-none setpriv --bounding-set=-all --inh-caps=-all
    probe no-new-privs setpriv --no-new-privs
    probe ro-system unshare -m sh -c "$RO"' && exec "$@"' sh
    probe ro-kernel-tunables unshare -m sh -c "$KT"' && exec "$@"' sh
    probe combined unshare -m sh -c "$RO && $KT"' && exec "$@"' sh \
        setpriv --no-new-privs --bounding-set=-all,+sys_admin,+ipc_lock --inh-caps=-all
    cp /var/log/vtrace/probe-*.jsonl "$OUT/hardening/" 2>/dev/null
fi
# the unit's hardening options under systemd, one at a time (unit-check.sh)
[ -n "$UNIT" ] && . "$IN/unit-check.sh"
i=1
while [ $i -le "$G_COUNT" ]; do
    eval tty=\$G${i}_TTY
    [ -n "$tty" ] && send $i status
    i=$((i+1))
done
sleep 3

# ---- the live path: vtrace reads the hypervisor's buffers itself
if [ -z "$LIVE" ] && [ -n "$VTRACE_SECONDS" ] && [ -x "$IN/vtrace" ]; then
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
