package sim

import (
	"errors"
	"fmt"
	"iter"
	"math"
	"sort"
	"strings"
)

// Policy is how the scheduler picks the next task from the run queue.
type Policy uint8

const (
	// RoundRobin runs tasks in FIFO order of becoming runnable, ignoring
	// the PRNG: the readable, seed-independent order for reproductions.
	RoundRobin Policy = iota
	// Random picks uniformly among the runnable tasks with the machine
	// PRNG: the fuzzer's interleavings.
	Random
)

func (p Policy) String() string {
	switch p {
	case RoundRobin:
		return "roundrobin"
	case Random:
		return "random"
	}
	return fmt.Sprintf("Policy(%d)", p)
}

// Scheduler runs one machine's tasks, one at a time, in virtual time. All
// its methods must be called either from the goroutine that calls Run (the
// "scheduler side", including timer callbacks) or from the running task;
// that is what keeps the machine free of data races without locks.
type Scheduler struct {
	clock  *Clock
	rng    *Rand
	ncpus  int
	policy Policy

	lastPID int
	nextCPU int

	cur *Task
	// onSwitch is called with the new value whenever cur changes.
	onSwitch []func(cur *Task)

	runq   ring
	timers timerHeap
	seq    uint64

	// tasks holds the live tasks in PID order; users counts those that
	// are not daemons (see Run).
	tasks []*Task
	users int

	running bool
	// limit and waitUsers describe the current run, so that Yield's fast
	// path can tell whether the scheduler would stop.
	limit     int64
	waitUsers bool

	yieldCost int64

	stopErr   *StopError
	taskPanic *TaskPanic
	switches  uint64
	// stallAt and stallSwitches count switches at one instant (the hang
	// check of run).
	stallAt       int64
	stallSwitches uint64
	// tickFn is SetTick's function, due when switches reaches tickNext.
	tickFn    func()
	tickEvery uint64
	tickNext  uint64
}

// NewScheduler returns a scheduler for a machine with ncpus CPUs, reading
// time from clock and, under the Random policy, drawing from rng. The
// scheduler uses rng only to pick the next task; give it a Fork if other
// subsystems should not see their draws shift when the schedule changes.
func NewScheduler(clock *Clock, rng *Rand, ncpus int, policy Policy) *Scheduler {
	if ncpus <= 0 {
		panic("sim: NewScheduler with ncpus <= 0")
	}
	if rng == nil && policy == Random {
		panic("sim: NewScheduler with the Random policy needs a Rand")
	}
	if clock == nil {
		clock = NewClock()
	}
	return &Scheduler{
		clock:     clock,
		rng:       rng,
		ncpus:     ncpus,
		policy:    policy,
		limit:     math.MaxInt64,
		yieldCost: DefaultYieldCost,
		tickNext:  math.MaxUint64,
	}
}

// SetTick arranges for fn to be called once every n task switches (as
// Switches counts them, Yields that keep the CPU included), between steps
// of the machine: on the scheduler side after a task has handed the CPU
// back, or on the running task at a Yield. Either way nothing else runs
// meanwhile, so fn may read the machine (the clock, the task list) without
// a data race, where reading it from another goroutine would be one. fn
// must not sleep, spawn or otherwise change the machine: it is for
// observers, such as a progress report that looks at host time every n
// switches. It may Stop the machine (a deadline). A nil fn (or n of 0)
// removes the tick.
func (s *Scheduler) SetTick(n uint64, fn func()) {
	if fn == nil || n == 0 {
		s.tickFn, s.tickEvery, s.tickNext = nil, 0, math.MaxUint64
		return
	}
	s.tickFn, s.tickEvery, s.tickNext = fn, n, s.switches+n
}

// tick calls the SetTick function if it is due.
func (s *Scheduler) tick() {
	if s.switches >= s.tickNext {
		s.tickNext = s.switches + s.tickEvery
		s.tickFn()
	}
}

// DefaultYieldCost is the virtual time a Yield costs unless SetYieldCost
// changes it: about one context switch on 2014 hardware.
const DefaultYieldCost = 1000

