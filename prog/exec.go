// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"pagesim/kernel"
	"pagesim/mm"
	"pagesim/sim"
)

// Options tune a run.
type Options struct {
	// Override edits the machine's configuration after the header has
	// been applied to the defaults: the command line's explicit flags, or
	// the fuzzer's seed.
	Override func(cfg *kernel.Config)
	// Setup runs on the booted machine before any task does (after the
	// header's sysctls): attach a tracer, enable page history.
	Setup func(m *kernel.Machine)
	// IdleNS, when positive, keeps the machine running this much virtual
	// time after the last task has exited (the flusher, kswapd).
	IdleNS int64
	// Strace, when set, gets a line per call as it returns (Result.Trace).
	Strace io.Writer
	// AfterCall, when set, is called after each call returns (after
	// Strace gets its line), on the task that made the call, inside the
	// simulation: no other task runs and the clock stands still until it
	// returns, so it may read the machine (run the invariant checker, read
	// the clock), but it must not sleep. Returning true stops the machine
	// there: every task is unwound and Run returns with
	// Result.Stopped set.
	AfterCall func(ev *CallEvent) (stop bool)
	// Deadline, when set, is the host time by which the run must end: a
	// program whose model work takes longer (a program that writes
	// gigabytes, a livelock the watchdog has not caught yet) is stopped
	// and its Result says TimedOut. The fuzzer sets it, so that one slow
	// program cannot hold a worker. It uses the scheduler's tick
	// (sim.Scheduler.SetTick), which it then owns.
	Deadline time.Time
}

// CallEvent is a call that has just returned, as Options.AfterCall sees
// it.
type CallEvent struct {
	Machine *kernel.Machine
	Index   int   // the call's number in Program.Calls
	Call    *Call // the call; Call.Pos.Line is its line in the program
	Result  *CallResult
	Trace   string // the call's trace line (as in Result.Trace)
	// Done counts the calls that have returned, this one included.
	Done int
	// Quiet says whether every other task is stopped where it holds no
	// kernel state in flight: each other task of the program has not
	// started, has exited, or sleeps in sleep() or holding its pins in
	// pin(); kswapd sleeps (no isolated pages) and the flushers wait for
	// work. Any other task might be stopped inside a system call, with
	// pages isolated from their LRU, locked or half set up. With Quiet
	// the invariant checker's answer is exact, as at the end of a run.
	Quiet bool
}

// CallResult is what one call did.
type CallResult struct {
	// Executed is false for a call that never ran: its task was never
	// created (a failed fork), exited, was killed, or the machine
	// stopped first.
	Executed bool
	PID      int
	// Start and End are the virtual times (ns since boot) at which the
	// call was made and returned.
	Start, End int64
	// Ret is the return value: the address for mmap, the descriptor for
	// open, the byte count for read and write, the child's PID for fork,
	// the PFN for alloc_pages, 0 otherwise; -1 when Errno is set.
	Ret int64
	// Errno is the error ("EBADF", "ENOMEM", ...), empty on success.
	Errno string
}

// Result is how a program's run went.
type Result struct {
	Calls []CallResult // one per call, in program order
	// Trace has a line per executed call, in the order they returned:
	// "[    0.000123] main[3]: r0 = mmap(4M, rw) = 0x7ffff7c00000".
	Trace []string
	// Machine is the machine the program ran on; it has been closed,
	// but its log and /proc files can still be read.
	Machine *kernel.Machine
	// Kernel says whether the machine oopsed or failed.
	Kernel kernel.Result
	// DataIntegrityErrors counts reads that did not return what was
	// written (DESIGN §7).
	DataIntegrityErrors int
	// Invariants lists invariant violations found after the run (not
	// checked after an oops, or after Options.AfterCall stopped the run).
	Invariants []string
	// Stopped says that Options.AfterCall stopped the run, after call
	// StoppedAfter (its index in Program.Calls).
	Stopped      bool
	StoppedAfter int
	// TimedOut says that Options.Deadline passed and the run was cut
	// short: what it found so far is in the Result, but it was not
	// checked at the end.
	TimedOut bool
}

// Failed says whether the run found a problem: an oops, a model failure,
// lost data or a broken invariant.
func (r *Result) Failed() bool {
	return r.Kernel.Failed() || r.DataIntegrityErrors > 0 || len(r.Invariants) > 0
}

