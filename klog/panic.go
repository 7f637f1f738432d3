package klog

import (
	"fmt"
	"strconv"
	"strings"
)

// The WARN_ON family. In the kernel these are macros around
// warn_slowpath_null (WARN_ON, WARN_ON_ONCE) and warn_slowpath_fmt (WARN,
// WARN_ONCE); here they are methods whose innermost trace frame is the
// function that calls them, and whose file and line are the v3.16 source
// position of the check.

// WarnOn is WARN_ON(cond): if cond, it prints a warning for file:line and
// returns true.
func (l *Log) WarnOn(cond bool, file string, line int) bool {
	if !cond {
		return false
	}
	t := Callers(1)
	l.warnSlowpath(file, line, &t, "warn_slowpath_null", "", false)
	return true
}

// WarnOnOnce is WARN_ON_ONCE(cond): like WarnOn, but a site (file:line)
// prints only the first time its condition holds in this boot. It returns
// cond either way.
func (l *Log) WarnOnOnce(cond bool, file string, line int) bool {
	if !cond {
		return false
	}
	if l.markWarned(file, line) {
		t := Callers(1)
		l.warnSlowpath(file, line, &t, "warn_slowpath_null", "", false)
	}
	return true
}

// WarnOnf is WARN(cond, format, args...): if cond, it prints a warning for
// file:line with the message and returns true.
func (l *Log) WarnOnf(cond bool, file string, line int, format string, args ...any) bool {
	if !cond {
		return false
	}
	t := Callers(1)
	l.warnSlowpath(file, line, &t, "warn_slowpath_fmt", fmt.Sprintf(format, args...), true)
	return true
}

// WarnOncef is WARN_ONCE(cond, format, args...).
func (l *Log) WarnOncef(cond bool, file string, line int, format string, args ...any) bool {
	if !cond {
		return false
	}
	if l.markWarned(file, line) {
		t := Callers(1)
		l.warnSlowpath(file, line, &t, "warn_slowpath_fmt", fmt.Sprintf(format, args...), true)
	}
	return true
}

// Warn prints a warning for file:line unconditionally, as
// warn_slowpath_null does. skip 0 makes the caller of Warn the function
// named in the WARNING line; skip n drops n more frames (helpers that stand
// for the kernel's macro).
func (l *Log) Warn(file string, line int, skip int) {
	t := Callers(1 + skip)
	l.warnSlowpath(file, line, &t, "warn_slowpath_null", "", false)
}

// Warnf prints a warning with a message, as warn_slowpath_fmt does. The
// message is printed as the kernel prints it, with no level and on a line
// of its own only if it ends in a newline (WARN callers write "...\n").
func (l *Log) Warnf(file string, line int, skip int, format string, args ...any) {
	t := Callers(1 + skip)
	l.warnSlowpath(file, line, &t, "warn_slowpath_fmt", fmt.Sprintf(format, args...), true)
}

// WarnOnce is Warn for a site that prints once per boot: it returns true if
// it printed, false if the site had already fired.
func (l *Log) WarnOnce(file string, line int, skip int) bool {
	if !l.markWarned(file, line) {
		return false
	}
	t := Callers(1 + skip)
	l.warnSlowpath(file, line, &t, "warn_slowpath_null", "", false)
	return true
}

// markWarned records that the once-site file:line fired and reports whether
// this was the first time (the macro's static __warned).
func (l *Log) markWarned(file string, line int) bool {
	k := site{file, line}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, done := l.warned[k]; done {
		return false
	}
	l.warned[k] = struct{}{}
	return true
}

