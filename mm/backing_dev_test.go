// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"testing"

	"pagesim/sim"
)

// shrinkInactiveTimed runs shrink_inactive_list on the fixture's inactive
// file list as a direct reclaimer and returns the virtual time it took.
func (fx *reclaimFixture) shrinkInactiveTimed(t *testing.T) int64 {
	t.Helper()
	var elapsed int64
	fx.runAs(t, sim.PF_MEMALLOC, func() {
		sc := &scanControl{gfpMask: GFP_KERNEL, mayWritepage: true, mayUnmap: true, maySwap: true, priority: DEF_PRIORITY}
		start := fx.sched.Now()
		fx.s.shrinkInactiveList(SWAP_CLUSTER_MAX, fx.zone, sc, LRU_INACTIVE_FILE)
		elapsed = fx.sched.Now() - start
	})
	return elapsed
}

// TestDirectReclaimWaitsIffCongested checks v3.16 mm/vmscan.c
// shrink_inactive_list -> mm/backing-dev.c wait_iff_congested: direct
// reclaim of a zone flagged ZONE_CONGESTED while some backing device is
// congested for async writes (nr_bdi_congested[BLK_RW_ASYNC] != 0) sleeps
// on congestion_wqh[BLK_RW_ASYNC] for up to HZ/10; with either condition
// missing it only cond_resched()s.
func TestDirectReclaimWaitsIffCongested(t *testing.T) {
	const timeout = int64(HZ/10) * 1e9 / HZ
	for _, tc := range []struct {
		name                  string
		zoneCongested, bdiCgd bool
		wantSleep             bool
	}{
		{"zone_and_bdi_congested", true, true, true},
		{"zone_congested_no_bdi", true, false, false},
		{"bdi_congested_zone_not", false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx := newReclaimFixture(t, 32, false)
			fx.s.SetTracer(NewTracer([]string{"writeback_wait_iff_congested"}))
			if tc.zoneCongested {
				fx.zone.setFlag(ZONE_CONGESTED)
			}
			if tc.bdiCgd {
				fx.s.SetBdiCongested(fx.m.BDI, BLK_RW_ASYNC)
			}
			elapsed := fx.shrinkInactiveTimed(t)
			if tc.wantSleep && elapsed < timeout {
				t.Errorf("direct reclaim took %dns: want a wait_iff_congested sleep of HZ/10 (%dns)", elapsed, timeout)
			}
			if !tc.wantSleep && elapsed >= timeout {
				t.Errorf("direct reclaim took %dns: want no sleep (only cond_resched)", elapsed)
			}
			lines := fx.s.tracer.Lines()
			if len(lines) != 1 {
				t.Fatalf("trace: %q, want one writeback_wait_iff_congested", lines)
			}
			want := "writeback_wait_iff_congested: usec_timeout=100000 usec_delayed=0"
			if tc.wantSleep {
				want = "writeback_wait_iff_congested: usec_timeout=100000 usec_delayed=100000"
			}
			if got := lines[0]; len(got) < len(want) || got[len(got)-len(want):] != want {
				t.Errorf("trace %q, want it to end in %q", got, want)
			}
		})
	}
}

// TestWaitIffCongestedWokenByClear checks v3.16 mm/backing-dev.c: a task
// sleeping in wait_iff_congested (congested zone, congested device) is
// woken by clear_bdi_congested of that direction before its timeout, and
// clear_bdi_congested drops nr_bdi_congested only for a bit it clears.
func TestWaitIffCongestedWokenByClear(t *testing.T) {
	fx := newReclaimFixture(t, 1, false)
	s := fx.s
	fx.zone.setFlag(ZONE_CONGESTED)
	s.SetBdiCongested(fx.m.BDI, BLK_RW_ASYNC)
	s.SetBdiCongested(fx.m.BDI, BLK_RW_ASYNC)
	if n := s.NrBdiCongested(BLK_RW_ASYNC); n != 1 {
		t.Fatalf("nr_bdi_congested[ASYNC] = %d after setting the bit twice, want 1 (test_and_set_bit)", n)
	}
	const wakeAt = 7e6 // 7 ms, well inside HZ/10
	var elapsed, left int64
	fx.runAs(t, sim.PF_MEMALLOC, func() {
		start := fx.sched.Now()
		// The sync direction's clear wakes the other queue only.
		fx.sched.After(1e6, func() { s.ClearBdiCongested(fx.m.BDI, BLK_RW_SYNC) })
		fx.sched.After(wakeAt, func() { s.ClearBdiCongested(fx.m.BDI, BLK_RW_ASYNC) })
		left = s.waitIffCongested(fx.zone, BLK_RW_ASYNC, HZ/10)
		elapsed = fx.sched.Now() - start
	})
	if elapsed != wakeAt {
		t.Errorf("wait_iff_congested slept %dns, want to be woken by clear_bdi_congested at %dns", elapsed, int64(wakeAt))
	}
	if left != HZ/10-7 {
		t.Errorf("wait_iff_congested returned %d jiffies left, want %d", left, HZ/10-7)
	}
	if n := s.NrBdiCongested(BLK_RW_ASYNC); n != 0 || fx.m.BDI.Congested[BLK_RW_ASYNC] {
		t.Errorf("after clear_bdi_congested: nr_bdi_congested[ASYNC] = %d, bit %v; want 0, false", n, fx.m.BDI.Congested[BLK_RW_ASYNC])
	}
	s.ClearBdiCongested(fx.m.BDI, BLK_RW_ASYNC)
	if n := s.NrBdiCongested(BLK_RW_ASYNC); n != 0 {
		t.Errorf("clearing a clear bit changed nr_bdi_congested[ASYNC] to %d (test_and_clear_bit)", n)
	}
}

