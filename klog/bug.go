package klog

import (
	"fmt"
	"strconv"
	"strings"
)

// Oops is the value Bug and Panic panic with. The machine's scheduler
// recovers it and stops the machine; the report is already in the Log.
type Oops struct {
	Panic  bool   // true for panic(), false for BUG()
	File   string // BUG: the v3.16 source file of the check
	Line   int    // BUG: its line
	Msg    string // "kernel BUG at mm/vmscan.c:1297!" or the panic message
	Symbol string // kernel function that hit BUG or called panic
	Die    int    // BUG: the die counter printed as "[#n]"
	Trace  Trace  // Go stack at the report
}

// Error returns the report's headline.
func (o *Oops) Error() string {
	if o.Panic {
		return "Kernel panic - not syncing: " + o.Msg
	}
	return o.Msg
}

// BugOn is BUG_ON(cond).
func (l *Log) BugOn(cond bool, file string, line int) {
	if cond {
		t := Callers(1)
		l.bug(file, line, &t)
	}
}

// VMBugOn is VM_BUG_ON(cond) in a CONFIG_DEBUG_VM kernel, which pagesim
// always models. VM_BUG_ON_PAGE(cond, page) belongs to the code that knows
// struct page: it prints dump_page's lines with Printk and then calls Bug
// (with skip 1 if it does so from a helper).
func (l *Log) VMBugOn(cond bool, file string, line int) {
	if cond {
		t := Callers(1)
		l.bug(file, line, &t)
	}
}

// Bug is BUG() at file:line: it prints the oops and panics with an *Oops.
// skip 0 makes the caller of Bug the function that hit the BUG; skip n
// drops n more frames.
//
// Model: BUG's ud2 trapping to do_invalid_op (arch/x86/kernel/traps.c),
// then die(): report_bug's "cut here" and "kernel BUG at" lines
// (lib/bug.c), __die's "invalid opcode: 0000 [#n] SMP" line, print_modules,
// show_regs, oops_end's TAINT_DIE and the end marker. show_regs is reduced:
// it prints the CPU/PID/Comm and "Hardware name:" lines, the RIP line with
// the function that hit the BUG, the stack words and the call trace (which,
// as the kernel's, starts at that function's caller), and the "RIP  [<...>]"
// summary; there are no registers to print, so the "task:", RSP/EFLAGS,
// general register, segment and control register lines, "Code:" and the
// " RSP <...>" summary line are left out. What follows the oops in the
// kernel (do_exit of the task) is the scheduler's business.
func (l *Log) Bug(file string, line int, skip int) {
	t := Callers(1 + skip)
	l.bug(file, line, &t)
}

func (l *Log) bug(file string, line int, t *Trace) {
	siteStr := file + ":" + strconv.Itoa(line)
	refs := t.symbols()
	var rip Frame
	var callers []Frame
	if len(refs) > 0 {
		rip = makeFrame(refs[0], "BUG", siteStr)
		callers = layout(refs[1:], refs[0].sym, "")
	} else {
		rip = makeFrame(fallbackRef(t), "BUG", siteStr)
	}
	msg := fmt.Sprintf("kernel BUG at %s:%d!", file, line)

	l.mu.Lock()
	l.debugLocksOff() // oops_enter
	l.emit(KernDefault, "------------[ cut here ]------------\n")
	l.emit(KernCrit, msg+"\n")
	l.dieCounter++
	die := l.dieCounter
	var b strings.Builder
	fmt.Fprintf(&b, "invalid opcode: %04x [#%d] ", 0, die)
	if l.cfg.Preempt {
		b.WriteString("PREEMPT ")
	}
	b.WriteString("SMP ")
	if l.cfg.DebugPagealloc {
		b.WriteString("DEBUG_PAGEALLOC")
	}
	b.WriteByte('\n')
	l.emit(KernDefault, b.String())
	l.printModules()
	l.dumpStackPrintInfo()
	l.emit(KernDefault, fmt.Sprintf("RIP: %04x:[<%016x>] %s\n", 0x10, rip.Addr(), rip.TraceLine()))
	if !l.cfg.NoStackWords {
		l.emit(KernDefault, "Stack:\n")
	}
	l.showStack(callers, rip.Symbol)
	l.emit(KernAlert, "RIP "+rip.TraceLine()+"\n")
	l.addTaint(TaintDie, LockdepNowUnreliable)
	l.printOopsEndMarker()
	l.mu.Unlock()

	panic(&Oops{File: file, Line: line, Msg: msg, Symbol: rip.Symbol, Die: die, Trace: *t})
}

// Panic is panic(fmt, args...): it prints the panic message, dumps the
// stack unless an oops already happened, prints the closing line and
// panics with an *Oops.
//
// Model: panic in kernel/panic.c with CONFIG_DEBUG_BUGVERBOSE and
// panic_timeout 0. The 1024-byte message limit, kexec, notifiers and the
// blinking loop are not modeled.
func (l *Log) Panic(format string, args ...any) {
	t := Callers(1)
	msg := fmt.Sprintf(format, args...)
	refs := t.symbols()
	modeled := layout(refs, "panic", "")
	sym := ""
	if len(refs) > 0 {
		sym = refs[0].sym
	}
	frames := append([]Frame{
		kernelFrame("dump_stack", "show_stack"),
		kernelFrame("panic", "dump_stack"),
	}, modeled...)

	l.mu.Lock()
	l.emit(KernEmerg, "Kernel panic - not syncing: "+msg+"\n")
	if l.taint&(1<<TaintDie) == 0 {
		l.dumpStackPrintInfo()
		l.showStack(frames, "show_stack")
	}
	l.emit(KernEmerg, "---[ end Kernel panic - not syncing: "+msg+"\n")
	l.mu.Unlock()

	panic(&Oops{Panic: true, Msg: msg, Symbol: sym, Trace: t})
}
