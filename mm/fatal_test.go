// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"testing"

	"pagesim/sim"
)

// Tests of the fatal-signal checks on mm's sleeping paths (v3.16): a task
// sent SIGKILL leaves reclaim's waits at once, so that it can exit and
// free its memory.

// bootSched boots the 256 MiB test machine with a scheduler (no kswapd).
func bootSched(t *testing.T) (*System, *sim.Scheduler) {
	t.Helper()
	clock := sim.NewClock()
	sched := sim.NewScheduler(clock, sim.NewRand(1), 2, sim.RoundRobin)
	s, err := Boot(Config{MemBytes: 256 << 20, Nodes: 1, CPUs: 2}, Env{Sched: sched, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sched.Stop("done") })
	return s, sched
}

// drainBelowPfmemallocReserve allocates, as a PF_MEMALLOC task (no
// watermarks), until node 0's low zones hold no more than half their min
// watermarks free: pfmemalloc_watermark_ok() fails.
func drainBelowPfmemallocReserve(s *System, tk *sim.Task) {
	tk.Flags |= sim.PF_MEMALLOC
	defer func() { tk.Flags &^= sim.PF_MEMALLOC }()
	for s.pfmemallocWatermarkOk(s.nodes[0]) {
		if _, ok := s.AllocPages(GFP_KERNEL, 0); !ok {
			panic("no page")
		}
	}
}

// TestThrottleDirectReclaimKillable checks v3.16 mm/vmscan.c
// throttle_direct_reclaim: a __GFP_FS direct reclaimer throttled on
// pfmemalloc_wait sleeps in wait_event_killable, so SIGKILL wakes it; it
// then returns true, and try_to_free_pages returns 1 without reclaiming
// (so the allocator does not OOM-kill for it). A task already killed is
// not throttled at all.
func TestThrottleDirectReclaimKillable(t *testing.T) {
	for _, gfp := range []GFP{GFP_KERNEL, GFP_NOFS} {
		s, sched := bootSched(t)
		var got uint64 = 99
		var done int64
		sched.Spawn("setup", 0, func(tk *sim.Task) { drainBelowPfmemallocReserve(s, tk) })
		victim := sched.Spawn("victim", 0, func(tk *sim.Task) {
			tk.Sleep(1e6)
			got = s.tryToFreePages(s.nodeZonelist(0, gfp), 0, gfp)
			done = tk.Now()
		})
		sched.Spawn("killer", 0, func(tk *sim.Task) {
			tk.Sleep(2e6)
			if victim.State() != sim.StateBlocked || victim.Uninterruptible() {
				t.Errorf("gfp %#x: the victim is not in a killable throttle wait (state %v)", uint32(gfp), victim.State())
			}
			s.SendSigkill(victim)
		})
		if err := sched.RunUntil(10e9); err != nil {
			t.Fatalf("gfp %#x: %v", uint32(gfp), err)
		}
		if got != 1 || done != 2e6 {
			t.Fatalf("gfp %#x: try_to_free_pages returned %d at %d ns, want 1 at 2 ms (when SIGKILL came)", uint32(gfp), got, done)
		}
		if n := s.VMEvent(PGSCAN_DIRECT_THROTTLE); n != 1 {
			t.Fatalf("gfp %#x: pgscan_direct_throttle %d, want 1", uint32(gfp), n)
		}
		// Already killed: not throttled (and not counted) again.
		sched.Spawn("again", 0, func(tk *sim.Task) {
			s.SendSigkill(tk)
			if s.throttleDirectReclaim(gfp, s.nodeZonelist(0, gfp)) {
				t.Errorf("gfp %#x: a task killed before throttling must not report being killed while throttled", uint32(gfp))
			}
		})
		if err := sched.RunUntil(20e9); err != nil {
			t.Fatal(err)
		}
		if n := s.VMEvent(PGSCAN_DIRECT_THROTTLE); n != 1 {
			t.Fatalf("gfp %#x: a killed task was throttled (pgscan_direct_throttle %d)", uint32(gfp), n)
		}
	}
}

// TestTooManyIsolatedFatalSignal checks v3.16 mm/vmscan.c
// shrink_inactive_list: a direct reclaimer waiting in the
// too_many_isolated() loop returns SWAP_CLUSTER_MAX after its
// congestion_wait once a fatal signal is pending, without scanning.
func TestTooManyIsolatedFatalSignal(t *testing.T) {
	s, sched := bootSched(t)
	z := dma32Zone(s)
	var got uint64
	var done int64
	victim := sched.Spawn("victim", 0, func(tk *sim.Task) {
		// More anon pages isolated than are on the inactive list.
		z.modZonePageState(NR_ISOLATED_ANON, 1000)
		sc := &scanControl{gfpMask: GFP_KERNEL, nrToReclaim: SWAP_CLUSTER_MAX, mayUnmap: true, maySwap: true, mayWritepage: true, priority: DEF_PRIORITY}
		got = s.shrinkInactiveList(SWAP_CLUSTER_MAX, z, sc, LRU_INACTIVE_ANON)
		done = tk.Now()
		z.modZonePageState(NR_ISOLATED_ANON, -1000)
	})
	sched.Spawn("killer", 0, func(tk *sim.Task) {
		tk.Sleep(1e6)
		s.SendSigkill(victim)
	})
	if err := sched.RunUntil(10e9); err != nil {
		t.Fatal(err)
	}
	if got != SWAP_CLUSTER_MAX || done == 0 || done > 1e9 {
		t.Fatalf("shrink_inactive_list returned %d at %d ns, want SWAP_CLUSTER_MAX after one congestion_wait (100 ms)", got, done)
	}
}
