package sim

import "testing"

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
