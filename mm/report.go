// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"fmt"

	"pagesim/klog"
)

// The kernel's reporting macros as mm uses them. Each reports through the
// machine's klog.Log; a System without a log (some unit tests) checks the
// same conditions and panics on BUG so that nothing passes silently.

// HZ is CONFIG_HZ: jiffies per second.
const HZ = 1000

func init() {
	klog.RegisterPackage("pagesim/mm", "")
	// Exported entry points named after the kernel function they model.
	klog.RegisterSymbol("pagesim/mm.(*System).FreePages", "__free_pages")
	klog.RegisterSymbol("pagesim/mm.(*System).AllocPages", "alloc_pages_current")
	// A user access that faults enters the kernel at do_page_fault.
	klog.RegisterSymbol("pagesim/mm.(*System).UserAccess", "do_page_fault")
	// ... from the page_fault exception entry (arch/x86/kernel/entry_64.S),
	// the outermost frame of a user fault's trace on x86_64.
	klog.RegisterEntry("pagesim/mm.(*System).UserAccess", "page_fault")
	// alloc_pages_node() is an inline in the kernel: no frame of its own.
	klog.HideFunc("pagesim/mm.(*System).AllocPagesNode")
	// Functions v3.16 declares static inline, or that gcc inlines on the
	// paths the founding report shows (__alloc_pages_nodemask calls
	// try_to_free_pages directly; handle_mm_fault calls alloc_pages_vma),
	// leave no frame in a real call trace.
	for _, f := range []string{
		"__freeOnePage", "expand", "__rmqueueSmallest", "__rmqueueFallback", "bufferedRmqueue",
		"__allocPagesSlowpath", "__allocPagesDirectReclaim", "__performReclaim", "__allocPagesHighPriority",
		"__allocPagesMayOom", "gfpToAllocFlags", "freePagesCheck", "checkNewPage", "prepNewPage",
		"handlePTEFault", "doAnonymousPage", "allocflagsToMigratetype",
		// vmscan.c's statics on the founding report's path, all inlined
		// there: pageout into shrink_page_list, shrink_list into
		// shrink_lruvec, do_try_to_free_pages into try_to_free_pages.
		"pageout", "shrinkList", "doTryToFreePages", "doWPPage", "allocZeroedUserHighpageMovable", "allocPageVMA",
	} {
		klog.HideFunc("pagesim/mm.(*System)." + f)
		klog.HideFunc("pagesim/mm.(*Zone)." + f)
	}
	// The reporting helpers stand for macros, which leave no frame.
	for _, f := range []string{"logf", "dumpStack", "addTaint", "bug", "vmBugOnPage", "vmBugOnPageReport", "warnOnOnce", "DumpPage", "dumpPageBadflags", "dumpPageFlags", "condResched", "emit", "putPageTestzero", "warnOn"} {
		klog.HideFunc("pagesim/mm.(*System)." + f)
	}
}

// logf is printk.
func (s *System) logf(level klog.Level, format string, args ...any) {
	if s.log != nil {
		s.log.Printk(level, format, args...)
	}
}

// printModules is print_modules().
func (s *System) printModules() {
	if s.log != nil {
		s.log.PrintModules()
	}
}

// dumpStack is dump_stack(), skipping skip callers above its caller.
func (s *System) dumpStack(skip int) {
	if s.log != nil {
		s.log.DumpStack(skip + 1)
	}
}

// addTaint is add_taint(flag, LOCKDEP_NOW_UNRELIABLE).
func (s *System) addTaint(flag klog.Taint) {
	if s.log != nil {
		s.log.AddTaint(flag, klog.LockdepNowUnreliable)
	}
}

// bug is BUG() at a v3.16 source location: the oops report, then the
// machine stops (klog panics with *klog.Oops).
func (s *System) bug(file string, line int) {
	if s.log != nil {
		s.log.Bug(file, line, 1)
	}
	panic(&klog.Oops{File: file, Line: line})
}

