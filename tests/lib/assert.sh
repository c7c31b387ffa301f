# shellcheck shell=sh disable=SC3043
# assert.sh: logging, assertions and polling for guest scenarios; sourced
# (topo.sh sources it too). Each failure names what was checked, what was
# seen and what was wanted, then exits 1.

# _uptime_cs sets _cs to the uptime in centiseconds (no fork: polling loops
# call it often and every exec is slow in an emulated guest).
_uptime_cs() {
	read -r _cs _ </proc/uptime
	_cs=${_cs%.*}${_cs#*.}
	_cs=${_cs#"${_cs%%[!0]*}"} # strip leading zeros: not octal
	_cs=${_cs:-0}
}

# log MSG...: print MSG with the guest uptime, the clock dmesg uses.
log() {
	local up
	read -r up _ </proc/uptime
	printf '[%8s] %s\n' "$up" "$*"
}

# fail MSG...: print MSG as a failure on stderr and exit 1.
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# assert_eq GOT WANT [WHAT]
assert_eq() {
	[ "$1" = "$2" ] || fail "${3:-assert_eq}: got '$1', want '$2'"
}

# assert_ok CMD...: run CMD, fail if it fails.
assert_ok() {
	"$@" || fail "command failed (status $?): $*"
}

# assert_fail CMD...: run CMD, fail if it succeeds.
assert_fail() {
	if "$@"; then fail "command unexpectedly succeeded: $*"; fi
}

# wait_until TIMEOUT_S CMD...: poll CMD every 0.1 s until it succeeds;
# return 1 if it still fails after TIMEOUT_S seconds.
wait_until() {
	local deadline
	_uptime_cs
	deadline=$((_cs + $1 * 100))
	shift
	until "$@"; do
		_uptime_cs
		if [ "$_cs" -ge "$deadline" ]; then
			return 1
		fi
		sleep 0.1
	done
}

# expect_fail PATTERN CMD...: CMD must exit non-zero and say PATTERN
# (case-insensitive, fixed string) on stdout or stderr.
expect_fail() {
	pat=$1
	shift
	if out=$("$@" 2>&1); then
		fail "'$*' succeeded, want an error mentioning '$pat': $out"
	fi
	printf '%s\n' "$out" | grep -qiF -- "$pat" ||
		fail "'$*' failed without mentioning '$pat': $out"
	log "refused as expected: $* -> $out"
}
