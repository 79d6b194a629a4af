#!/bin/sh
# SPDX-License-Identifier: MIT
# Run libFuzzer harnesses one after the other (one core), each for SECONDS.
#
#   tests/fuzz/run.sh BINDIR WORKDIR SECONDS HARNESS...
#
# Each harness starts from its seed corpus in tests/fuzz/corpus/<harness>/
# and the inputs earlier runs found in WORKDIR/corpus/<harness>/ (new ones
# land there, never in the tree).  A crash leaves its input in
# WORKDIR/crashes/<harness>/ and fails the run: copy it into the seed corpus
# once fixed, as a regression input.  With SECONDS=0 each harness only runs
# over the inputs it has (the smoke pass of `make check` adds a few seconds).
# One line per harness is appended to WORKDIR/stats.log:
#   <date> <harness> seconds=<s> execs=<n> cov=<edges> corpus=<inputs> status=<rc>
set -u
bindir=$1 workdir=$2 seconds=$3
shift 3
here=$(dirname "$0")
failed=0
for h in "$@"; do
	mkdir -p "$workdir/corpus/$h" "$workdir/crashes/$h"
	log="$workdir/$h.log"
	if [ "$seconds" -gt 0 ]; then
		limit="-max_total_time=$seconds"
	else
		limit="-runs=0"
	fi
	# Leak checks stay on; an input that takes over ten seconds is a finding too.
	"$bindir/fuzz_$h" $limit -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$workdir/crashes/$h/" \
		"$workdir/corpus/$h" "$here/corpus/$h" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' "$log" | tail -1)
	corp=$(ls "$workdir/corpus/$h" | wc -l)
	echo "$(date -u +%FT%TZ) $h seconds=$seconds execs=${execs:-0} cov=${cov:-0} corpus=$corp status=$rc" \
		>>"$workdir/stats.log"
	if [ $rc -ne 0 ]; then
		echo "fuzz_$h: FAILED (status $rc), see $log and $workdir/crashes/$h/"
		grep -m3 -E 'ERROR|SUMMARY|runtime error' "$log"
		failed=$((failed + 1))
	else
		echo "fuzz_$h: ${execs:-0} inputs in ${seconds}s, coverage ${cov:-0} edges, no crash"
	fi
done
exit $((failed != 0))