// SetYieldCost sets the virtual time, in nanoseconds, that each Yield
// charges. Zero makes Yield free, which is convenient for tests that assert
// exact times, but lets a task that polls with Yield spin forever at one
// instant.
func (s *Scheduler) SetYieldCost(ns int64) {
	if ns < 0 {
		panic("sim: negative yield cost")
	}
	s.yieldCost = ns
}

// YieldCost returns the virtual time each Yield charges.
func (s *Scheduler) YieldCost() int64 { return s.yieldCost }

// Clock returns the machine clock.
func (s *Scheduler) Clock() *Clock { return s.clock }

// Now returns the machine's virtual time.
func (s *Scheduler) Now() int64 { return s.clock.now }

// Rand returns the PRNG the scheduler draws from.
func (s *Scheduler) Rand() *Rand { return s.rng }

// NumCPU returns the number of CPUs.
func (s *Scheduler) NumCPU() int { return s.ncpus }

// Policy returns the scheduling policy.
func (s *Scheduler) Policy() Policy { return s.policy }

// Current returns the running task, or nil on the scheduler side (timer
// callbacks, before and after Run): the model's `current`.
func (s *Scheduler) Current() *Task { return s.cur }

// OnSwitch registers fn to be called with the new current task (nil for
// the scheduler side) every time Current changes, so that a subsystem can
// keep what it derives from current (mm's smp_processor_id, asked several
// times per page fault) instead of asking on every use.
func (s *Scheduler) OnSwitch(fn func(cur *Task)) { s.onSwitch = append(s.onSwitch, fn) }

// setCurrent changes Current and tells the OnSwitch functions.
func (s *Scheduler) setCurrent(t *Task) {
	s.cur = t
	for _, fn := range s.onSwitch {
		fn(t)
	}
}

// Switches returns how many times a task has been given the CPU.
func (s *Scheduler) Switches() uint64 { return s.switches }

// Tasks returns the live tasks in PID order (for_each_process).
func (s *Scheduler) Tasks() []*Task {
	return append([]*Task(nil), s.tasks...)
}

// Spawn creates a runnable task that will run fn, and returns it. PIDs start
// at 1 and increase by one per Spawn; CPUs are assigned round-robin starting
// at CPU 0. comm is cut to TASK_COMM_LEN-1 bytes, as set_task_comm does.
// Spawn may be called before Run, from a running task, or from a timer
// callback. A task spawned with PF_KTHREAD in flags is a daemon (see Run).
// The task's goroutine is started only when it first runs, so a machine
// that stops early pays nothing for tasks that never ran.
func (s *Scheduler) Spawn(comm string, flags uint32, fn func(*Task)) *Task {
	if fn == nil {
		panic("sim: Spawn with a nil function")
	}
	if len(comm) > TASK_COMM_LEN-1 {
		comm = comm[:TASK_COMM_LEN-1]
	}
	s.lastPID++
	t := &Task{
		PID:    s.lastPID,
		Comm:   comm,
		Flags:  flags,
		CPU:    s.nextCPU,
		s:      s,
		fn:     fn,
		state:  StateRunnable,
		daemon: flags&PF_KTHREAD != 0,

		NrDirtiedPause: InitNrDirtiedPause,
	}
	s.nextCPU = (s.nextCPU + 1) % s.ncpus
	s.tasks = append(s.tasks, t)
	if !t.daemon {
		s.users++
	}
	s.runq.push(t)
	return t
}

// At arranges for fn to run on the scheduler side at virtual time when (an
// I/O completion, a timer). Callbacks run between task slices, ordered by
// time and then by the order At was called; a time already past runs at the
// next opportunity. fn may wake tasks, spawn tasks, call At, or Stop the
// machine, but cannot sleep: Current() is nil while it runs.
func (s *Scheduler) At(when int64, fn func()) {
	if fn == nil {
		panic("sim: At with a nil function")
	}
	s.addTimer(timer{when: when, fn: fn})
}

// After is At(Now()+ns, fn).
func (s *Scheduler) After(ns int64, fn func()) {
	s.At(s.clock.now+ns, fn)
}