// Config is the machine the program's header describes: pagesim's
// defaults with the header's settings on top. The header's sysctls are
// not part of it; Run writes them after boot.
func (p *Program) Config() kernel.Config {
	cfg := kernel.DefaultConfig()
	h := &p.Header
	if h.Mem != 0 {
		cfg.MemBytes = h.Mem
	}
	if h.Nodes != 0 {
		cfg.Nodes = h.Nodes
	}
	if h.CPUs != 0 {
		cfg.CPUs = h.CPUs
	}
	cfg.MovableCoreBytes = h.MovableCore
	cfg.SwapBytes = h.Swap
	if h.Kernel != "" {
		cfg.Kernel = h.Kernel
	}
	cfg.Patches = cloneStrings(h.Patches)
	if h.HasSeed {
		cfg.Seed = h.Seed
	}
	if h.Sched == "random" {
		cfg.Policy = sim.Random
	}
	for _, m := range h.Mounts {
		cfg.Mounts = append(cfg.Mounts, kernel.MountSpec{Type: m.Type, Path: m.Path, SizeBytes: m.Size, LatencyNS: m.Latency})
	}
	return cfg
}

// Run validates the program, boots the machine its header describes,
// writes the header's sysctls, and runs every task's calls: each task the
// program starts is a process spawned at boot, in order of first
// appearance; each fork(child) starts a child process running child's
// lines. Tasks run concurrently under the machine's scheduler; the run
// ends when every task has exited (and after Options.IdleNS more).
//
// The error is for a program that does not validate or a machine that
// does not boot; what happened on the machine (an oops, lost data) is in
// the Result.
func Run(p *Program, opts Options) (*Result, error) {
	if err := Validate(p); err != nil {
		return nil, err
	}
	cfg := p.Config()
	if opts.Override != nil {
		opts.Override(&cfg)
	}
	m, err := kernel.Boot(cfg)
	if err != nil {
		return nil, fmt.Errorf("boot: %v", err)
	}
	defer m.Close()
	for _, s := range p.Header.Sysctls {
		if err := m.Sysctl(s.Name, s.Value); err != nil {
			return nil, fmt.Errorf("sysctl %s=%d: %v", s.Name, s.Value, err)
		}
	}
	if opts.Setup != nil {
		opts.Setup(m)
	}
	r := newRunner(p, m, opts)
	for _, name := range r.topLevel() {
		ctx := &taskCtx{name: name, vals: make([]resVal, r.nres), pos: map[int]*filePos{}}
		proc := m.Spawn(name, func(proc *kernel.Process) {
			ctx.proc = proc
			r.runTask(ctx)
		})
		ctx.task = proc.Task
		r.tasks = append(r.tasks, ctx)
	}
	if !opts.Deadline.IsZero() {
		deadline := opts.Deadline
		m.Sched.SetTick(256, func() {
			if time.Now().After(deadline) {
				m.Sched.Stop(deadlineReason)
			}
		})
	}
	kres := m.Run(0)
	if !kres.Failed() && opts.IdleNS > 0 {
		kres = m.Run(opts.IdleNS)
	}
	res := r.res
	res.Machine = m
	res.DataIntegrityErrors = m.DataIntegrityErrors
	if r.stoppedAfter >= 0 {
		res.Stopped, res.StoppedAfter = true, r.stoppedAfter
		// The machine stopped because AfterCall asked: not a failure.
		var se *sim.StopError
		if errors.As(kres.Err, &se) && se.Reason == stopReason {
			kres.Err = nil
		}
	}
	if se := (*sim.StopError)(nil); errors.As(kres.Err, &se) && se.Reason == deadlineReason {
		res.TimedOut = true
		kres.Err = nil
	}
	res.Kernel = kres
	if kres.Oops == nil && r.stoppedAfter < 0 && !res.TimedOut {
		res.Invariants = m.MM.CheckInvariants()
	}
	return res, nil
}

// stopReason is the machine's stop reason when Options.AfterCall stops
// the run.
const stopReason = "stopped after a call by the caller of prog.Run"

// deadlineReason is the machine's stop reason when Options.Deadline
// passes.
const deadlineReason = "the run went past its real-time deadline"

type runner struct {
	p      *Program
	m      *kernel.Machine
	opts   Options
	res    *Result
	nres   int
	lines  map[string][]int // task -> its calls, in order
	defRes []int            // call -> the resource it defines, or -1
	resDef []int            // resource -> the call that defines it
	// tasks holds every task the program has started (for Quiet).
	tasks []*taskCtx
	// done counts the calls that have returned; stoppedAfter is the call
	// after which AfterCall stopped the run, or -1.
	done         int
	stoppedAfter int
}

// filePos is an open file description's position (file->f_pos) and its
// f_pos_lock, shared by the tasks that inherited the descriptor.
type filePos struct {
	pos  int64
	lock sim.Mutex
}

