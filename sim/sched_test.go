package sim

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func newSched(seed uint64, ncpus int, p Policy) *Scheduler {
	return NewScheduler(NewClock(), NewRand(seed), ncpus, p)
}

// tracer records (time, pid, event) lines; only the running task or the
// scheduler side writes to it, so it needs no lock.
type tracer struct {
	s     *Scheduler
	lines []string
}

func (tr *tracer) log(format string, args ...any) {
	pid := 0
	if c := tr.s.Current(); c != nil {
		pid = c.PID
	}
	tr.lines = append(tr.lines, fmt.Sprintf("%8d %3d %s", tr.s.Now(), pid, fmt.Sprintf(format, args...)))
}

func (tr *tracer) String() string { return strings.Join(tr.lines, "\n") }

// workload runs a machine whose tasks contend for a page lock (a wait queue
// with lock_page/unlock_page semantics), sleep, yield, charge CPU time, wait
// for a writeback completed by a timer, and spawn a child. It returns the
// trace.
func workload(t *testing.T, seed uint64, policy Policy) string {
	t.Helper()
	s := newSched(seed, 4, policy)
	tr := &tracer{s: s}
	pageLock := &WaitQueue{Name: "page_lock"}
	locked := false
	lockPage := func(tk *Task) {
		for locked {
			tk.Wait(pageLock)
		}
		locked = true
	}
	unlockPage := func() {
		locked = false
		pageLock.WakeOne()
	}
	wbq := &WaitQueue{Name: "writeback"}
	writeback := 0

	for i := 0; i < 8; i++ {
		s.Spawn(fmt.Sprintf("worker%d", i), 0, func(tk *Task) {
			for iter := 0; iter < 12; iter++ {
				switch (tk.PID + iter) % 5 {
				case 0:
					tr.log("iter %d yield", iter)
					tk.Yield()
				case 1:
					tr.log("iter %d sleep", iter)
					tk.Sleep(int64(100 * (1 + (tk.PID+iter)%3)))
				case 2:
					tr.log("iter %d lock", iter)
					lockPage(tk)
					tr.log("iter %d locked", iter)
					tk.Charge(50)
					tk.Yield()
					unlockPage()
					tr.log("iter %d unlocked", iter)
				case 3:
					writeback++
					tr.log("iter %d submit", iter)
					s.After(300, func() {
						writeback--
						tr.log("io done")
						wbq.WakeAll()
					})
					for writeback > 0 {
						tk.Wait(wbq)
					}
					tr.log("iter %d written", iter)
				case 4:
					tk.Charge(10)
					if iter == 4 {
						s.Spawn("child", 0, func(c *Task) {
							tr.log("child of %d runs", tk.PID)
							c.Yield()
							tr.log("child exits")
						})
					}
					tr.log("iter %d charge", iter)
				}
			}
			tr.log("exit")
		})
	}
	if err := s.Run(); err != nil {
		t.Fatalf("seed %d: %v", seed, err)
	}
	return tr.String()
}

// eventSet strips times and sorts, leaving the multiset of (pid, event).
func eventSet(trace string) []string {
	var out []string
	for _, l := range strings.Split(trace, "\n") {
		out = append(out, strings.TrimSpace(l[8:]))
	}
	slices.Sort(out)
	return out
}

func TestRandomPolicyDeterministic(t *testing.T) {
	a := workload(t, 1, Random)
	b := workload(t, 1, Random)
	if a != b {
		t.Fatalf("same seed, different traces:\n%s\n---\n%s", a, b)
	}
	// A different seed may change the interleaving and hence the order of
	// events (and their times), never the set of events for these tasks.
	c := workload(t, 2, Random)
	if a == c {
		t.Fatal("seeds 1 and 2 gave the same interleaving; the Random policy is not drawing")
	}
	if !slices.Equal(eventSet(a), eventSet(c)) {
		t.Fatalf("seeds 1 and 2 gave different event sets:\n%s\n---\n%s", a, c)
	}
}

func TestRoundRobinIsFIFOAndSeedIndependent(t *testing.T) {
	run := func(seed uint64) []int {
		s := newSched(seed, 2, RoundRobin)
		var order []int
		for i := 0; i < 4; i++ {
			s.Spawn("rr", 0, func(tk *Task) {
				for j := 0; j < 3; j++ {
					order = append(order, tk.PID)
					tk.Yield()
				}
			})
		}
		if err := s.Run(); err != nil {
			t.Fatal(err)
		}
		return order
	}
	want := []int{1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}
	for _, seed := range []uint64{1, 2, 99} {
		if got := run(seed); !slices.Equal(got, want) {
			t.Fatalf("seed %d: order %v, want %v", seed, got, want)
		}
	}
	if a, b := workload(t, 1, RoundRobin), workload(t, 2, RoundRobin); a != b {
		t.Fatal("RoundRobin trace depends on the seed")
	}
}