// warnSlowpath prints a warning.
//
// Model: warn_slowpath_common in kernel/panic.c: "cut here", the WARNING
// line naming the caller with %pS, the optional message, print_modules,
// dump_stack, the end marker, then TAINT_WARN. The trace starts with the
// kernel's own dump_stack, warn_slowpath_common and warn_slowpath_null (or
// _fmt) frames. disable_trace_on_warning is not modeled.
func (l *Log) warnSlowpath(file string, line int, t *Trace, slowpath, msg string, hasMsg bool) {
	modeled := layout(t.symbols(), slowpath, file+":"+strconv.Itoa(line))
	caller := callerString(modeled, t, slowpath, file, line)
	frames := make([]Frame, 0, 3+len(modeled))
	frames = append(frames,
		kernelFrame("dump_stack", "show_stack"),
		kernelFrame("warn_slowpath_common", "dump_stack"),
		kernelFrame(slowpath, "warn_slowpath_common"))
	frames = append(frames, modeled...)

	l.mu.Lock()
	defer l.mu.Unlock()
	cpu, pid, _ := l.current()
	l.emit(KernWarning, "------------[ cut here ]------------\n")
	l.emit(KernWarning, fmt.Sprintf("WARNING: CPU: %d PID: %d at %s:%d %s()\n", cpu, pid, file, line, caller))
	if hasMsg {
		l.emit(KernCont, msg)
	}
	l.printModules()
	l.dumpStackPrintInfo()
	l.showStack(frames, "show_stack")
	l.printOopsEndMarker()
	l.addTaint(TaintWarn, LockdepStillOK)
}

// callerString is the %pS text of the function that called the report: the
// innermost kernel frame, or, if the caller is not in a registered package,
// its Go name in kernel case as a built-in symbol.
func callerString(modeled []Frame, t *Trace, callee, file string, line int) string {
	if len(modeled) > 0 {
		return modeled[0].String()
	}
	return makeFrame(fallbackRef(t), callee, file+":"+strconv.Itoa(line)).String()
}

func fallbackRef(t *Trace) symRef {
	fn := t.firstGoFunc()
	_, parts := splitFuncName(fn)
	name := "unknown"
	for i := len(parts) - 1; i >= 0; i-- {
		if !isClosureName(parts[i]) {
			name = strings.TrimSuffix(parts[i], "-fm")
			break
		}
	}
	return symRef{fn: fn, sym: SnakeCase(name)}
}

// PrintModules prints the "Modules linked in:" line.
//
// Model: print_modules in kernel/module.c. Module flags ("(O)", "(+)") are
// not modeled: no module is tainted, loading or unloading.
func (l *Log) PrintModules() {
	l.mu.Lock()
	l.printModules()
	l.mu.Unlock()
}

// LoadModule records that a module was loaded (load_module's list_add_rcu
// onto the modules list): print_modules and lsmod show the most recently
// loaded first. A module already loaded is not loaded again, as modprobe
// does not insert it twice.
func (l *Log) LoadModule(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.cfg.Modules {
		if m == name {
			return
		}
	}
	l.cfg.Modules = append([]string{name}, l.cfg.Modules...)
}

func (l *Log) printModules() {
	var b strings.Builder
	b.WriteString("Modules linked in:")
	for _, m := range l.cfg.Modules {
		b.WriteByte(' ')
		b.WriteString(m)
	}
	if l.cfg.LastUnloaded != "" {
		b.WriteString(" [last unloaded: " + l.cfg.LastUnloaded + "]")
	}
	b.WriteByte('\n')
	l.emit(KernDefault, b.String())
}

// DumpStack prints the current task and its call trace, as dump_stack()
// does. skip 0 makes the caller of DumpStack the innermost modeled frame,
// after the kernel's own dump_stack frame.
//
// Model: dump_stack in lib/dump_stack.c and show_stack in
// arch/x86/kernel/dumpstack*.c: dump_stack_print_info's CPU/PID/Comm and
// "Hardware name:" lines, the twelve stack words, "Call Trace:" and one line
// per frame. The stack words are synthesized (there is no real stack): the
// saved frame pointers and return addresses of the printed frames, with
// made-up locals between them, all derived from the PID and symbol names.
// print_worker_info's "Workqueue:" line is not modeled.
func (l *Log) DumpStack(skip int) {
	t := Callers(1 + skip)
	modeled := layout(t.symbols(), "dump_stack", "")
	frames := append([]Frame{kernelFrame("dump_stack", "show_stack")}, modeled...)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dumpStackPrintInfo()
	l.showStack(frames, "show_stack")
}

