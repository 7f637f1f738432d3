// Package sim is the hardware and kernel/sched of a pagesim machine: a
// virtual clock, a seeded PRNG, tasks and CPUs, and a deterministic
// scheduler (DESIGN.md §2 and §5).
//
// # Tasks and the baton
//
// Each Task runs a Go function on its own goroutine so that it keeps its own
// stack across sleep points, exactly as a kernel task keeps its kernel stack
// while it sleeps in lock_page(). But only the holder of a baton runs: the
// scheduler (the goroutine that calls Run) resumes one task as a coroutine
// and is parked until the task hands the baton back at a sleep point (Yield,
// Sleep, Wait, WaitTimeout) or by ending. The scheduler and the tasks never
// run at the same time, so machine state needs no locks and the interleaving
// is a function of the seed alone, whatever GOMAXPROCS is.
//
// Timer callbacks (At) run on the scheduler side, between task slices, so an
// I/O completion never interrupts a task between two sleep points.
//
// # Virtual time
//
// A machine has one Clock, in nanoseconds, which never goes backwards and
// moves only when
//
//   - the running task charges a modeled cost (Task.Charge),
//   - the running task yields (Task.Yield costs Scheduler.YieldCost), or
//   - no task is runnable and the scheduler jumps to the next timer or
//     sleeper wake-up.
//
// CPUs are not separate timelines. The machine executes one task slice at a
// time, so the CPU costs of all CPUs add up on the one clock, as if the
// machine were a uniprocessor that labels each task with a CPU number. This
// keeps causality trivial (a timer at T never fires "in the past" of any
// CPU) and is enough for what mm decisions depend on: the CPU a task reports
// (smp_processor_id(), per-CPU pagevecs and counters) and the order in which
// things happen. Modeled costs are for ordering work against I/O latency and
// timeouts, not for throughput figures.
package sim

// Clock is a machine's virtual time in nanoseconds since boot. The zero value
// is a clock at time 0. There is deliberately no way to read the host's wall
// clock here, and no exported way to move the clock: only the scheduler and
// Task.Charge advance it.
type Clock struct {
	now int64
}

// NewClock returns a clock at time 0.
func NewClock() *Clock { return new(Clock) }

// Now returns the current virtual time in nanoseconds.
func (c *Clock) Now() int64 { return c.now }

// advanceTo moves the clock forward to t; a t in the past is ignored so the
// clock stays monotonic even when a task's Charge overshot a timer.
func (c *Clock) advanceTo(t int64) {
	if t > c.now {
		c.now = t
	}
}