func TestTracesIndependentOfGOMAXPROCS(t *testing.T) {
	old := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(old)
	one := workload(t, 7, Random)
	runtime.GOMAXPROCS(8)
	eight := workload(t, 7, Random)
	if one != eight {
		t.Fatalf("GOMAXPROCS 1 and 8 differ:\n%s\n---\n%s", one, eight)
	}
}

func TestExactlyOneTaskRuns(t *testing.T) {
	old := runtime.GOMAXPROCS(8)
	defer runtime.GOMAXPROCS(old)
	s := newSched(3, 8, Random)
	var running atomic.Int32
	q := &WaitQueue{Name: "q"}
	enter := func() {
		if n := running.Add(1); n != 1 {
			t.Errorf("%d tasks running at once", n)
		}
	}
	leave := func() {
		// Give any wrongly running goroutine time to show itself.
		runtime.Gosched()
		running.Add(-1)
	}
	for i := 0; i < 16; i++ {
		s.Spawn("one", 0, func(tk *Task) {
			for j := 0; j < 50; j++ {
				enter()
				leave()
				switch j % 3 {
				case 0:
					tk.Yield()
				case 1:
					tk.Sleep(int64(j))
				case 2:
					if q.Len() > 0 {
						q.WakeAll()
					} else {
						tk.WaitTimeout(q, 5)
					}
				}
			}
		})
	}
	s.At(10, func() {
		if n := running.Load(); n != 0 {
			t.Errorf("timer callback ran while %d tasks run", n)
		}
	})
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
}

// settle waits for goroutines that have handed back the baton to finish
// returning, then reports whether the count is back to base.
func settle(base int) (int, bool) {
	n := runtime.NumGoroutine()
	for i := 0; i < 500 && n > base; i++ {
		time.Sleep(time.Millisecond)
		n = runtime.NumGoroutine()
	}
	return n, n <= base
}

func TestDeadlockDetectedWithoutLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	s := newSched(1, 2, Random)
	qa, qb := &WaitQueue{Name: "qa"}, &WaitQueue{Name: "qb"}
	deferred := 0
	s.Spawn("a", 0, func(tk *Task) {
		defer func() { deferred++ }()
		// A sleep point reached while being unwound must unwind too.
		defer tk.Yield()
		tk.Wait(qa)
		t.Error("a woke")
	})
	s.Spawn("b", 0, func(tk *Task) {
		defer func() { deferred++ }()
		tk.Sleep(100)
		tk.Wait(qb)
		t.Error("b woke")
	})
	s.Spawn("kswapd0", PF_KTHREAD, func(tk *Task) {
		defer func() { deferred++ }()
		tk.Wait(&WaitQueue{Name: "kswapd_wait"})
	})
	s.Spawn("never", 0, func(tk *Task) { tk.Wait(qa) })
	err := s.Run()
	var de *DeadlockError
	if !errors.As(err, &de) || !errors.Is(err, ErrDeadlock) {
		t.Fatalf("Run = %v, want a deadlock", err)
	}
	for _, want := range []string{`pid 1 (a) on "qa"`, `pid 2 (b) on "qb"`, `pid 3 (kswapd0) on "kswapd_wait" [kthread]`, "at 100ns"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if deferred != 3 {
		t.Errorf("%d of 3 tasks ran their deferred calls", deferred)
	}
	if len(s.Tasks()) != 0 || qa.Len() != 0 || qb.Len() != 0 {
		t.Errorf("tasks left after deadlock: %v, queues %d %d", s.Tasks(), qa.Len(), qb.Len())
	}
	if n, ok := settle(base); !ok {
		t.Errorf("goroutines: %d before, %d after", base, n)
	}
}

