#!/bin/sh
# bench/run.sh: the measurements of `make bench`, one after the other, then
# the table.  bench/bench.mk builds everything first and sets:
#   BENCH_DIR BENCH_SIZES BENCH_SEED BENCH_REPS BENCH_RUNS GEN
# Every program appends "METRIC N KIND VALUE" lines to $BENCH_DIR/results.txt;
# bench_report prints the minimum of each next to its floor.  Nothing else
# of the benchmark runs meanwhile, but the machine may: the header says
# what it is, and the minimum is the least disturbed run.
set -eu

B=$BENCH_DIR
R=$B/results.txt
say() { printf '  %-8s %s\n' BENCH "$*" >&2; }

: >"$R"
: >"$B/syscalls.txt"
for n in $BENCH_SIZES; do
	d=$B/s$BENCH_SEED/n$n
	say "N=$n: manifold-gen ($BENCH_RUNS runs)"
	"$B/tools/bench_gen" "$GEN" "$d" "$BENCH_RUNS" >>"$R"
	say "N=$n: embedded image ($BENCH_REPS runs)"
	"$d/bench_embedded" "$d/info" "$BENCH_REPS" >>"$R"
	say "N=$n: module files ($BENCH_RUNS processes per figure)"
	# The directory's index, as the build writes it.
	"$B/bench_loadable" index "$d/info" "$d/mods"
	i=0
	while [ $i -lt "$BENCH_RUNS" ]; do
		# Floors and manifold interleaved: a slow spell hits both.
		for mode in floor boot-nosum boot-listed floor-sum boot deep-floor deep; do
			"$B/bench_loadable" $mode "$d/info" "$d/mods" >>"$R"
		done
		i=$((i + 1))
	done
	"$B/bench_loadable" refresh "$d/info" "$d/mods" "$BENCH_REPS" >>"$R"
	if command -v strace >/dev/null 2>&1; then
		say "N=$n: system calls (strace)"
		for op in refresh load load-nodir; do
			sh bench/syscalls.sh "$B/bench_loadable" "$op" "$d/info" "$d/mods" "$n" \
				>>"$B/syscalls.txt"
		done
	fi
	say "N=$n: memory"
	"$d/bench_mem" "$d/info" "$d/mods" >>"$R"
	# text + data + bss of the compiled tables, as the image links them.
	echo "mem.table $n m $(size "$d/registry.o" | awk 'NR == 2 { print $4 }')" >>"$R"
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
cc=$(${HOSTCC:-gcc} -dumpfullversion 2>/dev/null || echo '?')
musl=$( (/lib/ld-musl-"$(uname -m)".so.1 --version 2>&1 || true) | sed -n 's/^Version //p')
tree=$(git describe --always --dirty 2>/dev/null || echo 'not a git tree')
"$B/tools/bench_report" "$R" \
	"manifold benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')" \
	"machine: ${cpu:-unknown cpu}, $(nproc) cpus, $mem; Linux $(uname -r) $(uname -m); gcc $cc; musl ${musl:-?}" \
	"command: make bench BENCH_SIZES=\"$BENCH_SIZES\" BENCH_SEED=$BENCH_SEED BENCH_REPS=$BENCH_REPS BENCH_RUNS=$BENCH_RUNS (tree $tree)" \
	"floors: the same work without manifold, measured in the same run; each figure is the minimum of its runs (2 threads: the median)" |
	tee "$B/table.txt"
if [ -n "${BENCH_IMAGE:-}" ] && [ -x "$BENCH_IMAGE" ]; then
	{ echo; echo "whole process"; sh bench/exec.sh "$BENCH_IMAGE" "$B/exec"; } >"$B/exec.txt"
fi
if [ -s "$B/syscalls.txt" ]; then
	{ echo; echo "system calls per operation (strace -f -c: 1000 operations less none, / 1000)"
	  cat "$B/syscalls.txt"; } | tee -a "$B/table.txt"
fi
[ ! -s "$B/exec.txt" ] || tee -a "$B/table.txt" <"$B/exec.txt"
