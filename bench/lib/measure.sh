# shellcheck shell=sh
# Shared by bench/*.sh (sourced): running a command under rwfloor's getrusage runner and the
# arithmetic of the figures. Needs FLOOR (the rwfloor binary) and W (a scratch directory).

# measure CMD...: run it under rwfloor's runner; sets ms (wall), rss (peak KiB) and cpu (user +
# system ms: what a loaded machine does not inflate). Exit status
# 0 and 1 are results (1: the command reported a problem), anything else stops the bench.
measure() {
	"$FLOOR" run "$W/m" "$@" >/dev/null 2>"$W/err"
	read -r ms rss st cpu <"$W/m"
	[ "$st" -le 1 ] || { echo "bench: '$*' failed with status $st" >&2; cat "$W/err" >&2; exit 1; }
}

# median of the arguments
median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

# rate FILES MS: files per second
rate() {
	awk -v n="$1" -v ms="$2" 'BEGIN { printf "%.0f", (ms > 0 ? n * 1000 / ms : 0) }'
}

# verdict VALUE OP TARGET: "meets" or "MISSES" (OP: <, <= or >=)
verdict() {
	if awk -v v="$1" -v t="$3" -v op="$2" \
		'BEGIN { exit !(op == "<=" ? v <= t : op == "<" ? v < t : v >= t) }'; then
		echo "meets"
	else
		echo "MISSES"
	fi
}
