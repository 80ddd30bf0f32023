#!/usr/bin/env bash
# record -- /bin/true (issue 13's start-up target) through the binary: a command that exits at
# once still has every event (its exec, its ELF interpreter and the files the interpreter
# opens); what the one-shot record loads while it runs (bpftool, from inside the command: the
# programs, maps and links our slimzip holds) is only what a command's record needs (no fork
# program, one slot of counters); and once record returns, none of it is left, nor its cgroup.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_require_root
e2e_workdir
PATH=$PATH:/usr/sbin:/sbin
command -v bpftool >/dev/null || {
	echo "SKIP: no bpftool"
	exit 77
}
command -v jq >/dev/null || {
	echo "SKIP: no jq"
	exit 77
}

echo "== record -- /bin/true"
run "$SLIMZIP" record -o "$WORK/true.profile" -- /bin/true
check "record -- /bin/true exits 0 (exit $RC)" test "$RC" -eq 0
# path of kind KIND in PROFILE (the profile's last field is the path).
has_kind() {
	awk -v k="$1" -v p="$2" '!/^#/ && $NF == p { n = split($1, ks, ","); for (i = 1; i <= n; i++) if (ks[i] == k) f = 1 } END { exit !f }' "$3"
}
bin=$(readlink -f /bin/true)
interp=$(readlink -f "$(readelf -lW "$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')")
libc=$(readlink -f "$(ldd "$bin" | awk '$1 ~ /^libc\.so/ { print $3 }')")
check "... its exec ($bin)" has_kind exec "$bin" "$WORK/true.profile"
check "... its interpreter ($interp)" has_kind interp "$interp" "$WORK/true.profile"
check "... the interpreter's open of libc ($libc)" has_kind open "$libc" "$WORK/true.profile"
check "... and of ld.so.cache" has_kind open /etc/ld.so.cache "$WORK/true.profile"
check "... nothing lost" grep -q "^# lost-events: 0$" "$WORK/true.profile"

echo "== what it holds while the command runs, and what is left after"
# The command lists the BPF objects its recorder (its parent) holds through its fds (the ids
# in fdinfo; bpftool's own pid column needs a bpftool built with it), and its own cgroup.
cat >"$WORK/look.sh" <<'EOF'
#!/bin/bash
for fd in /proc/$PPID/fd/*; do
	case $(readlink "$fd") in
	anon_inode:bpf-prog) t=prog ;;
	anon_inode:bpf-map) t=map ;;
	anon_inode:bpf_link) t=link ;;
	*) continue ;;
	esac
	id=$(awk -v k="${t}_id:" '$1 == k { print $2 }' /proc/$PPID/fdinfo/"${fd##*/}")
	[ -n "$id" ] || continue
	bpftool "$t" show id "$id" -j |
		jq -r --arg t "$t" '"\($t) \(.id) \(.name // "-") \(.max_entries // "-")"'
done | sort -u >"$1/held"
cat /proc/self/cgroup >"$1/cgroup"
EOF
chmod +x "$WORK/look.sh"
run "$SLIMZIP" record -o "$WORK/look.profile" -- "$WORK/look.sh" "$WORK"
check "record of the lister exits 0 (exit $RC)" test "$RC" -eq 0
# ours TYPE [FIELD]: the ids (or FIELD 3: name, 4: max_entries) of TYPE objects it held.
ours() {
	awk -v t="$1" -v f="${2:-2}" '$1 == t { print $f }' "$WORK/held"
}
progs=$(ours prog 3 | sort | tr '\n' ' ')
check "its programs are slz_exec_note and slz_sys_exit, no fork program ($progs)" \
	test "$progs" = "slz_exec_note slz_sys_exit "
check "... attached by two links ($(ours link | wc -l))" test "$(ours link | wc -l)" -eq 2
stats=$(awk '$1 == "map" && $3 == "stats" { print $4 }' "$WORK/held")
check "... one target's counters and the no-target slot ($stats)" test "$stats" = 2
check "... and its maps ($(ours map | wc -l))" test "$(ours map | wc -l)" -ge 5
# gone TYPE ID: bpftool no longer finds it (a link's programs go after an RCU grace period:
# allow a moment).
gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		bpftool "$1" show id "$2" >/dev/null 2>&1 || return 0
		sleep 0.02
	done
	return 1
}
left=
for t in prog map link; do
	for id in $(ours "$t"); do
		gone "$t" "$id" || left="$left $t:$id"
	done
done
check "after record returns, none of them is left (${left:-none})" test -z "$left"
cg=$(sed -n 's/^0:://p' "$WORK/cgroup")
mnt=$(findmnt -n -t cgroup2 -o TARGET | head -1)
check "the command ran in a slimzip cgroup ($cg)" grep -q '/slimzip-' "$WORK/cgroup"
check "... which is removed" test ! -e "$mnt$cg"

echo "== SLIMZIP_RECORD_HOOK reaches the recorder through the CLI (the library reads no environment)"
if [ -d /sys/kernel/tracing/events/syscalls ] || [ -d /sys/kernel/debug/tracing/events/syscalls ]; then
	run env SLIMZIP_RECORD_HOOK=per-syscall "$SLIMZIP" record -o "$WORK/ps.profile" -- "$WORK/look.sh" "$WORK"
	check "a per-syscall record exits 0 (exit $RC)" test "$RC" -eq 0
	progs=$(ours prog 3 | sort | tr '\n' ' ')
	check "its programs are the per-syscall set ($progs)" grep -qw 'slz_openat' <<<"$progs"
	check "... with no sys_exit program" test -z "$(ours prog 3 | grep -x slz_sys_exit)"
else
	echo "SKIP per-syscall hook: tracefs has no syscall tracepoints here"
fi
e2e_finish