type resVal struct {
	v  uint64
	ok bool
}

// taskCtx is one task's view: its process, its resources' values
// (copied at fork), and the file position of each descriptor (shared with
// the children that inherit it, as the open file description is).
type taskCtx struct {
	name string
	task *sim.Task // set when the task is created
	proc *kernel.Process
	vals []resVal
	pos  map[int]*filePos
}

func newRunner(p *Program, m *kernel.Machine, opts Options) *runner {
	r := &runner{p: p, m: m, opts: opts, res: &Result{Calls: make([]CallResult, len(p.Calls))}, lines: map[string][]int{}, stoppedAfter: -1}
	for i, c := range p.Calls {
		r.lines[c.Task] = append(r.lines[c.Task], i)
		if c.Def {
			r.defRes = append(r.defRes, r.nres)
			r.resDef = append(r.resDef, i)
			r.nres++
		} else {
			r.defRes = append(r.defRes, -1)
		}
	}
	return r
}

// topLevel lists the tasks no fork creates, in order of first appearance.
func (r *runner) topLevel() []string {
	forked := map[string]bool{}
	for _, c := range r.p.Calls {
		if c.Name == "fork" {
			forked[c.Args[0].Str] = true
		}
	}
	var out []string
	for _, t := range r.p.Tasks() {
		if !forked[t] {
			out = append(out, t)
		}
	}
	return out
}

func (r *runner) runTask(ctx *taskCtx) {
	for _, i := range r.lines[ctx.name] {
		if ctx.proc.Exited() {
			return
		}
		r.exec(ctx, i)
	}
}

func (r *runner) exec(ctx *taskCtx, i int) {
	c := r.p.Calls[i]
	cr := &r.res.Calls[i]
	cr.Executed = true
	cr.PID = ctx.proc.Task.PID
	cr.Start = r.m.Clock.Now()
	ret, err := r.do(ctx, c, i)
	cr.End = r.m.Clock.Now()
	if err != nil {
		cr.Ret, cr.Errno = -1, errnoName(err)
	} else {
		cr.Ret = ret
	}
	if n := r.defRes[i]; n >= 0 {
		ctx.vals[n] = resVal{v: uint64(ret), ok: err == nil}
	}
	line := fmt.Sprintf("[%5d.%06d] %s[%d]: %s = %s", cr.End/1e9, cr.End%1e9/1e3, c.Task, cr.PID, c.text(r.defRes[i]), formatRet(c.Name, cr))
	r.res.Trace = append(r.res.Trace, line)
	if r.opts.Strace != nil {
		fmt.Fprintln(r.opts.Strace, line)
	}
	r.done++
	if r.opts.AfterCall != nil {
		ev := &CallEvent{Machine: r.m, Index: i, Call: c, Result: cr, Trace: line, Done: r.done, Quiet: r.quiet(ctx)}
		if r.opts.AfterCall(ev) {
			r.stoppedAfter = i
			r.m.Sched.Stop(stopReason) // does not return
		}
	}
}

// quiet is CallEvent.Quiet for a call of cur that has just returned.
func (r *runner) quiet(cur *taskCtx) bool {
	if !r.m.DaemonsIdle() {
		return false
	}
	for _, ctx := range r.tasks {
		t := ctx.task
		if ctx == cur || !t.Started() || t.State() == sim.StateDead {
			continue
		}
		if ctx.proc == nil || !ctx.proc.Quiet() {
			return false
		}
	}
	return true
}

func formatRet(call string, cr *CallResult) string {
	if cr.Errno != "" {
		return "-1 " + cr.Errno
	}
	if call == "mmap" {
		return fmt.Sprintf("%#x", cr.Ret)
	}
	if call == "alloc_pages" {
		return fmt.Sprintf("pfn %#x", cr.Ret)
	}
	return fmt.Sprint(cr.Ret)
}

// errnoName is the errno an error stands for; anything else (a model
// error with a message) is kept as text.
func errnoName(err error) string {
	s := err.Error()
	ok := len(s) > 1 && s[0] == 'E'
	for i := 1; ok && i < len(s); i++ {
		ok = s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9'
	}
	if ok {
		return s
	}
	return "EIO (" + s + ")"
}

// Errnos the executor itself returns, where Linux's syscall entry would
// refuse before mm is reached.
var (
	errEINVAL       = kernel.EINVAL
	errEBADF        = kernel.EBADF
	errEFAULT       = kernel.EFAULT
	errENOMEM       = kernel.ENOMEM
	errEOVERFLOW    = kernel.EOVERFLOW
	errENAMETOOLONG = fmt.Errorf("ENAMETOOLONG")
	errENOENT       = fmt.Errorf("ENOENT")
)