// Stop halts the machine, as after a kernel BUG or a fatal report: Run
// returns a *StopError carrying reason and unwinds every task. Called from a
// task, Stop does not return (the task is unwound at once, like the task
// that hit BUG()). Called from a timer callback, it returns and no further
// callback or task runs. Called when Run is not running, it unwinds the
// tasks immediately; this is also how to release a machine left with tasks
// after RunUntil. Only the first reason is kept.
func (s *Scheduler) Stop(reason string) {
	if s.stopErr == nil {
		e := &StopError{Reason: reason, Time: s.clock.now}
		if s.cur != nil {
			e.PID = s.cur.PID
		}
		s.stopErr = e
	}
	if t := s.cur; t != nil {
		t.killed = true
		panic(unwind)
	}
	if !s.running {
		s.shutdown()
	}
}

// Stopped returns the error Run returns once Stop has been called, or nil.
func (s *Scheduler) Stopped() error {
	if s.stopErr == nil {
		return nil
	}
	return s.stopErr
}

// Run runs the machine until no task other than daemons (tasks spawned with
// PF_KTHREAD) is alive, and returns nil. Daemons such as kswapd never exit;
// they are left where they are, as are pending timers (I/O still in
// flight), so a later RunUntil can continue the machine; Stop releases them.
//
// Run returns an error, after unwinding every task, when the machine stops
// (*StopError) or deadlocks (*DeadlockError: a non-daemon task is blocked
// and no task is runnable and no timer is pending). If a task panics, Run
// unwinds every other task and panics on the caller's goroutine with a
// *TaskPanic holding the original value and the task's stack, so that the
// crash is reported where `go test` and the fuzzer can see and recover it.
// A task that calls runtime.Goexit (testing's FailNow) likewise ends the
// goroutine that called Run, after the other tasks are unwound.
//
// A machine whose tasks wait forever while a periodic timer keeps firing
// never deadlocks and never ends; bound such runs with RunUntil.
func (s *Scheduler) Run() error {
	return s.run(math.MaxInt64, true)
}

// RunUntil runs the machine until its clock would pass limit, with the same
// error handling as Run, and returns nil with the clock at limit (or beyond,
// if a task's Charge overshot). It returns early only if nothing can ever
// happen again: no task alive, or only daemons blocked with no timer pending.
func (s *Scheduler) RunUntil(limit int64) error {
	return s.run(limit, false)
}

func (s *Scheduler) run(limit int64, waitUsers bool) (err error) {
	if s.running {
		panic("sim: Run called while the machine is running")
	}
	if s.cur != nil {
		panic("sim: Run called from a task")
	}
	s.running, s.limit, s.waitUsers = true, limit, waitUsers
	ok := false
	defer func() {
		s.running, s.limit, s.waitUsers = false, math.MaxInt64, false
		if !ok {
			// A timer callback panicked, or we are re-panicking a task's
			// panic: release the goroutines before the panic goes on.
			s.shutdown()
		}
	}()
	for {
		if s.stopErr != nil {
			s.shutdown()
			ok = true
			return s.stopErr
		}
		if waitUsers && s.users == 0 {
			ok = true
			return nil
		}
		if s.clock.now > limit {
			ok = true
			return nil
		}
		if s.fireDue() {
			continue // a callback stopped the machine
		}
		if s.runq.n > 0 {
			if s.clock.now != s.stallAt {
				s.stallAt, s.stallSwitches = s.clock.now, 0
			} else if s.stallSwitches++; s.stallSwitches > MaxSwitchesPerInstant {
				s.stopErr = &StopError{Time: s.clock.now, Reason: fmt.Sprintf(
					"hang: %d task switches without virtual time advancing (a livelock)", s.stallSwitches)}
				continue
			}
			s.dispatch(s.pick())
			if p := s.taskPanic; p != nil {
				s.shutdown()
				ok = true
				panic(p)
			}
			s.tick()
			continue
		}
		// Idle: jump to the next event.
		if len(s.timers) > 0 {
			next := s.timers[0].when
			if next > limit {
				s.clock.advanceTo(limit)
				ok = true
				return nil
			}
			s.clock.advanceTo(next)
			continue
		}
		if s.users > 0 {
			err := s.deadlock()
			s.shutdown()
			ok = true
			return err
		}
		// Only idle daemons are left (RunUntil): time passes, nothing
		// happens.
		if limit != math.MaxInt64 {
			s.clock.advanceTo(limit)
		}
		ok = true
		return nil
	}
}

