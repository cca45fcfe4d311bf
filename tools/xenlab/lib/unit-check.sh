# unit-check.sh: sourced by runner.sh in the systemd dom0 image
# ("vtrace": {"unit": true}; build-lab-systemd) after the packaged
# vtrace.service has run the trace: tries the unit's hardening options
# under systemd, one at a time and together (issue 15 item 6).
#
# Every trial: a drop-in /etc/systemd/system/vtrace.service.d/50-trial.conf
# with the option(s), on one of two bases:
#   bare  the shipped unit with its hardening section ("# --- Hardening"
#         to [Install]) cut out, as /etc/systemd/system/vtrace.service;
#   unit  the shipped unit as installed (/lib/systemd/system/vtrace.service).
# then systemctl start, /metrics scraped at ~6 s and ~10 s, systemctl show,
# the unit's journal, systemd-analyze security. $OUT/unit/: NAME.conf,
# .journal, .show, .m1, .m2, .security and one line per trial in
# results.tsv (unit-check on the host prints the table).
# A trial passes when the service is active with no restart, vtrace says it
# reads the CPUs' buffers, records/s > 0 between the scrapes and /metrics
# answers with the guests' names (xenstore read). The last trials are chosen here from what passed: the strongest
# option of each group together ("strongest"), and if that fails, it again
# without each of its options in turn.
U=/lib/systemd/system/vtrace.service
D=/etc/systemd/system/vtrace.service.d
H="$OUT/unit"
mkdir -p "$H" "$D"
ev unit-check-start
log "unit check: $(systemctl --version | head -1)"
# lab only, not a hardening option: the trials start the service some fifty
# times, and the unit's start limit (5 in 300 s) would refuse most of them
printf '[Unit]\nStartLimitIntervalSec=0\n' > "$D/00-lab.conf"
sed '/^# --- Hardening/,/^\[Install\]/{/^\[Install\]/!d}' "$U" > "$H/vtrace-bare.service"
cp "$U" "$H/vtrace-shipped.service"
# --man=no where dom0 has no man (the image has no man-db), as .ci/run does
systemd-analyze verify $(command -v man > /dev/null || echo --man=no) "$U" > "$H/verify-shipped.txt" 2>&1
echo "exit $?" >> "$H/verify-shipped.txt"
printf 'name\tbase\tpass\tstate\trestarts\tstatus\tmapped\trecords_per_s\tmetrics\tnames\tfaulty\texposure\terror\tdirectives\n' > "$H/results.tsv"