// MAX_RW_COUNT is the most one read or write transfers (INT_MAX &
// PAGE_MASK), as rw_verify_area caps it.
// pageMaskTop is the highest page-aligned address.
const pageMaskTop = ^uint64(0) &^ (mm.PAGE_SIZE - 1)

const maxRWCount = (1<<31 - 1) &^ (mm.PAGE_SIZE - 1)

func (r *runner) addr(ctx *taskCtx, a Arg) uint64 {
	if a.Kind == ArgRes {
		v := ctx.vals[a.Res]
		if !v.ok {
			return a.Val // a failed mmap's address is 0
		}
		return v.v + a.Val
	}
	return a.Val
}

func (r *runner) fd(ctx *taskCtx, a Arg) int {
	if a.Kind == ArgRes {
		v := ctx.vals[a.Res]
		if !v.ok {
			return -1 // a failed open's descriptor
		}
		return int(v.v)
	}
	return int(int64(a.Val))
}

// token is a write's data token: token=N, or the call's number plus one.
func dataToken(a Arg, i int) uint64 {
	if a.Val != 0 {
		return a.Val
	}
	return uint64(i) + 1
}

// checkPath is getname()'s checks.
func checkPath(path string) error {
	if len(path) >= pathMax {
		return errENAMETOOLONG
	}
	if path == "" {
		return errENOENT
	}
	for _, comp := range strings.Split(path, "/") {
		if len(comp) > 255 { // NAME_MAX
			return errENAMETOOLONG
		}
	}
	return nil
}

// rwCount is rw_verify_area()'s checks of a count at pos: a negative
// count or position, or one that overflows, is EINVAL; the count is capped
// at MAX_RW_COUNT.
func rwCount(pos int64, count uint64) (int64, error) {
	if int64(count) < 0 || pos < 0 || pos+int64(count) < 0 {
		return 0, errEINVAL
	}
	return int64(min(count, maxRWCount)), nil
}