// MaxSwitchesPerInstant is how many task switches the scheduler allows at
// one instant of virtual time before it calls the machine hung: tasks that
// wake each other forever without anything costing time (a livelock in
// the modeled kernel) would otherwise spin the host forever.
const MaxSwitchesPerInstant = 1 << 22

// fireDue runs the callbacks and wake-ups that are due, in (time, sequence)
// order. It reports whether a callback stopped the machine.
func (s *Scheduler) fireDue() bool {
	for len(s.timers) > 0 && s.timers[0].when <= s.clock.now {
		tm := s.timers.pop()
		switch {
		case tm.fn != nil:
			tm.fn()
			if s.stopErr != nil {
				return true
			}
		case tm.gen == tm.task.gen:
			t := tm.task
			if t.state == StateBlocked {
				t.waitq.remove(t)
				t.timedOut = true
			}
			s.wake(t)
		}
	}
	return false
}

// wouldRepick reports whether the scheduler, given the baton by a yielding
// task, would hand it straight back: nothing else runnable, no timer due,
// no reason to stop. It mirrors the checks at the top of run's loop.
func (s *Scheduler) wouldRepick() bool {
	return s.runq.n == 0 &&
		s.stopErr == nil &&
		s.clock.now <= s.limit &&
		!(s.waitUsers && s.users == 0) &&
		(len(s.timers) == 0 || s.timers[0].when > s.clock.now)
}

// pick removes the next task from the run queue according to the policy.
// Under Random a lone runnable task is taken without a draw, so a machine
// with one busy task does not consume the stream at every cond_resched.
func (s *Scheduler) pick() *Task {
	if s.policy == Random && s.runq.n > 1 {
		s.runq.swapToFront(s.rng.Intn(s.runq.n))
	}
	return s.runq.pop()
}

// dispatch gives t the baton and returns when t hands it back.
//
// The task is a coroutine made by iter.Pull: resume switches this goroutine
// directly to the task's goroutine (runtime coroswitch) and back at the
// task's next yield, without passing through the Go scheduler's run queues,
// so one goroutine of the pair is always parked and a switch costs far less
// than a pair of channel operations. iter.Pull also tells the race detector
// that the two sides hand over, not race.
func (s *Scheduler) dispatch(t *Task) {
	s.setCurrent(t)
	t.state = StateRunning
	s.switches++
	if t.resume == nil {
		t.resume, t.stop = iter.Pull(t.body)
	}
	t.resume()
	s.setCurrent(nil)
}

// wake makes a sleeping or blocked task runnable.
func (s *Scheduler) wake(t *Task) {
	if t.state != StateSleeping && t.state != StateBlocked {
		return
	}
	t.gen++
	t.waitq = nil
	t.state = StateRunnable
	s.runq.push(t)
}

// shutdown unwinds every live task, in PID order, so that no goroutine
// outlives the machine. Deferred calls in the tasks run (with Current set to
// the dying task) and any sleep point they reach unwinds at once.
func (s *Scheduler) shutdown() {
	earlier := s.taskPanic
	for len(s.tasks) > 0 {
		t := s.tasks[0]
		t.killed = true
		if t.resume == nil {
			t.state = StateDead
			s.removeTask(t)
			continue
		}
		// stop resumes the coroutine with yield returning false, so the
		// task unwinds from its sleep point.
		s.setCurrent(t)
		t.stop()
		s.setCurrent(nil)
	}
	s.runq = ring{}
	s.timers = nil
	if p := s.taskPanic; p != earlier {
		// A deferred call panicked while its task was being unwound: that
		// is a bug in the model like any other panic, so do not lose it.
		panic(p)
	}
}

// removeTask drops a dead task from the live list.
func (s *Scheduler) removeTask(t *Task) {
	i := sort.Search(len(s.tasks), func(i int) bool { return s.tasks[i].PID >= t.PID })
	if i < len(s.tasks) && s.tasks[i] == t {
		copy(s.tasks[i:], s.tasks[i+1:])
		s.tasks[len(s.tasks)-1] = nil
		s.tasks = s.tasks[:len(s.tasks)-1]
		if !t.daemon {
			s.users--
		}
	}
}