metric() {  # metric FILE NAME: the value of an unlabelled series
    awk -v n="$2" '$1 == n {print $2; exit}' "$1" 2>/dev/null
}
PASSED=" "
trial() {  # trial NAME BASE [DIRECTIVE...]
    _t=$1 _b=$2; shift 2
    { echo '[Service]'; for _l in "$@"; do echo "$_l"; done; } > "$H/$_t.conf"
    trialf "$_t" "$_b"
}
trialf() {  # trialf NAME BASE: the directives are in $H/NAME.conf already
    _t=$1 _b=$2
    systemctl stop vtrace.service >/dev/null 2>&1
    systemctl reset-failed vtrace.service >/dev/null 2>&1
    rm -f "$D/50-trial.conf" /etc/systemd/system/vtrace.service
    [ "$_b" = bare ] && cp "$H/vtrace-bare.service" /etc/systemd/system/vtrace.service
    [ "$(wc -l < "$H/$_t.conf")" -gt 1 ] && cp "$H/$_t.conf" "$D/50-trial.conf"
    systemctl daemon-reload
    ev "trial $_t"
    _s=$(date +%s)
    timeout 60 systemctl start vtrace.service > "$H/$_t.start" 2>&1
    sleep 6
    _a=$(cut -d' ' -f1 /proc/uptime)
    curl -sS -m 5 -o "$H/$_t.m1" http://127.0.0.1:9464/metrics 2>> "$H/$_t.start"
    sleep 4
    _z=$(cut -d' ' -f1 /proc/uptime)
    curl -sS -m 5 -o "$H/$_t.m2" http://127.0.0.1:9464/metrics 2>> "$H/$_t.start"
    systemctl show vtrace.service -p ActiveState -p SubState -p Result -p ExecMainStatus -p NRestarts \
        -p MainPID > "$H/$_t.show" 2>&1
    journalctl -u vtrace.service -o cat --no-pager --since "@$_s" > "$H/$_t.journal" 2>&1
    timeout 60 systemd-analyze security --no-pager vtrace.service > "$H/$_t.security" 2>&1
    _st=$(sed -n 's/^ActiveState=//p' "$H/$_t.show")/$(sed -n 's/^SubState=//p' "$H/$_t.show")
    _nr=$(sed -n 's/^NRestarts=//p' "$H/$_t.show")
    _es=$(sed -n 's/^ExecMainStatus=//p' "$H/$_t.show")
    _mp=no; grep -q 'reading [0-9]* CPUs of Xen' "$H/$_t.journal" && _mp=yes
    _r1=$(metric "$H/$_t.m1" vtrace_records_total); _r2=$(metric "$H/$_t.m2" vtrace_records_total)
    _rate=$(echo "${_r1:-x} ${_r2:-x} $_a $_z" | awk '$1 == "x" || $2 == "x" {print "-"; exit} {printf "%.0f", ($2 - $1) / ($4 - $3)}')
    _me=no; [ -n "$_r2" ] && _me=yes
    # names from xenstore in the series (a guest of the run, by name)
    _nm=no; grep -q "^vtrace_domain_faulty{.*name=\"$G1_NAME\"" "$H/$_t.m2" 2>/dev/null && _nm=yes
    _fa=$(grep '^vtrace_domain_faulty{' "$H/$_t.m2" 2>/dev/null | awk '$2 == 1' | sed 's/.*name="\([^"]*\)".*/\1/' | tr '\n' ',')
    _ex=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$H/$_t.security")
    _er=$(grep -i -E 'error|cannot|denied|failed|not permitted|invalid|unknown|ignoring' "$H/$_t.journal" "$H/$_t.start" \
          | grep -v 'lost' | head -2 | sed 's/^[^:]*://' | tr '\t\n' '  ')
    _ok=no
    [ "$_st" = active/running ] && [ "${_nr:-1}" = 0 ] && [ $_mp = yes ] && [ $_me = yes ] && [ $_nm = yes ] \
        && [ "$_rate" != - ] && [ "$_rate" -gt 0 ] && _ok=yes
    [ $_ok = yes ] && PASSED="$PASSED$_t "
    _dir=$(sed 1d "$H/$_t.conf" | awk '{printf "%s%s", (NR > 1 ? " ; " : ""), $0}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$_t" "$_b" "$_ok" "$_st" "${_nr:--}" "${_es:--}" \
        "$_mp" "$_rate" "$_me" "$_nm" "${_fa%,}" "${_ex:--}" "${_er:--}" "${_dir:--}" >> "$H/results.tsv"
    log "trial $_t ($_b): pass=$_ok $_st restarts=${_nr:--} mapped=$_mp records/s=$_rate metrics=$_me exposure=${_ex:--} ${_er}"
}
passed() { case "$PASSED" in *" $1 "*) return 0 ;; esac; return 1; }
conf_lines() { sed 1d "$H/$1.conf"; }   # the directives of a trial

# ---- the two bases
trial bare bare
trial shipped unit
# ---- one option at a time on the bare unit: the shipped unit's options
# (devices: the policy with the unit's five nodes, then without each node)
DEVS="privcmd hypercall evtchn xenbus gntdev"
devconf() {  # devconf NAME NODE...: DevicePolicy=closed and DeviceAllow= for these /dev/xen nodes
    _n=$1; shift
    { echo '[Service]'; echo 'DevicePolicy=closed'; for _x in "$@"; do echo "DeviceAllow=/dev/xen/$_x rw"; done; } > "$H/$_n.conf"
}
trial dev-closed-none bare 'DevicePolicy=closed'
devconf dev-unit $DEVS; trialf dev-unit bare
for x in $DEVS; do
    # shellcheck disable=SC2046
    devconf "dev-no-$x" $(for y in $DEVS; do [ "$y" = "$x" ] || echo "$y"; done)
    trialf "dev-no-$x" bare