// vmBugOnPage is VM_BUG_ON_PAGE(cond, page) with CONFIG_DEBUG_VM=y:
// dump_page with the condition's text, then BUG.
//
// The check sits on every hot path (allocation, freeing, the LRU), so the
// report is out of line, leaving a test the compiler inlines.
func (s *System) vmBugOnPage(cond bool, pfn uint64, condText, file string, line int) {
	if cond {
		s.vmBugOnPageReport(pfn, condText, file, line)
	}
}

// vmBugOnPageReport is vmBugOnPage's report: dump_page, then BUG.
func (s *System) vmBugOnPageReport(pfn uint64, condText, file string, line int) {
	s.DumpPage(pfn, "VM_BUG_ON_PAGE("+condText+")")
	s.bug(file, line)
}

// warnOn is WARN_ON(cond) at a v3.16 source location.
func (s *System) warnOn(cond bool, file string, line int) bool {
	if s.log != nil {
		return s.log.WarnOn(cond, file, line)
	}
	return cond
}

// warnOnOnce is WARN_ON_ONCE(cond) at a v3.16 source location.
func (s *System) warnOnOnce(cond bool, file string, line int) bool {
	if s.log != nil {
		return s.log.WarnOnOnce(cond, file, line)
	}
	return cond
}

// ratelimitNopage is __ratelimit(&nopage_rs), warn_alloc_failed's
// DEFAULT_RATELIMIT state.
func (s *System) ratelimitNopage() bool { return s.ratelimit(&s.nopageRS, "warn_alloc_failed") }

// ratelimitState is struct ratelimit_state with DEFAULT_RATELIMIT_INTERVAL
// (5*HZ) and DEFAULT_RATELIMIT_BURST (10), as DEFINE_RATELIMIT_STATE
// declares the report rate limits.
type ratelimitState struct {
	// begin is rs->begin when set; unset is the kernel's begin == 0
	// (kernel jiffies start at INITIAL_JIFFIES and are never 0 then, the
	// model's start at 0).
	begin           int64
	set             bool
	printed, missed int
}

// ratelimit is ___ratelimit() (lib/ratelimit.c): the interval starts at
// the first call; once more than the interval has passed the state
// resets, saying how many calls it suppressed, and begin is left unset
// until the next call; within an interval, burst calls go ahead.
//
// Model: the state's trylock always succeeds (one task runs at a time).
func (s *System) ratelimit(rs *ratelimitState, fn string) bool {
	const interval, burst = 5 * HZ, 10
	now := s.jiffies()
	if !rs.set {
		rs.begin, rs.set = now, true
	}
	if now > rs.begin+interval { // time_is_before_jiffies(begin + interval)
		if rs.missed != 0 {
			s.logf(klog.KernWarning, "%s: %d callbacks suppressed\n", fn, rs.missed)
		}
		rs.set, rs.printed, rs.missed = false, 0, 0
	}
	if burst > rs.printed {
		rs.printed++
		return true
	}
	rs.missed++
	return false
}

// hex0x is the kernel's %#lx: unlike C's printf, lib/vsprintf.c number()
// writes the 0x prefix for zero too ("0x0").
func hex0x(v uint64) string { return fmt.Sprintf("%#x", v) }

// intSqrt is int_sqrt(): the integer square root, rounded down.
func intSqrt(x uint64) uint64 {
	if x <= 1 {
		return x
	}
	var r uint64
	m := uint64(1) << 62
	for m > x {
		m >>= 2
	}
	for m != 0 {
		b := r + m
		r >>= 1
		if x >= b {
			x -= b
			r += m
		}
		m >>= 2
	}
	return r
}

// roundDownPowOfTwo is rounddown_pow_of_two().
func roundDownPowOfTwo(n int) int {
	p := 1
	for p*2 <= n {
		p *= 2
	}
	return p
}