func TestTaskPanicPropagates(t *testing.T) {
	base := runtime.NumGoroutine()
	s := newSched(1, 2, RoundRobin)
	unwound := false
	s.Spawn("victim", 0, func(tk *Task) {
		defer func() { unwound = true }()
		tk.Wait(&WaitQueue{Name: "forever"})
	})
	s.Spawn("bug", 0, func(tk *Task) {
		tk.Sleep(5)
		panicHere()
	})
	func() {
		defer func() {
			r := recover()
			p, ok := r.(*TaskPanic)
			if !ok {
				t.Fatalf("recovered %v (%T), want *TaskPanic", r, r)
			}
			if p.PID != 2 || p.Comm != "bug" || p.Time != 5 || p.Value != "kernel BUG" {
				t.Errorf("panic = pid %d comm %q time %d value %v", p.PID, p.Comm, p.Time, p.Value)
			}
			if !strings.Contains(string(p.Stack), "panicHere") {
				t.Errorf("stack does not show the panicking function:\n%s", p.Stack)
			}
			if !strings.Contains(p.Error(), "kernel BUG") {
				t.Errorf("Error() = %q", p.Error())
			}
		}()
		s.Run()
		t.Fatal("Run returned after a task panic")
	}()
	if !unwound {
		t.Error("the other task was not unwound")
	}
	if n, ok := settle(base); !ok {
		t.Errorf("goroutines: %d before, %d after", base, n)
	}
}

func panicHere() { panic("kernel BUG") }

func TestTimerPanicUnwindsTasks(t *testing.T) {
	base := runtime.NumGoroutine()
	s := newSched(1, 1, RoundRobin)
	s.Spawn("sleeper", 0, func(tk *Task) { tk.Sleep(1000) })
	s.At(10, func() { panic("irq") })
	func() {
		defer func() {
			if r := recover(); r != "irq" {
				t.Fatalf("recovered %v, want irq", r)
			}
		}()
		s.Run()
	}()
	if len(s.Tasks()) != 0 {
		t.Error("task left after a timer panic")
	}
	if n, ok := settle(base); !ok {
		t.Errorf("goroutines: %d before, %d after", base, n)
	}
}

// A task that calls runtime.Goexit (testing's FailNow does) ends the
// goroutine that called Run, as FailNow expects, after the other tasks have
// been unwound.
func TestTaskGoexitEndsRunGoroutine(t *testing.T) {
	base := runtime.NumGoroutine()
	s := newSched(1, 1, RoundRobin)
	unwound := false
	s.Spawn("waiter", 0, func(tk *Task) {
		defer func() { unwound = true }()
		tk.Wait(&WaitQueue{})
	})
	s.Spawn("fatal", 0, func(tk *Task) { runtime.Goexit() })
	returned := false
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run()
		returned = true
	}()
	<-done
	if returned || !unwound || len(s.Tasks()) != 0 {
		t.Fatalf("Run returned %v, waiter unwound %v, tasks left %v", returned, unwound, s.Tasks())
	}
	if n, ok := settle(base); !ok {
		t.Errorf("goroutines: %d before, %d after", base, n)
	}
}

func TestSleepPointOffTaskPanics(t *testing.T) {
	s := newSched(1, 1, RoundRobin)
	var tk *Task
	tk = s.Spawn("t", 0, func(*Task) {})
	s.At(0, func() { tk.Yield() })
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "while not running") {
			t.Fatalf("recovered %v", r)
		}
	}()
	s.Run()
}

func TestTimersFireInTimeOrder(t *testing.T) {
	s := newSched(1, 1, Random)
	s.SetYieldCost(0) // keep the times below exact
	var fired []string
	at := func(when int64, name string) {
		s.At(when, func() {
			if s.Current() != nil {
				t.Error("Current() != nil in a timer callback")
			}
			fired = append(fired, fmt.Sprintf("%s@%d", name, s.Now()))
		})
	}
	at(300, "c")
	at(100, "a1")
	at(200, "b")
	at(100, "a2") // same time: in At order
	at(50, "x")
	s.Spawn("t", 0, func(tk *Task) {
		tk.Sleep(150)
		// Charging past a timer does not run it before the next sleep
		// point; once due, timers run in (time, sequence) order.
		tk.Charge(100) // now 250
		at(260, "d")
		at(10, "past") // already due: runs at the next opportunity
		tk.Yield()
		fired = append(fired, fmt.Sprintf("task@%d", s.Now()))
		tk.Sleep(1000)
	})
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	want := []string{"x@50", "a1@100", "a2@100", "past@250", "b@250", "task@250", "d@260", "c@300"}
	if !slices.Equal(fired, want) {
		t.Fatalf("fired %v, want %v", fired, want)
	}
	if s.Now() != 1250 {
		t.Fatalf("clock %d, want 1250", s.Now())
	}
}

