#!/bin/sh
# Test VM report probe (/etc/nvtest/report.d): start every stored domain with libvirt, as the
# user would, and read what its L2 guest saw (the NVL2 marker of l2-init on its serial file).
# Lines (each becomes "NVTEST key=value"):
#   libvirtd_start=ok|failed
#   status_rc=, status_json= nestvirt status --json, before any start
#   cpu_NAME=MODE MODEL svm=P npt=P   the <cpu> libvirt holds for NAME (virsh dumpxml --inactive)
#   start_NAME=ok|failed, error_NAME= virsh start and libvirt's error
#   l2_NAME=vendor=… svm=… npt=… kvm_amd=… dev_kvm=…   the marker (absent: none within the limit)
#   l2err_NAME=              modprobe's message in L2 when the load failed
#   secs_NAME=               seconds from virsh start to the marker (or to giving up)
# Env (kernel command line): nvtest.l2_timeout=S (default 240) per domain.
set -u
limit=$(sed -n 's/.*nvtest\.l2_timeout=\([0-9]*\).*/\1/p' /proc/cmdline)
limit=${limit:-240}
uri=qemu:///system
progress() { # a line on the kernel console while the report is still being gathered
	echo "nvtest-l2: $*" >/dev/kmsg 2>/dev/null || true
}
if ! systemctl start libvirtd.service; then
	echo "libvirtd_start=failed"
	exit 0
fi
echo "libvirtd_start=ok"
progress "libvirtd is up"
r=0
nestvirt status --json >/run/nvtest-l2-status.json 2>/run/nvtest-l2-status.err || r=$?
echo "status_rc=$r"
sed 's/^/status_json=/' /run/nvtest-l2-status.json

policy() { # policy XML FEATURE
	printf '%s\n' "$1" | sed -n "s/.*<feature policy='\([a-z]*\)' name='$2'\/>.*/\1/p" | head -n 1
}
for f in /etc/libvirt/qemu/*.xml; do
	n=$(basename "$f" .xml)
	x=$(virsh -c "$uri" dumpxml --inactive "$n" 2>&1)
	mode=$(printf '%s\n' "$x" | sed -n "s/.*<cpu[^>]* mode='\([a-z-]*\)'.*/\1/p" | head -n 1)
	model=$(printf '%s\n' "$x" | sed -n "s/.*<model[^>]*>\([^<]*\)<\/model>.*/\1/p" | head -n 1)
	s=$(policy "$x" svm)
	p=$(policy "$x" npt)
	echo "cpu_$n=${mode:-none} ${model:--} svm=${s:-none} npt=${p:-none}"
	log=/var/log/libvirt/qemu/$n.console
	rm -f "$log"
	progress "starting $n ($mode $model svm=${s:-none} npt=${p:-none})"
	t0=$(date +%s)
	if ! virsh -c "$uri" start "$n" >/run/nvtest-l2-start.out 2>&1; then
		echo "start_$n=failed"
		progress "$n: virsh start failed: $(head -c 200 /run/nvtest-l2-start.out)"
		grep -v '^$' /run/nvtest-l2-start.out | sed "s/^/error_$n=/"
		continue
	fi
	echo "start_$n=ok"
	while :; do
		m=$(tr -d '\r' <"$log" 2>/dev/null | sed -n 's/.*NVL2 //p' | head -n 1)
		[ -n "$m" ] && break
		[ $(($(date +%s) - t0)) -ge "$limit" ] && break
		# The guest powered off (or crashed) without a marker: no use waiting.
		virsh -c "$uri" domstate "$n" 2>/dev/null | grep -q running || {
			m=$(tr -d '\r' <"$log" 2>/dev/null | sed -n 's/.*NVL2 //p' | head -n 1)
			break
		}
		sleep 1
	done
	echo "secs_$n=$(($(date +%s) - t0))"
	progress "$n: ${m:-no marker} after $(($(date +%s) - t0)) s"
	[ -n "$m" ] && echo "l2_$n=$m"
	tr -d '\r' <"$log" 2>/dev/null | sed -n "s/.*NVL2ERR /l2err_$n=/p"
	[ -n "$m" ] || tr -d '\r' <"$log" 2>/dev/null | tail -n 15 | sed "s/^/console_$n=/"
	# The guest powers itself off after the marker; a hung one is stopped.
	i=0
	while [ $i -lt 20 ] && virsh -c "$uri" domstate "$n" 2>/dev/null | grep -q running; do
		sleep 1
		i=$((i + 1))
	done
	virsh -c "$uri" destroy "$n" >/dev/null 2>&1 || true
done
