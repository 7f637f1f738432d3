// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"strings"
	"testing"

	"pagesim/sim"
)

// TestHungTask checks khungtaskd's rule (kernel/hung_task.c): a task in
// TASK_UNINTERRUPTIBLE that has not run since the detector's last look,
// one timeout (120 s) earlier, is reported, and with hung_task_panic the
// machine panics; a task sleeping interruptibly as long is not reported.
func TestHungTask(t *testing.T) {
	m := bootWithDisks(t, sim.RoundRobin, 1)
	var never sim.WaitQueue
	m.Spawn("napper", func(p *Process) { p.Sleep(300e9) }) // nanosleep: interruptible
	m.Spawn("stuck", func(p *Process) {
		p.Sleep(1e9)
		p.Task.Wait(&never) // nobody ever wakes it: a lost wake-up
	})
	res := m.Run(0)
	if res.Oops == nil || !res.Oops.Panic {
		t.Fatalf("run ended with %+v, want the hung_task panic\n%s", res, m.Log.String())
	}
	log := m.Log.String()
	if !strings.Contains(log, "INFO: task stuck:") || !strings.Contains(log, " blocked for more than 120 seconds.") {
		t.Errorf("no hung task report for stuck:\n%s", log)
	}
	if strings.Contains(log, "INFO: task napper:") {
		t.Errorf("an interruptible sleeper was reported:\n%s", log)
	}
	if !strings.Contains(log, "Kernel panic - not syncing: hung_task: blocked tasks") {
		t.Errorf("no hung_task panic:\n%s", log)
	}
	// Stuck from 1 s: the 120 s look sees it blocked but records its
	// switch count; the 240 s look reports it.
	if now := m.Clock.Now(); now != 2*HungTaskTimeoutNS {
		t.Errorf("reported at %dns, want %dns", now, int64(2*HungTaskTimeoutNS))
	}
}