// A task runs reclaim with PF_MEMALLOC set and restores it, as
// __perform_reclaim does; flags belong to the task, Current() to the CPU.
func TestCurrentAndFlags(t *testing.T) {
	s := newSched(1, 2, RoundRobin)
	if s.Current() != nil {
		t.Fatal("Current() != nil before Run")
	}
	var reclaimer *Task
	reclaimer = s.Spawn("reclaimer", 0, func(tk *Task) {
		if s.Current() != tk {
			t.Error("Current() is not the running task")
		}
		noreclaimFlag := tk.Flags & PF_MEMALLOC
		tk.Flags |= PF_MEMALLOC
		tk.Yield() // the other task runs while we are in reclaim
		if s.Current().Flags&PF_MEMALLOC == 0 {
			t.Error("PF_MEMALLOC lost across a sleep point")
		}
		tk.Flags = tk.Flags&^PF_MEMALLOC | noreclaimFlag
	})
	s.Spawn("kswapd0", PF_KTHREAD|PF_KSWAPD|PF_MEMALLOC|PF_SWAPWRITE, func(tk *Task) {
		if s.Current() != tk || tk.PID != 2 || tk.CPU != 1 {
			t.Errorf("current %v pid %d cpu %d", s.Current(), tk.PID, tk.CPU)
		}
		if reclaimer.Flags&PF_MEMALLOC == 0 {
			t.Error("reclaimer's PF_MEMALLOC not visible while it sleeps")
		}
		if tk.Flags&PF_KSWAPD == 0 {
			t.Error("kswapd flags lost")
		}
	})
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if reclaimer.Flags != 0 {
		t.Errorf("flags after reclaim %#x, want 0", reclaimer.Flags)
	}
	if s.Current() != nil {
		t.Fatal("Current() != nil after Run")
	}
}

