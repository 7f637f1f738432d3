package sim

import (
	"fmt"
	"runtime/debug"
)

// Per-task flags (task_struct->flags), with their values from v3.16
// include/linux/sched.h. Only the ones that mm decisions read are defined;
// the values are the kernel's so that dumps and traces can print them as the
// kernel would.
const (
	PF_EXITING       uint32 = 0x00000004 // getting shut down
	PF_MEMALLOC      uint32 = 0x00000800 // allocating memory: may dip into reserves, must not recurse into reclaim
	PF_KSWAPD        uint32 = 0x00040000 // this is kswapd
	PF_MEMALLOC_NOIO uint32 = 0x00080000 // allocations must not start I/O
	PF_LESS_THROTTLE uint32 = 0x00100000 // throttle less: this task cleans memory (nfsd, loop)
	PF_KTHREAD       uint32 = 0x00200000 // a kernel thread
	PF_SWAPWRITE     uint32 = 0x00800000 // allowed to write to swap
)

// TASK_COMM_LEN is the size of task_struct->comm including the NUL, so a
// comm holds at most TASK_COMM_LEN-1 bytes.
const TASK_COMM_LEN = 16

// TaskState is where a task is in its life, coarser than the kernel's
// TASK_* states: the model only needs to know who can run and why the others
// cannot.
type TaskState uint8

const (
	// StateRunnable: on the run queue, waiting for the baton.
	StateRunnable TaskState = iota
	// StateRunning: holds the baton.
	StateRunning
	// StateSleeping: in Sleep, until a virtual time.
	StateSleeping
	// StateBlocked: in Wait or WaitTimeout, on a wait queue.
	StateBlocked
	// StateDead: returned, called Exit, or was unwound by the scheduler.
	StateDead
)

var stateNames = [...]string{"runnable", "running", "sleeping", "blocked", "dead"}

func (s TaskState) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("TaskState(%d)", s)
}

// Plugger is a task's block plug (struct blk_plug) as schedule() sees it.
type Plugger interface {
	// FlushOnSchedule is blk_schedule_flush_plug(): hand the plugged
	// requests to their queues, which kblockd runs. It must not sleep.
	FlushOnSchedule()
}

// schedSubmitWork is sched_submit_work() (kernel/sched/core.c): a task
// about to sleep flushes its plug, so that I/O it gathered and may wait
// for is not held back.
func (t *Task) schedSubmitWork() {
	if t.Plug != nil {
		t.Plug.FlushOnSchedule()
	}
}