// TestShrinkInactiveTooManyIsolatedFatalSignal checks v3.16 mm/vmscan.c
// shrink_inactive_list: while too_many_isolated() it waits in
// congestion_wait(BLK_RW_ASYNC, HZ/10), and a task with a fatal signal
// pending then returns SWAP_CLUSTER_MAX at once, scanning nothing, instead
// of waiting for the isolated pages to come back.
func TestShrinkInactiveTooManyIsolatedFatalSignal(t *testing.T) {
	fx := newReclaimFixture(t, 4, false)
	s, z := fx.s, fx.zone
	z.zonePageStateAdd(1<<20, NR_ISOLATED_FILE)
	var ret uint64 = 1 << 62
	var elapsed int64
	task := fx.sched.Spawn("victim", 0, func(task *sim.Task) {
		task.Flags |= sim.PF_MEMALLOC
		s.sigkill[task] = true
		sc := &scanControl{gfpMask: GFP_KERNEL, mayWritepage: true, mayUnmap: true, maySwap: true, priority: DEF_PRIORITY}
		start := fx.sched.Now()
		ret = s.shrinkInactiveList(SWAP_CLUSTER_MAX, z, sc, LRU_INACTIVE_FILE)
		elapsed = fx.sched.Now() - start
		delete(s.sigkill, task)
	})
	if err := fx.sched.RunUntil(fx.sched.Now() + 1e9); err != nil {
		t.Fatal(err)
	}
	if task.State() != sim.StateDead {
		t.Fatalf("a SIGKILLed direct reclaimer is still in shrink_inactive_list's too_many_isolated loop after 1s")
	}
	if ret != SWAP_CLUSTER_MAX || elapsed != 1e9/10 {
		t.Errorf("shrink_inactive_list returned %d after %dns, want SWAP_CLUSTER_MAX after one congestion_wait(HZ/10)", ret, elapsed)
	}
	z.zonePageStateAdd(-1<<20, NR_ISOLATED_FILE)
}

// bdiRecorder is a file's ->write_begin/->write_end (grab the page, then
// dirty, unlock and release it), recording current->backing_dev_info at
// ->write_begin.
type bdiRecorder struct {
	*fakeFile
	seen *BackingDevInfo
}

func (r *bdiRecorder) WriteBegin(s *System, m *AddressSpace, pos int64, length int) (uint64, error) {
	r.seen = s.CurrentBackingDevInfo()
	pfn, ok := s.GrabCachePageWriteBegin(m, uint64(pos)>>PAGE_SHIFT, false)
	if !ok {
		return 0, ENOMEM
	}
	s.pages[pfn].setFlag(PG_uptodate)
	return pfn, nil
}

func (r *bdiRecorder) WriteEnd(s *System, m *AddressSpace, pos int64, length, copied int, pfn uint64) int {
	s.SetPageDirty(pfn)
	s.unlockPage(pfn)
	s.PutPage(pfn)
	return copied
}

// TestMayWriteToQueueOwnDevice checks v3.16 mm/vmscan.c may_write_to_queue
// and current_may_throttle with current->backing_dev_info, which
// __generic_file_write_iter points at the file's device for the write:
// reclaim without PF_SWAPWRITE may not write to a write-congested device
// unless it is the one the task is writing to; a PF_LESS_THROTTLE task is
// throttled only if that device is write-congested.
func TestMayWriteToQueueOwnDevice(t *testing.T) {
	fx := newReclaimFixture(t, 1, false)
	s := fx.s
	rec := &bdiRecorder{fakeFile: &fakeFile{}}
	bdi := &BackingDevInfo{Name: "own"}
	m := s.NewAddressSpace(rec, rec, bdi)
	other := &BackingDevInfo{Name: "other"}
	fx.runAs(t, 0, func() {
		if _, err := s.GenericPerformWrite(m, 0, PAGE_SIZE, 0x5a); err != nil {
			t.Fatal(err)
		}
		if rec.seen != bdi {
			t.Errorf("current->backing_dev_info in ->write_begin = %v, want the file's bdi", rec.seen)
		}
		if s.CurrentBackingDevInfo() != nil {
			t.Errorf("current->backing_dev_info = %v after the write, want NULL", s.CurrentBackingDevInfo())
		}
		s.SetBdiCongested(other, BLK_RW_ASYNC)
		if s.mayWriteToQueue(other) {
			t.Error("may_write_to_queue to a write-congested device, not the task's own, without PF_SWAPWRITE")
		}
		s.current().Flags |= sim.PF_LESS_THROTTLE
		if !s.currentMayThrottle() {
			t.Error("current_may_throttle false for a PF_LESS_THROTTLE task writing to no device")
		}
		old := s.SetCurrentBackingDevInfo(other)
		if !s.mayWriteToQueue(other) {
			t.Error("may_write_to_queue refused the congested device the task is writing to")
		}
		if !s.currentMayThrottle() {
			t.Error("current_may_throttle false for a PF_LESS_THROTTLE task whose device is write-congested")
		}
		s.ClearBdiCongested(other, BLK_RW_ASYNC)
		if s.currentMayThrottle() {
			t.Error("current_may_throttle true for a PF_LESS_THROTTLE task whose device is not congested")
		}
		s.SetCurrentBackingDevInfo(old)
		s.current().Flags &^= sim.PF_LESS_THROTTLE
	})
}
