// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"fmt"
	"strings"
	"testing"

	"pagesim/klog"
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
	log := klog.New(klog.Config{Clock: clock.Now, NoStackWords: true})
	s, err := Boot(Config{MemBytes: 256 << 20, Nodes: 1, CPUs: 2}, Env{Log: log, Sched: sched, Clock: clock})
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

// TestOOMVictimUsesReservesAndExits checks the OOM decisions of v3.16
// around one victim: out_of_memory kills the task with the highest
// badness (TIF_MEMDIE, SIGKILL), which wakes it from its killable
// throttle in direct reclaim; while it has TIF_MEMDIE a second
// out_of_memory aborts in oom_scan_process_thread instead of picking
// another victim; the victim's next allocation, below the min watermark,
// is served from the reserves (gfp_to_alloc_flags: ALLOC_NO_WATERMARKS
// for TIF_MEMDIE); and exit_mm frees its memory, clears TIF_MEMDIE and
// the task's mm, after which the OOM killer passes over the exiting task
// (no mm: OOM_SCAN_CONTINUE, not the PF_EXITING abort) and may pick again.
func TestOOMVictimUsesReservesAndExits(t *testing.T) {
	s, sched := bootSched(t)
	l := s.log
	zl := s.nodeZonelist(0, GFP_KERNEL)
	var victimMM *MMStruct
	var reservePage bool
	killedPIDs := func() int { return strings.Count(l.String(), "Killed process") }
	var victim *sim.Task
	sched.Spawn("other", 0, func(tk *sim.Task) {
		m, _ := s.NewMM()
		s.RegisterProcess(&OOMProcess{Task: tk, MM: m})
		a, _ := s.MmapAnon(m, 10*PAGE_SIZE, true)
		for i := uint64(0); i < 10; i++ {
			s.UserAccess(m, a+i*PAGE_SIZE, true, i)
		}
		tk.Sleep(2e6)
		s.outOfMemory(zl, GFP_KERNEL, 0)
		if !s.tifMemdie(victim) || !s.FatalSignalPending(victim) || killedPIDs() != 1 {
			t.Errorf("the OOM killer did not kill the largest task (TIF_MEMDIE %v, SIGKILL %v):\n%s", s.tifMemdie(victim), s.FatalSignalPending(victim), l.String())
		}
		tk.Sleep(2e6)
		s.outOfMemory(zl, GFP_KERNEL, 0)
		if killedPIDs() != 1 || s.FatalSignalPending(tk) {
			t.Errorf("a second victim was killed while the first has TIF_MEMDIE:\n%s", l.String())
		}
		// The victim is past exit_mm but not yet gone: it has no mm and
		// no TIF_MEMDIE, so it neither aborts the scan nor is chosen.
		tk.Sleep(10e6)
		if s.tifMemdie(victim) {
			t.Errorf("TIF_MEMDIE survived exit_mm")
		}
		if p, _, abort := s.selectBadProcess(s.totalramPages); abort || p == nil || p.Task != tk {
			t.Errorf("select_bad_process after the victim's exit_mm: abort %v, chosen %v; want this task", abort, p)
		}
		tk.Sleep(10e6)
		s.UnregisterProcess(tk)
		s.Mmput(m)
	})
	victim = sched.Spawn("victim", 0, func(tk *sim.Task) {
		victimMM, _ = s.NewMM()
		s.RegisterProcess(&OOMProcess{Task: tk, MM: victimMM})
		a, _ := s.MmapAnon(victimMM, 2000*PAGE_SIZE, true)
		for i := uint64(0); i < 2000; i++ {
			s.UserAccess(victimMM, a+i*PAGE_SIZE, true, i)
		}
		drainBelowPfmemallocReserve(s, tk)
		if got := s.tryToFreePages(zl, 0, GFP_KERNEL); got != 1 {
			t.Errorf("try_to_free_pages after SIGKILL returned %d, want 1", got)
		}
		z := dma32Zone(s)
		if free := uint64(z.zonePageState(NR_FREE_PAGES)); free >= z.minWmarkPages() {
			t.Errorf("free %d not below min %d: the reserves are not tested", free, z.minWmarkPages())
		}
		pfn, ok := s.AllocPages(GFP_HIGHUSER_MOVABLE, 0)
		reservePage = ok
		if ok {
			s.FreePages(pfn, 0)
		}
		// Still exiting (say, in I/O) when the OOM killer runs again.
		tk.Sleep(10e6)
		tk.Flags |= sim.PF_EXITING
		before := freeNow(s)
		s.ExitMM(tk, victimMM)
		if freed := freeNow(s) - before; freed < 2000 {
			t.Errorf("exit_mm freed %d pages, want the victim's 2000 and more", freed)
		}
		tk.Sleep(5e6) // exit_files and the rest of do_exit
		s.UnregisterProcess(tk)
	})
	if err := sched.RunUntil(10e9); err != nil {
		t.Fatalf("%v\n%s", err, l.String())
	}
	if !reservePage {
		t.Fatal("the OOM victim's allocation below the min watermark failed: TIF_MEMDIE gives it the reserves")
	}
}

