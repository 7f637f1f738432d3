package sim

import (
	"slices"
	"testing"
)

// TestStarted: a task has started once it first runs, and stays so,
// dead included; a task unwound before it ever ran counts as started.
func TestStarted(t *testing.T) {
	s := newSched(1, 1, RoundRobin)
	var b *Task
	var seen []bool
	a := s.Spawn("a", 0, func(t *Task) {
		seen = append(seen, t.Started(), b.Started())
		t.Sleep(10)
		seen = append(seen, b.Started())
	})
	b = s.Spawn("b", 0, func(t *Task) { t.Sleep(20) })
	if a.Started() || b.Started() {
		t.Fatal("started before Run")
	}
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if want := []bool{true, false, true}; len(seen) != 3 || seen[0] != want[0] || seen[1] != want[1] || seen[2] != want[2] {
		t.Errorf("seen %v, want %v", seen, want)
	}
	if !a.Started() || !b.Started() || a.State() != StateDead {
		t.Errorf("after Run: started %v %v, state %v", a.Started(), b.Started(), a.State())
	}
	c := s.Spawn("c", 0, func(t *Task) {})
	s.Stop("never ran")
	if c.State() != StateDead || !c.Started() {
		t.Errorf("unwound before running: state %v started %v", c.State(), c.Started())
	}
}

// TestSetTick: the tick runs every n switches, whether the switch went
// through the scheduler or was a Yield that kept the CPU, and sees the
// clock as it is at that step; SetTick(0, nil) removes it.
func TestSetTick(t *testing.T) {
	s := newSched(1, 1, RoundRobin)
	var at []int64
	var sw []uint64
	s.SetTick(3, func() {
		at = append(at, s.Now())
		sw = append(sw, s.Switches())
	})
	// A lone task yielding: every switch is Yield's fast path.
	s.Spawn("solo", 0, func(t *Task) {
		for i := 0; i < 10; i++ {
			t.Yield()
		}
	})
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	// Switches: 1 dispatch, then 10 fast-path Yields (11 in all).
	if want := []uint64{3, 6, 9}; !slices.Equal(sw, want) {
		t.Errorf("ticks at switches %v, want %v", sw, want)
	}
	if want := []int64{2000, 5000, 8000}; !slices.Equal(at, want) {
		t.Errorf("ticks at times %v, want %v", at, want)
	}
	// Two tasks sleeping in turn: every switch goes through the
	// scheduler, 4 slices each (switches 12 to 19).
	at, sw = nil, nil
	for _, c := range []string{"a", "b"} {
		s.Spawn(c, 0, func(t *Task) {
			for i := 0; i < 3; i++ {
				t.Sleep(1e9)
			}
		})
	}
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if want := []uint64{12, 15, 18}; !slices.Equal(sw, want) {
		t.Errorf("ticks at switches %v, want %v", sw, want)
	}
	s.SetTick(0, nil)
	s.Spawn("c", 0, func(t *Task) { t.Yield(); t.Yield(); t.Yield() })
	before := len(sw)
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if len(sw) != before {
		t.Errorf("tick ran after SetTick(0, nil)")
	}
}

type countingPlug struct{ flushes int }

func (p *countingPlug) FlushOnSchedule() { p.flushes++ }

// TestPlugFlushedOnSleep checks v3.16 kernel/sched/core.c
// sched_submit_work: a task that sleeps (Sleep, Wait, WaitTimeout, a
// contended Mutex) with a plug flushes it first; cond_resched (Yield)
// keeps the task running and does not.
func TestPlugFlushedOnSleep(t *testing.T) {
	s := newSched(1, 1, RoundRobin)
	p := &countingPlug{}
	var q WaitQueue
	var mu Mutex
	var got []int
	s.Spawn("holder", 0, func(t *Task) {
		mu.Lock(t)
		t.Sleep(1e9)
		mu.Unlock()
	})
	s.Spawn("plugged", 0, func(t *Task) {
		t.Plug = p
		t.Yield()
		got = append(got, p.flushes)
		t.Sleep(1)
		got = append(got, p.flushes)
		t.WaitTimeout(&q, 1)
		got = append(got, p.flushes)
		mu.Lock(t)
		got = append(got, p.flushes)
		mu.Unlock()
		t.Plug = nil
		t.Sleep(1)
		got = append(got, p.flushes)
	})
	if err := s.Run(); err != nil {
		t.Fatal(err)
	}
	if want := []int{0, 1, 2, 3, 3}; !slices.Equal(got, want) {
		t.Errorf("flushes after yield, sleep, wait_timeout, contended mutex, unplugged sleep: %v, want %v", got, want)
	}
}
