#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# usage: scripts/demo-agent.sh NAME VERSION good|broken|hang OUTDIR
#
# Build a small real agent release tarball OUTDIR/NAME-VERSION.tar.gz: a
# program that runs (it writes a line to run/log every second) and the
# `control` script (start|stop|status) that manages it with a pid file.
# "broken" makes `control start` fail; "hang" starts a process that never
# reports started.  Used by the demo and the integration tests.
set -euo pipefail
name=$1 version=$2 kind=$3 out=$4
case "$kind" in good|broken|hang) ;; *) echo "demo-agent.sh: kind must be good, broken or hang" >&2; exit 2 ;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$out"

cat > "$work/bin/$name" <<AGENT
#!/bin/sh
# $name $version: a demo agent that writes a line every second.
while :; do
	echo "\$(date +%s) $name $version alive" >> run/log
	sleep 1
done
AGENT
chmod 755 "$work/bin/$name"

cat > "$work/control" <<CONTROL
#!/bin/sh
# control for $name $version: start | stop | status
cd "\$(dirname "\$0")"
mkdir -p run
pidfile=run/pid
running() { [ -f \$pidfile ] && kill -0 "\$(cat \$pidfile)" 2>/dev/null; }
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
	# Wait for the process to exit (10 s, then SIGKILL): the updater
	# starts the next version as soon as status says stopped.
	if running; then
		pid=\$(cat \$pidfile)
		kill "\$pid"
		i=0
		while kill -0 "\$pid" 2>/dev/null && [ \$i -lt 100 ]; do
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