// Task is a modeled kernel task (task_struct): a user thread, kswapd, a
// flusher. Its function runs on its own goroutine but only while it holds
// the scheduler's baton; see the package comment.
type Task struct {
	// PID is assigned by Spawn and never reused.
	PID int
	// Comm is the task's name, at most TASK_COMM_LEN-1 bytes.
	Comm string
	// Flags holds PF_* bits. Like current->flags it belongs to the task:
	// only the task itself should change it while it runs (for example
	// __perform_reclaim setting and restoring PF_MEMALLOC).
	Flags uint32
	// CPU is the CPU the task runs on, assigned round-robin by Spawn. The
	// scheduler never migrates a task; a caller may set CPU to pin it.
	CPU int
	// Data is for the layers above sim to hang their per-task state on
	// (what task_struct holds as ->mm, ->reclaim_state, ->backing_dev_info),
	// since sim cannot import them.
	Data any
	// Plug is current->plug: a task that goes to sleep with one flushes
	// it first (schedule -> sched_submit_work -> blk_schedule_flush_plug).
	// Cond_resched (Yield) keeps the task running and does not.
	Plug Plugger
	// IOContext is current->io_context, for the block layer.
	IOContext any

	s     *Scheduler
	fn    func(*Task)
	state TaskState
	// resume and stop drive the task's coroutine (see dispatch), and yield
	// is its side of the switch. They are nil until the task first runs.
	resume func() (struct{}, bool)
	stop   func()
	yield  func(struct{}) bool
	// daemon is fixed at Spawn from PF_KTHREAD: Run does not wait for
	// daemons to exit, and a daemon blocked forever is idle, not deadlocked.
	daemon bool
	// killed tells a task resumed at a sleep point to unwind instead of
	// continuing: the machine was stopped, deadlocked or panicked.
	killed bool
	// waitq is the queue a StateBlocked task sits on.
	waitq *WaitQueue
	// gen invalidates stale wake-up timers: a WaitTimeout timer fires only
	// if the task has not been woken (gen bumped) since it was armed.
	gen uint64
	// interruptible: the task sleeps in TASK_INTERRUPTIBLE or
	// TASK_KILLABLE (SleepInterruptible, WaitKillable,
	// WaitTimeoutKillable): SignalWake, a fatal signal, ends the sleep.
	interruptible bool
	timedOut      bool
	// nvcsw counts the task's switches out (nvcsw + nivcsw), for the
	// hung task detector.
	nvcsw uint64

	// NrDirtied, NrDirtiedPause and DirtyPausedWhen are task_struct's
	// dirty-throttling state (mm/page-writeback.c): pages the task
	// dirtied since balance_dirty_pages last ran for it, how many it may
	// dirty before the next time, and the jiffies its last pause ended
	// (0: none). copy_process starts NrDirtiedPause at 128 KiB of pages
	// (InitNrDirtiedPause), the others at 0.
	NrDirtied, NrDirtiedPause int
	DirtyPausedWhen           int64
}

// InitNrDirtiedPause is copy_process's p->nr_dirtied_pause,
// 128 >> (PAGE_SHIFT - 10) with 4 KiB pages.
const InitNrDirtiedPause = 32

// String names the task as the kernel log does: "pid 3 (kswapd0)".
func (t *Task) String() string {
	return fmt.Sprintf("pid %d (%s)", t.PID, t.Comm)
}

// State returns the task's current state.
func (t *Task) State() TaskState { return t.state }

// Switches is how many times the task has given up the CPU (the
// kernel's nvcsw + nivcsw).
func (t *Task) Switches() uint64 { return t.nvcsw }

// Uninterruptible says whether the task sleeps in TASK_UNINTERRUPTIBLE:
// blocked on a wait queue, or in a Sleep that a signal does not end.
func (t *Task) Uninterruptible() bool {
	return (t.state == StateBlocked || t.state == StateSleeping) && !t.interruptible
}

// Daemon says whether the task is a kernel thread (PF_KTHREAD at Spawn).
func (t *Task) Daemon() bool { return t.daemon }

// Started reports whether the task has run at all: a task that has not
// is at the start of its function, having done nothing.
func (t *Task) Started() bool { return t.resume != nil || t.state == StateDead }

// Scheduler returns the machine the task belongs to.
func (t *Task) Scheduler() *Scheduler { return t.s }

// Now returns the machine's virtual time.
func (t *Task) Now() int64 { return t.s.clock.now }

// Charge accounts ns of modeled CPU work to the running task by advancing
// the machine clock. It does not give up the CPU (the kernel is not
// preemptible in this model): timers that fall due meanwhile fire at the
// task's next sleep point, late, as interrupts would be handled late by a
// CPU with interrupts off. It panics on negative ns, which would run the
// clock backwards.
func (t *Task) Charge(ns int64) {
	t.check()
	if ns < 0 {
		panic("sim: Task.Charge with negative cost")
	}
	t.s.clock.now += ns
}