// do makes call i. Each case does the checks the kernel's syscall entry
// does before the work, in the kernel's order, then calls the process.
func (r *runner) do(ctx *taskCtx, c *Call, i int) (int64, error) {
	p := ctx.proc
	a := c.Args
	switch c.Name {
	case "mmap":
		length, write, shared := a[0].Val, a[1].Val == protRW, a[2].Val != 0
		off := a[4].Val
		// sys_mmap: the offset must be page aligned.
		if off&(mm.PAGE_SIZE-1) != 0 {
			return 0, errEINVAL
		}
		file := a[3].Kind == ArgRes || int64(a[3].Val) != -1
		fd := r.fd(ctx, a[3])
		if file && !p.HasFD(fd) {
			return 0, errEBADF
		}
		// do_mmap_pgoff: an empty length is EINVAL; one that rounds up
		// to nothing is ENOMEM; pgoff + pages must not wrap.
		if length == 0 {
			return 0, errEINVAL
		}
		if length > pageMaskTop {
			return 0, errENOMEM
		}
		pages := (length + mm.PAGE_SIZE - 1) >> mm.PAGE_SHIFT
		if pgoff := off >> mm.PAGE_SHIFT; pgoff+pages < pgoff {
			return 0, errEOVERFLOW
		}
		var addr uint64
		var err error
		if file {
			addr, err = p.MmapFile(fd, int64(off), length, write, shared)
		} else {
			addr, err = p.Mmap(length, write)
		}
		return int64(addr), err
	case "munmap":
		return 0, p.Munmap(r.addr(ctx, a[0]), a[1].Val)
	case "madvise":
		return 0, p.Madvise(r.addr(ctx, a[0]), a[1].Val, int(int32(a[2].Val)))
	case "mlock":
		return 0, p.Mlock(r.addr(ctx, a[0]), a[1].Val)
	case "munlock":
		return 0, p.Munlock(r.addr(ctx, a[0]), a[1].Val)
	case "fork":
		name := a[0].Str
		child := &taskCtx{name: name, vals: append([]resVal(nil), ctx.vals...), pos: map[int]*filePos{}}
		for fd, cell := range ctx.pos {
			child.pos[fd] = cell
		}
		cp, err := p.Fork(name, func(cp *kernel.Process) {
			child.proc = cp
			r.runTask(child)
		})
		if err != nil {
			return 0, err
		}
		child.task = cp.Task
		r.tasks = append(r.tasks, child)
		return int64(cp.Task.PID), nil
	case "exit":
		p.Exit()
		return 0, nil
	case "open":
		path := a[0].Str
		if err := checkPath(path); err != nil {
			return 0, err
		}
		fd, err := p.Open(path, a[1].Val != 0)
		if err != nil {
			return 0, err
		}
		ctx.pos[fd] = new(filePos)
		return int64(fd), nil
	case "close":
		fd := r.fd(ctx, a[0])
		err := p.Close(fd)
		if err == nil {
			delete(ctx.pos, fd)
		}
		return 0, err
	case "read", "pread", "write", "pwrite":
		// sys_pread64/sys_pwrite64: a negative position is EINVAL before
		// the descriptor is looked up.
		if (c.Name == "pread" || c.Name == "pwrite") && int64(a[2].Val) < 0 {
			return 0, errEINVAL
		}
		fd := r.fd(ctx, a[0])
		if !p.HasFD(fd) {
			return 0, errEBADF
		}
		cell := ctx.pos[fd]
		if cell == nil {
			cell = new(filePos)
			ctx.pos[fd] = cell
		}
		var pos int64
		if c.Name == "pread" || c.Name == "pwrite" {
			pos = int64(a[2].Val)
		} else {
			// __fdget_pos: f_pos_lock, held from reading the position
			// to storing the new one, so that tasks sharing the open
			// file do not read and write at the same position.
			cell.lock.Lock(p.Task)
			defer cell.lock.Unlock()
			pos = cell.pos
		}
		count, err := rwCount(pos, a[1].Val)
		if err != nil {
			return 0, err
		}
		var n int64
		switch c.Name {
		case "read", "pread":
			n, err = p.Pread(fd, pos, count)
		case "write":
			n, err = p.Pwrite(fd, pos, count, dataToken(a[2], i))
		case "pwrite":
			n, err = p.Pwrite(fd, pos, count, dataToken(a[3], i))
		}
		if err != nil && n <= 0 {
			return 0, err
		}
		if c.Name == "read" || c.Name == "write" {
			cell.pos += n
		}
		return n, nil
	case "fsync", "fdatasync":
		return 0, p.Fsync(r.fd(ctx, a[0]), c.Name == "fdatasync")
	case "ftruncate":
		// do_sys_ftruncate: a negative length is EINVAL before fdget.
		if int64(a[1].Val) < 0 {
			return 0, errEINVAL
		}
		return 0, p.Ftruncate(r.fd(ctx, a[0]), int64(a[1].Val))
	case "unlink":
		if err := checkPath(a[0].Str); err != nil {
			return 0, err
		}
		return 0, p.Unlink(a[0].Str)
	case "msync":
		return 0, p.MsyncFlags(r.addr(ctx, a[0]), a[1].Val, int(a[2].Val))
	case "touch":
		addr, length := r.addr(ctx, a[0]), a[1].Val
		if length == 0 {
			return 0, nil
		}
		if addr+length < addr {
			return 0, errEFAULT
		}
		stride := a[3].Val
		if stride >= addr+length-addr&^(mm.PAGE_SIZE-1) {
			length = 1 // the stride steps past the end: one access
		}
		return 0, p.Touch(addr, length, stride, a[2].Val == 1, dataToken(a[4], i))
	case "pin":
		addr, length := r.addr(ctx, a[0]), a[1].Val
		if addr+length < addr || addr+length > pageMaskTop {
			return 0, errEFAULT
		}
		return 0, p.Pin(addr, length, a[3].Val != 0, int64(a[2].Val))
	case "sleep":
		return 0, p.Sleep(int64(a[0].Val))
	case "swapon":
		return 0, p.SwapOn(int(int64(a[0].Val)))
	case "swapoff":
		return 0, p.SwapOff()
	case "sysctl":
		return 0, p.Sysctl(a[0].Str, int64(a[1].Val))
	case "compact_memory":
		return 0, p.CompactMemory()
	case "oom_score_adj":
		return 0, p.SetOOMScoreAdj(int64(a[0].Val))
	case "drop_caches":
		return 0, p.DropCaches(int64(a[0].Val))
	case "alloc_pages":
		pfn, err := p.AllocPages(int(int64(a[2].Val)), mm.GFP(a[1].Val), uint(a[0].Val))
		return int64(pfn), err
	case "free_pages":
		v := ctx.vals[a[0].Res]
		if !v.ok {
			return 0, nil // free_pages(0, order) does nothing
		}
		order := r.p.Calls[r.resDef[a[0].Res]].Args[0].Val
		return 0, p.FreePages(v.v, uint(order))
	}
	return 0, fmt.Errorf("ENOSYS")
}