// TestGUPFatalSignal checks v3.16 mm/gup.c __get_user_pages: with SIGKILL
// pending it faults in no more pages, returning -ERESTARTSYS if it got
// none; mlock's __mm_populate passes that on.
func TestGUPFatalSignal(t *testing.T) {
	s, sched := bootSched(t)
	sched.Spawn("killed", 0, func(tk *sim.Task) {
		m, _ := s.NewMM()
		a, _ := s.MmapAnon(m, 16*PAGE_SIZE, true)
		s.SendSigkill(tk)
		if pfns, err := s.GetUserPages(m, a, 16, true); err != ERESTARTSYS || len(pfns) != 0 {
			t.Errorf("get_user_pages: %d pages, %v; want none, ERESTARTSYS", len(pfns), err)
		}
		if err := s.Mlock(m, a, 16*PAGE_SIZE); err != ERESTARTSYS {
			t.Errorf("mlock: %v, want ERESTARTSYS", err)
		}
		if m.RSS(MM_ANONPAGES) != 0 {
			t.Errorf("%d pages faulted in by a killed task", m.RSS(MM_ANONPAGES))
		}
		s.Mmput(m)
	})
	if err := sched.Run(); err != nil {
		t.Fatal(err)
	}
}

// TestOOMOriginSelected checks v3.16 mm/oom_kill.c
// oom_scan_process_thread: a process that set_current_oom_origin marked
// (swapoff, while in try_to_unuse) is selected before any larger one
// (OOM_SCAN_SELECT), and no longer once the mark is cleared.
func TestOOMOriginSelected(t *testing.T) {
	s, sched := bootSched(t)
	procs := map[string]*OOMProcess{}
	for _, c := range []struct {
		name  string
		pages uint64
	}{{"big", 1000}, {"swapoff", 10}} {
		sched.Spawn(c.name, 0, func(tk *sim.Task) {
			m, _ := s.NewMM()
			p := &OOMProcess{Task: tk, MM: m}
			procs[c.name] = p
			s.RegisterProcess(p)
			a, _ := s.MmapAnon(m, c.pages*PAGE_SIZE, true)
			for i := uint64(0); i < c.pages; i++ {
				s.UserAccess(m, a+i*PAGE_SIZE, true, i)
			}
			if c.name != "swapoff" {
				tk.Sleep(1e9)
				return
			}
			s.setCurrentOOMOrigin(true)
			if p, _, abort := s.selectBadProcess(s.totalramPages); abort || p != procs["swapoff"] {
				t.Errorf("with swapoff marked the OOM origin, select_bad_process chose %v (abort %v)", p, abort)
			}
			s.setCurrentOOMOrigin(false)
			if p, _, abort := s.selectBadProcess(s.totalramPages); abort || p != procs["big"] {
				t.Errorf("after clear_current_oom_origin, select_bad_process chose %v (abort %v), want the largest", p, abort)
			}
		})
	}
	if err := sched.Run(); err != nil {
		t.Fatal(err)
	}
}