done
trial protect-system-strict bare 'ProtectSystem=strict'
trial protect-home bare 'ProtectHome=yes'
trial private-tmp bare 'PrivateTmp=yes'
trial no-new-privileges bare 'NoNewPrivileges=yes'
trial protect-kernel-tunables bare 'ProtectKernelTunables=yes'
trial protect-kernel-modules bare 'ProtectKernelModules=yes'
trial protect-kernel-logs bare 'ProtectKernelLogs=yes'
trial protect-control-groups bare 'ProtectControlGroups=yes'
trial protect-clock bare 'ProtectClock=yes'
trial protect-hostname bare 'ProtectHostname=yes'
trial restrict-suidsgid bare 'RestrictSUIDSGID=yes'
trial restrict-realtime bare 'RestrictRealtime=yes'
trial restrict-namespaces bare 'RestrictNamespaces=yes'
trial lock-personality bare 'LockPersonality=yes'
trial memory-deny-wx bare 'MemoryDenyWriteExecute=yes'
trial syscall-arch bare 'SystemCallArchitectures=native'
trial sc-system-service bare 'SystemCallFilter=@system-service' 'SystemCallErrorNumber=EPERM'
trial sc-system-service-kill bare 'SystemCallFilter=@system-service'
trial sc-no-privileged bare 'SystemCallFilter=@system-service' 'SystemCallFilter=~@privileged' 'SystemCallErrorNumber=EPERM'
trial sc-no-resources bare 'SystemCallFilter=@system-service' 'SystemCallFilter=~@resources' 'SystemCallErrorNumber=EPERM'
trial af-unit bare 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6'
trial af-unix-inet bare 'RestrictAddressFamilies=AF_UNIX AF_INET'
trial af-unix bare 'RestrictAddressFamilies=AF_UNIX'
trial af-none bare 'RestrictAddressFamilies=none'
trial caps-unit bare 'CapabilityBoundingSet=CAP_SYS_ADMIN CAP_IPC_LOCK'
trial caps-sys-admin bare 'CapabilityBoundingSet=CAP_SYS_ADMIN'
trial caps-ipc-lock bare 'CapabilityBoundingSet=CAP_IPC_LOCK'
trial caps-none bare 'CapabilityBoundingSet='
# ---- options the unit does not have
trial private-devices bare 'PrivateDevices=yes'
trial private-mounts bare 'PrivateMounts=yes'
trial private-ipc bare 'PrivateIPC=yes'
trial private-users bare 'PrivateUsers=yes'
trial private-network bare 'PrivateNetwork=yes'
trial protect-proc bare 'ProtectProc=invisible'
trial proc-subset bare 'ProcSubset=pid'
trial ip-localhost bare 'IPAddressDeny=any' 'IPAddressAllow=localhost'
trial umask-0077 bare 'UMask=0077'
trial keyring-private bare 'KeyringMode=private'
trial remove-ipc bare 'RemoveIPC=yes'
trial rw-paths bare 'ProtectSystem=strict' 'ReadWritePaths=/var/log/vtrace'
# not hardening: where and how it runs
trial cpu-affinity bare 'CPUAffinity=1'
trial nice bare 'Nice=-5'
trial sched-rr bare 'CPUSchedulingPolicy=rr' 'CPUSchedulingPriority=10'

# ---- the strongest that passed: of each group the first trial that
# passed, and every single option that passed
SET=""
pick() {  # pick TRIAL...: the first of them that passed joins the set
    for _p in "$@"; do passed "$_p" && { SET="$SET $_p"; return 0; }; done
    return 1
}
# devices: the policy with only the nodes whose removal broke vtrace
NEED=""
for x in $DEVS; do passed "dev-no-$x" || NEED="$NEED $x"; done
if passed dev-closed-none; then
    SET="$SET dev-closed-none"
else
    # shellcheck disable=SC2086
    devconf dev-needed $NEED; trialf dev-needed bare
    pick dev-needed dev-unit
fi
pick caps-none caps-ipc-lock caps-sys-admin caps-unit
pick af-none af-unix af-unix-inet af-unit
pick sc-no-resources sc-no-privileged sc-system-service sc-system-service-kill
# sc-no-resources and sc-no-privileged are exclusive of each other: both if both passed
if passed sc-no-resources && passed sc-no-privileged; then SET="$SET sc-no-privileged"; fi
pick protect-system-strict
for t in protect-home private-tmp no-new-privileges protect-kernel-tunables protect-kernel-modules \
         protect-kernel-logs protect-control-groups protect-clock protect-hostname restrict-suidsgid \
         restrict-realtime restrict-namespaces lock-personality memory-deny-wx syscall-arch \
         private-devices private-mounts private-ipc private-users private-network protect-proc proc-subset \
         ip-localhost umask-0077 keyring-private remove-ipc; do
    pick "$t"
done
echo "$SET" > "$H/strongest.set"
setconf() {  # setconf NAME [LEAVE-OUT]: the set's directives (less one trial's) as NAME.conf
    { echo '[Service]'; for _p in $SET; do [ "$_p" = "$2" ] || conf_lines "$_p"; done | awk '!seen[$0]++'; } > "$H/$1.conf"
}
setconf strongest; trialf strongest bare
if ! passed strongest; then
    for p in $SET; do setconf "strongest-without-$p" "$p"; trialf "strongest-without-$p" bare; done
fi
# the shipped unit and the strongest set once more, the set as a drop-in on
# the shipped unit (what a host that adds it with systemctl edit gets)
setconf shipped-plus-strongest; trialf shipped-plus-strongest unit

# leave it as shipped
systemctl stop vtrace.service >/dev/null 2>&1
rm -rf "$D" /etc/systemd/system/vtrace.service
systemctl daemon-reload
systemctl reset-failed vtrace.service >/dev/null 2>&1
ev unit-check-end
log "unit check: $(awk -F'\t' '$3 == "yes"' "$H/results.tsv" | wc -l) of $(($(wc -l < "$H/results.tsv") - 1)) trials passed"
