#!/bin/sh
# Test VM report probe (/etc/nvtest/report.d): nestvirt's first boot as the booted host saw it.
# Lines (each becomes "NVTEST key=value"):
#   pre_sum=SHA PATH / pre_stamp=   /etc/libvirt/qemu before the first-boot unit (nvtest-prefb)
#   fb_PROP=VALUE                   systemctl show of nestvirt-firstboot.service
#   lv_PROP=VALUE                   libvirtd.service as the boot left it (before this probe)
#   early_PROP=VALUE                nestvirt-early.service (the helper on the real root)
#   fb_before_libvirtd=yes|no|none  the first-boot unit exited before libvirtd's main process
#                                   started (monotonic timestamps; none: one of them never ran)
#   post_sum=, post_stamp=          the same after the boot, before this probe starts libvirtd
#   libvirtd_start=ok|failed, virsh_list=NAME, svm_NAME=POLICY|none (virsh dumpxml)
#   final_sum=                      the files once libvirtd ran
#   status_rc=, status_json=        nestvirt status --json
#   journal=                        the units' journal (short-monotonic)
set -u
fb=nestvirt-firstboot.service
if [ -f /run/nvtest-prefb.txt ]; then
	sed -n '/^stamp /{s//pre_stamp=/p;d;}; s/^/pre_sum=/p' /run/nvtest-prefb.txt
fi
systemctl show "$fb" -p LoadState,ActiveState,Result,ExecMainStatus,ConditionResult \
	-p ExecMainExitTimestampMonotonic | sed 's/^/fb_/'
systemctl show libvirtd.service -p ActiveState,ExecMainStartTimestampMonotonic | sed 's/^/lv_/'
systemctl show nestvirt-early.service -p ActiveState,Result,ConditionResult | sed 's/^/early_/'
fb_exit=$(systemctl show "$fb" -p ExecMainExitTimestampMonotonic --value)
lv_start=$(systemctl show libvirtd.service -p ExecMainStartTimestampMonotonic --value)
if [ "${fb_exit:-0}" = 0 ] || [ "${lv_start:-0}" = 0 ]; then
	echo "fb_before_libvirtd=none"
elif [ "$fb_exit" -lt "$lv_start" ]; then
	echo "fb_before_libvirtd=yes"
else
	echo "fb_before_libvirtd=no"
fi
/usr/local/sbin/nvtest-xmlsums | sed -n '/^stamp /{s//post_stamp=/p;d;}; s/^/post_sum=/p'

if systemctl start libvirtd.service; then
	echo "libvirtd_start=ok"
	virsh -c qemu:///system list --all --name | sed -n 's/^\(..*\)$/virsh_list=\1/p'
	for f in /etc/libvirt/qemu/*.xml; do
		n=$(basename "$f" .xml)
		p=$(virsh -c qemu:///system dumpxml "$n" 2>&1 |
			sed -n "s/.*<feature policy='\([a-z]*\)' name='svm'\/>.*/\1/p")
		echo "svm_$n=${p:-none}"
	done
else
	echo "libvirtd_start=failed"
fi
/usr/local/sbin/nvtest-xmlsums | sed -n '/^stamp /!s/^/final_sum=/p'

r=0
nestvirt status --json >/run/nvtest-status.json 2>&1 || r=$?
echo "status_rc=$r"
sed 's/^/status_json=/' /run/nvtest-status.json
journalctl -b -o short-monotonic --no-pager -u nestvirt-early.service -u "$fb" \
	-u libvirtd.service 2>/dev/null | sed 's/^/journal=/'
