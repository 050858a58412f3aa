#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# usage: scripts/demo-agent.sh NAME VERSION good|broken|hang|dies|dies-later OUTDIR
#
# Build a small real agent release tarball OUTDIR/NAME-VERSION.tar.gz: a
# program that runs (it writes a line to run/log every second) and the
# `control` script (start|stop|status) that manages it with a pid file.
# "broken" makes `control start` fail; "hang" starts a process that never
# reports started; "dies" starts a process that exits after 1 s (inside
# any health window the tests use); "dies-later" one that exits after
# $DIES_AFTER seconds (default 20, after the window).  `control stop`
# waits at most 3 s for the process, then kills it, so it fits the tests'
# control_timeout of 5 s.  Used by the demo and the integration tests.
set -euo pipefail
name=$1 version=$2 kind=$3 out=$4
case "$kind" in
good|broken|hang) lives=0 ;;
dies) lives=1 ;;
dies-later) lives=${DIES_AFTER:-20} ;;
*) echo "demo-agent.sh: kind must be good, broken, hang, dies or dies-later" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$out"

cat > "$work/bin/$name" <<AGENT
#!/bin/sh
# $name $version: a demo agent that writes a line every second (and, when
# built to die, exits after $lives s).
i=0
while [ $lives -eq 0 ] || [ \$i -lt $lives ]; do
	echo "\$(date +%s) $name $version alive" >> run/log
	sleep 1
	i=\$((i + 1))
done
echo "\$(date +%s) $name $version exiting" >> run/log
AGENT
chmod 755 "$work/bin/$name"

cat > "$work/control" <<CONTROL
#!/bin/sh
# control for $name $version: start | stop | status
cd "\$(dirname "\$0")"
mkdir -p run
pidfile=run/pid
# Alive and not a zombie that nobody has reaped yet.
running() {
	[ -f \$pidfile ] && kill -0 "\$(cat \$pidfile)" 2>/dev/null &&
	    [ "\$(cut -d' ' -f3 "/proc/\$(cat \$pidfile)/stat" 2>/dev/null)" != Z ]
}
case "\$1" in
start)
	if [ "$kind" = broken ]; then
		echo "$name $version: cannot open config /etc/$name/$name.conf: No such file or directory" >&2
		exit 1
	fi
	running && exit 0
	if [ "$kind" = hang ]; then
		echo "$name $version: waiting for a dependency that never comes"
		exit 0
	fi
	nohup ./bin/$name >/dev/null 2>&1 < /dev/null &
	echo \$! > \$pidfile
	echo "$name $version started, pid \$!"
	;;
stop)
	# Wait for the process to exit (3 s, then SIGKILL): the updater
	# starts the next version as soon as status says stopped.
	if running; then
		pid=\$(cat \$pidfile)
		kill "\$pid"
		i=0
		while kill -0 "\$pid" 2>/dev/null && [ \$i -lt 30 ]; do
			sleep 0.1; i=\$((i + 1))
		done
		kill -0 "\$pid" 2>/dev/null && kill -9 "\$pid"
		echo "$name $version stopped"
	fi
	rm -f \$pidfile
	;;
status)
	if running; then echo started; else echo stopped; fi
	;;
*)
	echo "usage: control start|stop|status" >&2
	exit 2
	;;
esac
CONTROL
chmod 755 "$work/control"
tar -C "$work" -czf "$out/$name-$version.tar.gz" --owner=0 --group=0 control bin
echo "$out/$name-$version.tar.gz"