// dumpStackPrintInfo is dump_stack_print_info in kernel/printk/printk.c.
func (l *Log) dumpStackPrintInfo() {
	cpu, pid, comm := l.current()
	version := l.cfg.Version
	if i := strings.IndexByte(version, ' '); i >= 0 {
		version = version[:i]
	}
	l.emit(KernDefault, fmt.Sprintf("CPU: %d PID: %d Comm: %.20s %s %s %s\n",
		cpu, pid, comm, taintString(l.taint), l.cfg.Release, version))
	if l.cfg.Hardware != "" {
		l.emit(KernDefault, "Hardware name: "+l.cfg.Hardware+"\n")
	}
}

// showStack prints the stack words and the call trace. firstOwner is the
// function whose frame lies below the first printed frame's.
func (l *Log) showStack(frames []Frame, firstOwner string) {
	if !l.cfg.NoStackWords {
		_, pid, _ := l.current()
		w := stackWords(pid, frames, firstOwner)
		for i := 0; i < len(w); i += stackSlotsPerLine {
			var b strings.Builder
			for _, x := range w[i : i+stackSlotsPerLine] {
				fmt.Fprintf(&b, " %016x", x)
			}
			b.WriteByte('\n')
			l.emit(KernCont, b.String())
		}
	}
	l.emit(KernCont, "Call Trace:\n")
	for _, f := range frames {
		l.emit(KernCont, f.TraceLine()+"\n")
	}
}

// x86_64 stack dump geometry: kstack_depth_to_print = 3 lines of
// STACKSLOTS_PER_LINE words; THREAD_SIZE is 16 KiB.
const (
	stackSlotsPerLine  = 4
	kstackDepthToPrint = 3 * stackSlotsPerLine
	threadSize         = 16 << 10
	directMapBase      = 0xffff880000000000
)

// stackWords synthesizes the words at the top of the task's stack: for each
// frame, some locals of the function it called, the saved frame pointer
// (pointing at the next saved frame pointer) and the return address.
func stackWords(pid int, frames []Frame, firstOwner string) []uint64 {
	base := uint64(directMapBase) + (fnv64("thread", strconv.Itoa(pid))%0x40000)*threadSize
	sp := base + threadSize/2 + (fnv64("sp", firstOwner)%0x40)*8
	owners := make([]string, len(frames))
	nlocals := make([]int, len(frames))
	for i := range frames {
		if i == 0 {
			owners[i] = firstOwner
		} else {
			owners[i] = frames[i-1].Symbol
		}
		nlocals[i] = 1 + int(fnv64("locals", owners[i])%3)
	}
	words := make([]uint64, 0, kstackDepthToPrint+4)
	slot := func(i int) uint64 { return sp + uint64(i)*8 }
	for i := 0; i < len(frames) && len(words) < kstackDepthToPrint; i++ {
		for k := 0; k < nlocals[i]; k++ {
			h := fnv64("local", owners[i], strconv.Itoa(k))
			var w uint64
			switch h % 4 {
			case 0:
				w = 0
			case 1:
				w = (h >> 8) % 0x40
			case 2:
				w = slot(len(words) + 4 + int((h>>8)%0x40))
			case 3:
				w = directMapBase + ((h>>8)%0x3fffffff)&^0x3f
			}
			words = append(words, w)
		}
		next := len(words) + 2
		if i+1 < len(frames) {
			next += nlocals[i+1]
		}
		words = append(words, slot(next), frames[i].Addr())
	}
	for len(words) < kstackDepthToPrint {
		words = append(words, 0)
	}
	return words[:kstackDepthToPrint]
}

// printOopsEndMarker is print_oops_end_marker in kernel/panic.c. Like
// init_oops_id it increments the id before printing; the kernel would draw
// a random id if it were still zero, here it simply counts from zero.
func (l *Log) printOopsEndMarker() {
	l.oopsID++
	l.emit(KernWarning, fmt.Sprintf("---[ end trace %016x ]---\n", l.oopsID))
}