// Yield is cond_resched(): the task stays runnable, and the scheduler may
// run another task (or due timers) before it continues.
//
// Yield first charges the scheduler's yield cost (SetYieldCost). Besides
// modeling the switch, that guarantees progress: a task polling a condition
// with Yield (a retry loop, a too_many_isolated() spin) lets virtual time
// pass, so the timer that will change the condition eventually fires instead
// of the machine spinning forever at one instant.
func (t *Task) Yield() {
	t.check()
	s := t.s
	s.clock.now += s.yieldCost
	if s.wouldRepick() {
		// Nothing else could run and no timer is due: the scheduler would
		// hand the baton straight back, so skip the two switches.
		// The decision and its side effects are the same, so this does not
		// change any interleaving.
		s.switches++
		s.tick()
		return
	}
	t.state = StateRunnable
	s.runq.push(t)
	t.block()
}

// Sleep puts the task to sleep for ns of virtual time (schedule_timeout,
// msleep, an explicit sleep in a program). Sleep(0) gives up the CPU like
// Yield but without Yield's cost.
func (t *Task) Sleep(ns int64) {
	t.check()
	t.schedSubmitWork()
	if ns < 0 {
		ns = 0
	}
	s := t.s
	t.state = StateSleeping
	s.addTimer(timer{when: s.clock.now + ns, task: t, gen: t.gen})
	t.block()
}

// SleepInterruptible is Sleep in TASK_INTERRUPTIBLE (nanosleep, a
// program's sleep): SignalWake ends it early.
func (t *Task) SleepInterruptible(ns int64) {
	t.interruptible = true
	defer func() { t.interruptible = false }()
	t.Sleep(ns)
}

// SleepKillable is Sleep in TASK_KILLABLE (schedule_timeout_killable,
// balance_dirty_pages' pause): SignalWake ends it early.
func (t *Task) SleepKillable(ns int64) { t.SleepInterruptible(ns) }

// SignalWake is signal_wake_up(t, fatal) for SIGKILL: a task in an
// interruptible or killable sleep or wait wakes at once (to die at its next
// signal check), taken off its wait queue; any other task is left as it
// is, as TASK_UNINTERRUPTIBLE sleepers are.
func (t *Task) SignalWake() {
	if !t.interruptible {
		return
	}
	switch t.state {
	case StateSleeping:
		t.s.wake(t)
	case StateBlocked:
		t.waitq.remove(t)
		t.s.wake(t)
	}
}

// Wait blocks the task on q until q.WakeOne or q.WakeAll picks it
// (lock_page contention, wait_on_page_writeback). As in the kernel, a waiter
// must re-check its condition after waking: another task may have run first.
func (t *Task) Wait(q *WaitQueue) {
	t.check()
	t.schedSubmitWork()
	t.state = StateBlocked
	t.waitq = q
	q.waiters = append(q.waiters, t)
	t.block()
}

// WaitTimeout is Wait bounded by ns of virtual time (congestion_wait,
// io_schedule_timeout, wait_event_timeout). It reports whether the task was
// woken through q rather than by the timeout.
func (t *Task) WaitTimeout(q *WaitQueue, ns int64) bool {
	t.check()
	t.schedSubmitWork()
	if ns < 0 {
		ns = 0
	}
	s := t.s
	t.state = StateBlocked
	t.waitq = q
	t.timedOut = false
	q.waiters = append(q.waiters, t)
	s.addTimer(timer{when: s.clock.now + ns, task: t, gen: t.gen})
	t.block()
	return !t.timedOut
}

// WaitKillable is Wait in TASK_KILLABLE (wait_event_killable,
// __lock_page_killable): SignalWake also ends it. As with Wait, the caller
// re-checks its condition, and the fatal signal, when it returns.
func (t *Task) WaitKillable(q *WaitQueue) {
	t.interruptible = true
	defer func() { t.interruptible = false }()
	t.Wait(q)
}

// WaitTimeoutKillable is WaitTimeout in TASK_KILLABLE or
// TASK_INTERRUPTIBLE (wait_event_interruptible_timeout): SignalWake also
// ends it. It reports whether the task was woken (through q or by the
// signal) rather than by the timeout.
func (t *Task) WaitTimeoutKillable(q *WaitQueue, ns int64) bool {
	t.interruptible = true
	defer func() { t.interruptible = false }()
	return t.WaitTimeout(q, ns)
}