func TestFlagValuesMatchV316(t *testing.T) {
	// include/linux/sched.h in v3.16.
	for _, c := range []struct {
		name      string
		got, want uint32
	}{
		{"PF_EXITING", PF_EXITING, 0x4},
		{"PF_MEMALLOC", PF_MEMALLOC, 0x800},
		{"PF_KSWAPD", PF_KSWAPD, 0x40000},
		{"PF_MEMALLOC_NOIO", PF_MEMALLOC_NOIO, 0x80000},
		{"PF_LESS_THROTTLE", PF_LESS_THROTTLE, 0x100000},
		{"PF_KTHREAD", PF_KTHREAD, 0x200000},
		{"PF_SWAPWRITE", PF_SWAPWRITE, 0x800000},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func TestSpawnAssignsPIDsAndCPUs(t *testing.T) {
	s := newSched(1, 3, RoundRobin)
	var child *Task
	a := s.Spawn("a-very-long-task-name", 0, func(tk *Task) {
		child = s.Spawn("child", 0, func(*Task) {})
	})
	b := s.Spawn("b", 0, func(*Task) {})
	if a.PID != 1 || b.PID != 2 || a.CPU != 0 || b.CPU != 1 {
		t.Fatalf("a: pid %d cpu %d, b: pid %d cpu %d", a.PID, a.CPU, b.PID, b.CPU)
	}
	if a.Comm != "a-very-long-tas" || len(a.Comm) != TASK_COMM_LEN-1 {
		t.Fatalf("comm %q", a.Comm)
	}
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if child == nil || child.PID != 3 || child.CPU != 2 || child.State() != StateDead {
		t.Fatalf("child %v cpu %d state %v", child, child.CPU, child.State())
	}
}

func TestWaitTimeout(t *testing.T) {
	s := newSched(1, 1, RoundRobin)
	q := &WaitQueue{Name: "congestion"}
	var log []string
	s.Spawn("waiter", 0, func(tk *Task) {
		woken := tk.WaitTimeout(q, 100)
		log = append(log, fmt.Sprintf("timeout woken=%v at %d", woken, tk.Now()))
		woken = tk.WaitTimeout(q, 100)
		log = append(log, fmt.Sprintf("wake woken=%v at %d", woken, tk.Now()))
		// The first wait's timer is stale: it must not cut this sleep short.
		tk.Sleep(500)
		log = append(log, fmt.Sprintf("slept to %d", tk.Now()))
	})
	s.Spawn("waker", 0, func(tk *Task) {
		tk.Sleep(150)
		if q.Len() != 1 {
			t.Errorf("queue length %d after a timeout, want 1", q.Len())
		}
		q.WakeOne()
	})
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	want := []string{"timeout woken=false at 100", "wake woken=true at 150", "slept to 650"}
	if !slices.Equal(log, want) {
		t.Fatalf("got %v, want %v", log, want)
	}
	if q.Len() != 0 {
		t.Fatal("a timed-out waiter stayed on the queue")
	}
}

func TestStopFromTask(t *testing.T) {
	base := runtime.NumGoroutine()
	s := newSched(1, 2, Random)
	other := false
	s.Spawn("other", 0, func(tk *Task) {
		defer func() { other = true }()
		for {
			tk.Yield()
		}
	})
	s.Spawn("bugger", 0, func(tk *Task) {
		tk.Sleep(10)
		s.Stop("kernel BUG at mm/migrate.c:1")
		t.Error("Stop returned to the task")
	})
	err := s.Run()
	var se *StopError
	if !errors.As(err, &se) || se.PID != 2 || se.Time < 10 || !strings.Contains(err.Error(), "mm/migrate.c:1") {
		t.Fatalf("Run = %v", err)
	}
	if !other {
		t.Error("the other task was not unwound")
	}
	if s.Stopped() != err {
		t.Error("Stopped() disagrees with Run")
	}
	if n, ok := settle(base); !ok {
		t.Errorf("goroutines: %d before, %d after", base, n)
	}
}

// A task polling with Yield for a condition a timer will set must see the
// timer fire: Yield costs virtual time.
func TestYieldPollingLetsTimePass(t *testing.T) {
	s := newSched(1, 1, RoundRobin)
	done := false
	s.At(1e6, func() { done = true })
	yields := 0
	s.Spawn("poller", 0, func(tk *Task) {
		for !done {
			tk.Yield()
			yields++
		}
	})
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if want := int(1e6 / DefaultYieldCost); yields != want || s.Now() != 1e6 {
		t.Fatalf("%d yields, now %d; want %d yields, now 1e6", yields, s.Now(), want)
	}
}

func TestStopFromTimer(t *testing.T) {
	s := newSched(1, 1, RoundRobin)
	s.Spawn("sleeper", 0, func(tk *Task) { tk.Sleep(1e9) })
	s.At(20, func() { s.Stop("watchdog") })
	ran := false
	s.At(20, func() { ran = true })
	err := s.Run()
	var se *StopError
	if !errors.As(err, &se) || se.PID != 0 || se.Time != 20 {
		t.Fatalf("Run = %v", err)
	}
	if ran {
		t.Error("a callback ran after Stop")
	}
}

// Daemons (PF_KTHREAD) do not keep Run going; RunUntil drives them and Stop
// releases them.
func TestDaemonsAndRunUntil(t *testing.T) {
	base := runtime.NumGoroutine()
	s := newSched(1, 2, RoundRobin)
	ticks := 0
	s.Spawn("flush-8:0", PF_KTHREAD, func(tk *Task) {
		for {
			tk.Sleep(100)
			ticks++
		}
	})
	s.Spawn("user", 0, func(tk *Task) { tk.Sleep(250) })
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if s.Now() != 250 || ticks != 2 {
		t.Fatalf("after Run: now %d ticks %d", s.Now(), ticks)
	}
	if err := s.RunUntil(1000); err != nil {
		t.Fatal(err)
	}
	if s.Now() != 1000 || ticks != 10 {
		t.Fatalf("after RunUntil: now %d ticks %d", s.Now(), ticks)
	}
	s.Stop("done")
	if len(s.Tasks()) != 0 {
		t.Fatal("Stop left tasks")
	}
	if n, ok := settle(base); !ok {
		t.Errorf("goroutines: %d before, %d after", base, n)
	}
}

func TestExit(t *testing.T) {
	s := newSched(1, 1, RoundRobin)
	deferred := false
	s.Spawn("exiter", 0, func(tk *Task) {
		defer func() { deferred = true }()
		tk.Exit()
		t.Error("Exit returned")
	})
	if err := s.Run(); err != nil || !deferred {
		t.Fatalf("Run = %v, deferred %v", err, deferred)
	}
}

func BenchmarkYield(b *testing.B) {
	for _, p := range []Policy{RoundRobin, Random} {
		b.Run(p.String(), func(b *testing.B) {
			s := newSched(1, 2, p)
			body := func(tk *Task) {
				for i := 0; i < b.N; i++ {
					tk.Yield()
				}
			}
			s.Spawn("a", 0, body)
			s.Spawn("b", 0, body)
			b.ReportAllocs()
			b.ResetTimer()
			if err := s.Run(); err != nil {
				b.Fatal(err)
			}
			// Each op is one Yield by each task: two task switches.
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(s.Switches()), "ns/switch")
		})
	}
	b.Run("alone", func(b *testing.B) {
		// A lone task's cond_resched takes the fast path.
		s := newSched(1, 1, Random)
		s.Spawn("a", 0, func(tk *Task) {
			for i := 0; i < b.N; i++ {
				tk.Yield()
			}
		})
		b.ReportAllocs()
		b.ResetTimer()
		if err := s.Run(); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkSpawnRun(b *testing.B) {
	// One op: a small machine with 4 tasks that each yield and sleep a
	// few times, run to completion.
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s := newSched(uint64(i), 4, Random)
		for j := 0; j < 4; j++ {
			s.Spawn("t", 0, func(tk *Task) {
				for k := 0; k < 4; k++ {
					tk.Yield()
					tk.Sleep(10)
				}
			})
		}
		if err := s.Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSignalWake checks signal_wake_up's two cases: a task in an
// interruptible sleep wakes at once; one in an uninterruptible sleep
// sleeps on to its timeout.
func TestSignalWake(t *testing.T) {
	clock := NewClock()
	s := NewScheduler(clock, NewRand(1), 2, RoundRobin)
	var woke [2]int64
	a := s.Spawn("interruptible", 0, func(tk *Task) { tk.SleepInterruptible(10e9); woke[0] = tk.Now() })
	b := s.Spawn("uninterruptible", 0, func(tk *Task) { tk.Sleep(10e9); woke[1] = tk.Now() })
	s.Spawn("killer", 0, func(tk *Task) {
		tk.Sleep(1e6)
		a.SignalWake()
		b.SignalWake()
	})
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if woke[0] != 1e6 || woke[1] != 10e9 {
		t.Fatalf("woke at %d and %d ns, want 1ms (interruptible) and 10s (uninterruptible)", woke[0], woke[1])
	}
}

// TestSignalWakeKillableWait checks signal_wake_up(t, fatal) on wait
// queues: a task in a TASK_KILLABLE wait (wait_event_killable) and one in
// a TASK_INTERRUPTIBLE timed wait wake at once, off their queues; one in
// an uninterruptible Wait stays until the queue is woken.
func TestSignalWakeKillableWait(t *testing.T) {
	clock := NewClock()
	s := NewScheduler(clock, NewRand(1), 2, RoundRobin)
	var q WaitQueue
	var woke [3]int64
	a := s.Spawn("killable", 0, func(tk *Task) { tk.WaitKillable(&q); woke[0] = tk.Now() })
	b := s.Spawn("interruptible", 0, func(tk *Task) { tk.WaitTimeoutKillable(&q, 10e9); woke[1] = tk.Now() })
	c := s.Spawn("uninterruptible", 0, func(tk *Task) { tk.Wait(&q); woke[2] = tk.Now() })
	s.Spawn("killer", 0, func(tk *Task) {
		tk.Sleep(1e6)
		if a.Uninterruptible() || b.Uninterruptible() || !c.Uninterruptible() {
			t.Errorf("TASK_KILLABLE/INTERRUPTIBLE waits must not count as uninterruptible (hung task)")
		}
		a.SignalWake()
		b.SignalWake()
		c.SignalWake()
		if q.Len() != 1 {
			t.Errorf("%d tasks left on the queue, want 1", q.Len())
		}
		tk.Sleep(1e6)
		q.WakeAll()
	})
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if woke != [3]int64{1e6, 1e6, 2e6} {
		t.Fatalf("woke at %v ns, want [1ms 1ms 2ms]", woke)
	}
}

// TestHangWatchdog checks the scheduler's livelock check: two tasks that
// wake each other forever without anything costing virtual time stop the
// machine with a hang error instead of spinning the host.
func TestHangWatchdog(t *testing.T) {
	clock := NewClock()
	s := NewScheduler(clock, NewRand(1), 2, RoundRobin)
	var q [2]WaitQueue
	for i := range 2 {
		s.Spawn(fmt.Sprintf("pingpong%d", i), 0, func(tk *Task) {
			for {
				q[1-i].WakeAll()
				tk.Wait(&q[i])
			}
		})
	}
	err := s.Run()
	var se *StopError
	if !errors.As(err, &se) || !strings.Contains(se.Reason, "hang: ") || se.Time != 0 {
		t.Fatalf("Run = %v, want a hang at time 0", err)
	}
}