// TestPagefaultOutOfMemory checks v3.16 arch/x86/mm/fault.c
// mm_fault_error: a user fault that ends in VM_FAULT_OOM calls
// pagefault_out_of_memory(), which runs the OOM killer (here the
// allocation itself could not, as oom_killer_disabled makes the allocator
// fail instead), before the task returns to user mode to retry.
func TestPagefaultOutOfMemory(t *testing.T) {
	s, sched := bootSched(t)
	var big *sim.Task
	big = sched.Spawn("big", 0, func(tk *sim.Task) {
		m, _ := s.NewMM()
		s.RegisterProcess(&OOMProcess{Task: tk, MM: m})
		a, _ := s.MmapAnon(m, 1000*PAGE_SIZE, true)
		for i := uint64(0); i < 1000; i++ {
			s.UserAccess(m, a+i*PAGE_SIZE, true, i)
		}
		tk.SleepKillable(10e9)
		s.ExitMM(tk, m)
		s.UnregisterProcess(tk)
	})
	sched.Spawn("faulter", 0, func(tk *sim.Task) {
		m, _ := s.NewMM()
		s.RegisterProcess(&OOMProcess{Task: tk, MM: m})
		a, _ := s.MmapAnon(m, PAGE_SIZE, true)
		// Every zone just below its min watermark: the fault's
		// allocation fails its watermarks, but direct reclaim is not
		// throttled (free is above half the min watermarks).
		var held []uint64
		tk.Flags |= sim.PF_MEMALLOC
		for _, z := range []*Zone{dma32Zone(s), dmaZone(s)} {
			gfp := GFP_KERNEL | GFP_NOWARN
			if z == dmaZone(s) {
				gfp |= GFP_DMA
			}
			for uint64(z.zonePageState(NR_FREE_PAGES)) >= z.minWmarkPages() {
				pfn, ok := s.AllocPages(gfp, 0)
				if !ok {
					t.Fatal("no page")
				}
				held = append(held, pfn)
			}
		}
		tk.Flags &^= sim.PF_MEMALLOC
		s.oomKillerDisabled = true
		_, err := s.UserAccess(m, a, true, 2)
		s.oomKillerDisabled = false
		if err != ErrOOM {
			t.Errorf("the fault returned %v, want VM_FAULT_OOM", err)
		}
		if !strings.Contains(s.log.String(), fmt.Sprintf("Killed process %d (big)", big.PID)) {
			t.Errorf("pagefault_out_of_memory did not kill the largest task:\n%s", s.log.String())
		}
		for _, pfn := range held {
			s.FreePages(pfn, 0)
		}
		s.UnregisterProcess(tk)
		s.Mmput(m)
	})
	if err := sched.RunUntil(100e9); err != nil {
		t.Fatal(err)
	}
}

// TestOOMKillerSleepKillable checks v3.16 out_of_memory's
// schedule_timeout_killable(1) after a kill: a task that chose itself as
// the victim (SIGKILL pending) does not sleep at all, so that it goes on
// to use the reserves and exit.
func TestOOMKillerSleepKillable(t *testing.T) {
	s, sched := bootSched(t)
	zl := s.nodeZonelist(0, GFP_KERNEL)
	sched.Spawn("self", 0, func(tk *sim.Task) {
		m, _ := s.NewMM()
		s.RegisterProcess(&OOMProcess{Task: tk, MM: m})
		a, _ := s.MmapAnon(m, 10*PAGE_SIZE, true)
		for i := uint64(0); i < 10; i++ {
			s.UserAccess(m, a+i*PAGE_SIZE, true, i)
		}
		start := tk.Now()
		s.outOfMemory(zl, GFP_KERNEL, 0)
		if !s.tifMemdie(tk) {
			t.Fatal("the only task was not chosen")
		}
		if d := tk.Now() - start; d >= 1e9/HZ {
			t.Errorf("the OOM killer's own victim slept %d ns after the kill", d)
		}
		s.ExitMM(tk, m)
		s.UnregisterProcess(tk)
	})
	if err := sched.Run(); err != nil {
		t.Fatal(err)
	}
}
