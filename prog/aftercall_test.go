// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"strings"
	"testing"
)

// aftercall records what Options.AfterCall saw.
type aftercall struct {
	events []CallEvent
	stopAt int // stop after this call, -1: never
}

func (a *aftercall) hook(ev *CallEvent) bool {
	a.events = append(a.events, *ev)
	return ev.Index == a.stopAt
}

func (a *aftercall) quiet(line string) (bool, bool) {
	for _, ev := range a.events {
		if strings.Contains(ev.Trace, line) {
			return ev.Quiet, true
		}
	}
	return false, false
}

// TestAfterCall checks that AfterCall sees each call as it returns, with
// its trace line and count, and whether the other tasks are quiet: asleep
// in sleep() or holding pins is quiet, waiting for I/O in fsync is not.
func TestAfterCall(t *testing.T) {
	const src = `mem 128M
mount ext4 /mnt/e 1G latency=10ms

a: r0 = mmap(1M, rw)
a: touch(r0, 1M, write)
a: fork(pinner)
pinner: pin(r0, 1M, 100ms)
a: sleep(1ms)
a: r1 = open(/mnt/e/f, create)
a: write(r1, 1M)
a: fsync(r1)
b: sleep(2ms)
b: sleep(5s)
`
	p, err := Parse("t.prog", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ac := &aftercall{stopAt: -1}
	res, err := Run(p, Options{AfterCall: ac.hook})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() || res.Stopped {
		t.Fatalf("run failed or stopped: %+v %v", res.Kernel, res.Invariants)
	}
	if len(ac.events) != len(res.Trace) {
		t.Fatalf("%d events for %d trace lines", len(ac.events), len(res.Trace))
	}
	for i, ev := range ac.events {
		if ev.Trace != res.Trace[i] || ev.Done != i+1 || ev.Machine != res.Machine || ev.Call != p.Calls[ev.Index] || ev.Result != &res.Calls[ev.Index] {
			t.Errorf("event %d: %+v, trace %q", i, ev, res.Trace[i])
		}
	}
	for _, c := range []struct {
		line  string
		quiet bool
	}{
		// The pinner holds its pins and b sleeps: quiet.
		{"a[3]: sleep(1ms)", true},
		// b's first sleep ends while a waits for its fsync's I/O.
		{"b[4]: sleep(2ms)", false},
		// Everyone else has exited (pid 2 is the ext4 flusher).
		{"b[4]: sleep(5s)", true},
	} {
		q, ok := ac.quiet(c.line)
		if !ok || q != c.quiet {
			t.Errorf("%s: quiet %v (seen %v), want %v\n%s", c.line, q, ok, c.quiet, strings.Join(res.Trace, "\n"))
		}
	}

	// Stopping after a call: the later calls never run, and the stop is
	// not a failure of the machine; the invariants are not checked after.
	ac = &aftercall{stopAt: 4}
	res, err = Run(p, Options{AfterCall: ac.hook})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Stopped || res.StoppedAfter != 4 || res.Kernel.Failed() || res.Invariants != nil {
		t.Fatalf("stopped %v after %d, kernel %+v, invariants %v", res.Stopped, res.StoppedAfter, res.Kernel, res.Invariants)
	}
	if last := ac.events[len(ac.events)-1]; last.Index != 4 {
		t.Errorf("last event is call %d", last.Index)
	}
	for i := 5; i < len(p.Calls); i++ {
		if res.Calls[i].Executed && res.Calls[i].End != 0 {
			t.Errorf("call %d returned after the stop: %+v", i, res.Calls[i])
		}
	}
}
