// Package xfstest is a stand-in kernel module for klog's tests: its
// functions are registered as module "xfs", so traces through them print
// " [xfs]" frames.
package xfstest

import "pagesim/klog"

func init() {
	klog.RegisterPackage("pagesim/klog/internal/xfstest", "xfs")
}

// Task flags, as in include/linux/sched.h.
const (
	PFMemalloc = 0x00000800
	PFKswapd   = 0x00040000
)

// XfsVMWritepage stands for xfs_vm_writepage's refusal to write back from
// direct reclaim (fs/xfs/xfs_aops.c:971 in v3.16). It reports whether the
// page was written.
//
//go:noinline
func XfsVMWritepage(l *klog.Log, flags uint) bool {
	if l.WarnOnOnce(flags&(PFMemalloc|PFKswapd) == PFMemalloc, "fs/xfs/xfs_aops.c", 971) {
		return false
	}
	return true
}