// Exit ends the task now, running its deferred calls (do_exit). It does not
// return.
func (t *Task) Exit() {
	t.check()
	panic(unwind)
}

// unwind is the panic value that unwinds a task's stack (Exit, Stop, or the
// scheduler killing the task), running its deferred calls, and that main
// then recovers as an ordinary end. A panic rather than runtime.Goexit,
// because iter.Pull passes a Goexit on to the goroutine that resumed the
// coroutine, which is the caller of Run. Task code must therefore not
// recover() panics it does not recognize; kernel code never recovers.
var unwind = new(struct{ byte })

// check catches sleep points used where they cannot work, and unwinds a task
// that reaches a sleep point while being killed (a deferred unlock_page that
// wakes, or a deferred cond_resched during teardown).
func (t *Task) check() {
	if t.killed {
		panic(unwind)
	}
	if t.s.cur != t {
		panic(fmt.Sprintf("sim: %v used a sleep point while not running (current: %v)", t, t.s.cur))
	}
}

// block hands the baton back to the scheduler and returns when it is handed
// back. The caller has already recorded why the task stopped (run queue,
// timer or wait queue). yield returns false when the scheduler stopped the
// coroutine to kill the task.
func (t *Task) block() {
	t.nvcsw++
	if !t.yield(struct{}{}) || t.killed {
		panic(unwind)
	}
}

// body is the task's coroutine, as an iter.Seq for iter.Pull: it yields once
// per sleep point and ends when the task does.
func (t *Task) body(yield func(struct{}) bool) {
	t.yield = yield
	t.main()
}

// main runs the task's function. Whatever way it ends — return, Exit, a
// panic, or being unwound — the deferred call records the end, and it is the
// last thing the task does with the machine.
func (t *Task) main() {
	defer func() {
		s := t.s
		if r := recover(); r != nil && r != unwind && s.taskPanic == nil {
			s.taskPanic = &TaskPanic{
				PID:   t.PID,
				Comm:  t.Comm,
				Time:  s.clock.now,
				Value: r,
				Stack: debug.Stack(),
			}
		}
		t.state = StateDead
		if t.waitq != nil {
			// Unwound while blocked: leave no dead task on the queue.
			t.waitq.remove(t)
			t.waitq = nil
		}
		s.removeTask(t)
	}()
	t.fn(t)
}

// WaitQueue is a wait_queue_head_t: tasks blocked in Wait on it, woken in
// FIFO order. The zero value is an empty queue. Name appears in deadlock
// reports.
type WaitQueue struct {
	Name    string
	waiters []*Task
}

// Len returns the number of tasks waiting on q.
func (q *WaitQueue) Len() int { return len(q.waiters) }

// WakeOne makes the longest-waiting task runnable and reports whether there
// was one. It may be called by a task or by a timer callback (an I/O
// completion); it never gives up the CPU.
func (q *WaitQueue) WakeOne() bool {
	if len(q.waiters) == 0 {
		return false
	}
	t := q.waiters[0]
	n := copy(q.waiters, q.waiters[1:])
	q.waiters[n] = nil
	q.waiters = q.waiters[:n]
	t.s.wake(t)
	return true
}

// WakeAll makes every waiting task runnable, in the order they waited, and
// returns how many there were.
func (q *WaitQueue) WakeAll() int {
	n := len(q.waiters)
	for i, t := range q.waiters {
		q.waiters[i] = nil
		t.s.wake(t)
	}
	q.waiters = q.waiters[:0]
	return n
}

// remove takes t off q (a WaitTimeout that timed out).
func (q *WaitQueue) remove(t *Task) {
	for i, w := range q.waiters {
		if w == t {
			n := copy(q.waiters[i:], q.waiters[i+1:])
			q.waiters[i+n] = nil
			q.waiters = q.waiters[:i+n]
			return
		}
	}
}
