// Package klog is the kernel log of one simulated machine: printk's record
// buffer, the taint mask, WARN/BUG/panic reports and kernel-symbol call
// traces, printing the same text Linux v3.16 prints on x86_64.
//
// Kernel counterparts: kernel/printk/printk.c (the record buffer, continuation
// lines, print_time, dump_stack_print_info), kernel/panic.c (taint,
// warn_slowpath_*, panic, the end-of-trace marker), lib/dump_stack.c,
// arch/x86/kernel/dumpstack*.c (the stack dump and "Call Trace:"), lib/bug.c
// and arch/x86/kernel/traps.c (BUG as an "invalid opcode" oops),
// kernel/module.c (print_modules) and include/asm-generic/bug.h (the WARN_ON
// family).
//
// klog is at the bottom of pagesim's dependency graph and imports no other
// pagesim package. Modeled kernel code reports through a *Log:
//
//	if log.WarnOnOnce(current.Flags&(PFMemalloc|PFKswapd) == PFMemalloc,
//		"fs/xfs/xfs_aops.c", 971) {
//		goto redirty
//	}
//
// Call traces are taken with runtime.Callers when a report is made and are
// turned into kernel symbols only when printed. A Go function is a kernel
// function only if its package was registered with RegisterPackage; its name
// is converted from Go case to the kernel's snake_case (shrinkPageList →
// shrink_page_list) unless RegisterSymbol gives the kernel name explicitly.
// Addresses, symbol sizes and offsets are derived from hashes of kernel
// symbol names, so a report prints the same bytes on every machine, build
// and Go version.
//
// Everything a Log prints is deterministic: timestamps come from the
// machine's virtual clock, and no output depends on map iteration order.
package klog