func (s *Scheduler) deadlock() *DeadlockError {
	e := &DeadlockError{Time: s.clock.now}
	for _, t := range s.tasks {
		b := BlockedTask{PID: t.PID, Comm: t.Comm, Daemon: t.daemon}
		if t.waitq != nil {
			b.Queue = t.waitq.Name
		}
		e.Blocked = append(e.Blocked, b)
	}
	return e
}

func (s *Scheduler) addTimer(tm timer) {
	s.seq++
	tm.seq = s.seq
	s.timers.push(tm)
}

// StopError is returned by Run after Stop.
type StopError struct {
	Reason string
	Time   int64 // virtual time of the Stop
	PID    int   // task that called Stop, 0 from the scheduler side
}

func (e *StopError) Error() string {
	if e.PID != 0 {
		return fmt.Sprintf("sim: machine stopped at %dns by pid %d: %s", e.Time, e.PID, e.Reason)
	}
	return fmt.Sprintf("sim: machine stopped at %dns: %s", e.Time, e.Reason)
}

// ErrDeadlock matches any *DeadlockError with errors.Is.
var ErrDeadlock = errors.New("sim: deadlock")

// DeadlockError is returned by Run when tasks are blocked and nothing can
// ever wake them.
type DeadlockError struct {
	Time    int64
	Blocked []BlockedTask // every live task, in PID order
}

// BlockedTask describes one task found blocked at a deadlock.
type BlockedTask struct {
	PID    int
	Comm   string
	Queue  string // name of the wait queue it sleeps on
	Daemon bool
}

func (e *DeadlockError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sim: deadlock at %dns: no runnable task and no timer pending; blocked:", e.Time)
	for i, t := range e.Blocked {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " pid %d (%s) on %q", t.PID, t.Comm, t.Queue)
		if t.Daemon {
			b.WriteString(" [kthread]")
		}
	}
	return b.String()
}

func (e *DeadlockError) Is(target error) bool { return target == ErrDeadlock }

// TaskPanic is the value Run panics with when a task's function panicked.
// It is an error so that a fuzzer can recover it and treat it as a finding.
type TaskPanic struct {
	PID   int
	Comm  string
	Time  int64
	Value any    // the value the task panicked with
	Stack []byte // the task goroutine's stack at the panic
}

func (p *TaskPanic) Error() string {
	return fmt.Sprintf("sim: task pid %d (%s) panicked at %dns: %v\n\ntask goroutine stack:\n%s",
		p.PID, p.Comm, p.Time, p.Value, p.Stack)
}

// Unwrap returns the panic value if it is an error.
func (p *TaskPanic) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}

// ring is the run queue: a FIFO of tasks in a power-of-two circular buffer,
// so that the steady push/pop of a yielding workload never reallocates.
type ring struct {
	buf  []*Task
	head int
	n    int
}

func (r *ring) push(t *Task) {
	if r.n == len(r.buf) {
		nb := make([]*Task, max(8, 2*len(r.buf)))
		for i := 0; i < r.n; i++ {
			nb[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.n)&(len(r.buf)-1)] = t
	r.n++
}

func (r *ring) pop() *Task {
	t := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.n--
	return t
}

// swapToFront exchanges the i-th queued task with the head, so that pop
// takes it. The displaced head keeps its place among the rest only up to
// that swap, which is fine: Random does not promise FIFO order.
func (r *ring) swapToFront(i int) {
	mask := len(r.buf) - 1
	j := (r.head + i) & mask
	r.buf[r.head], r.buf[j] = r.buf[j], r.buf[r.head]
}

// timer is a pending callback (fn != nil) or task wake-up (task != nil,
// valid only while task.gen == gen).
type timer struct {
	when int64
	seq  uint64
	fn   func()
	task *Task
	gen  uint64
}

// timerHeap is a binary min-heap on (when, seq), written out rather than
// using container/heap to avoid boxing each timer in an interface.
type timerHeap []timer

func (h timerHeap) less(i, j int) bool {
	if h[i].when != h[j].when {
		return h[i].when < h[j].when
	}
	return h[i].seq < h[j].seq
}

func (h *timerHeap) push(tm timer) {
	*h = append(*h, tm)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *timerHeap) pop() timer {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a[last] = timer{} // drop references for the GC
	a = a[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(a) {
			break
		}
		m := l
		if r := l + 1; r < len(a) && a.less(r, l) {
			m = r
		}
		if !a.less(m, i) {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}
