// SPDX-License-Identifier: GPL-2.0-only

package fs_test

import (
	"fmt"
	"strings"
	"testing"

	"pagesim/fs"
	"pagesim/mm"
	"pagesim/sim"
)

// TestQueueCongestionThresholds checks v3.16 block/blk-core.c
// blk_queue_congestion_threshold for nr_requests = BLKDEV_MAX_RQ (128):
// on = 128 - 128/8 + 1 = 113 (not above 128), off = 128 - 128/8 - 128/16
// - 1 = 103 (not below 1). __get_request sets the direction congested
// (set_bdi_congested, nr_bdi_congested +1) when an allocation brings
// rl->count to 113, and __freed_request clears it when a freed request
// leaves it below 103; the other direction is not touched.
func TestQueueCongestionThresholds(t *testing.T) {
	m := boot(t)
	dev := m.ext4.Dev
	if on, off := dev.CongestionThresholds(); on != 113 || off != 103 {
		t.Fatalf("congestion thresholds on=%d off=%d, want 113 and 103", on, off)
	}
	congested := func(sync int) bool { return dev.BDI.Congested[sync] }
	for i := 1; i <= 113; i++ {
		dev.SubmitWrite(uint64(1000+i), uint64(i), false, func() {})
		want := i >= 113
		if congested(fs.BLK_RW_ASYNC) != want || m.s.NrBdiCongested(mm.BLK_RW_ASYNC) != b2i(want) {
			t.Fatalf("after %d async requests: async congested %v, nr_bdi_congested[ASYNC] %d; want %v",
				i, congested(fs.BLK_RW_ASYNC), m.s.NrBdiCongested(mm.BLK_RW_ASYNC), want)
		}
		if congested(fs.BLK_RW_SYNC) || m.s.NrBdiCongested(mm.BLK_RW_SYNC) != 0 {
			t.Fatalf("after %d async requests the sync direction is congested", i)
		}
	}
	// Requests complete one every devLatency; look just after each.
	start := m.sched.Now()
	for done := 1; done <= 113; done++ {
		if err := m.sched.RunUntil(start + int64(done)*devLatency); err != nil {
			t.Fatal(err)
		}
		count := dev.RequestCount(fs.BLK_RW_ASYNC)
		if count != 113-done {
			t.Fatalf("after %d completions rl->count[ASYNC] = %d, want %d", done, count, 113-done)
		}
		want := count >= 103
		if congested(fs.BLK_RW_ASYNC) != want || m.s.NrBdiCongested(mm.BLK_RW_ASYNC) != b2i(want) {
			t.Fatalf("at rl->count[ASYNC] = %d: async congested %v, nr_bdi_congested[ASYNC] %d; want %v",
				count, congested(fs.BLK_RW_ASYNC), m.s.NrBdiCongested(mm.BLK_RW_ASYNC), want)
		}
	}
	// Reads and REQ_SYNC writes count in the sync direction.
	for i := 1; i <= 113; i++ {
		if i%2 == 0 {
			dev.SubmitRead(uint64(1000+i), func(uint64) {})
		} else {
			dev.SubmitWrite(uint64(1000+i), uint64(i), true, func() {})
		}
	}
	if !congested(fs.BLK_RW_SYNC) || congested(fs.BLK_RW_ASYNC) || m.s.NrBdiCongested(mm.BLK_RW_SYNC) != 1 {
		t.Fatalf("113 reads and sync writes: sync congested %v, async %v, nr_bdi_congested[SYNC] %d; want true, false, 1",
			congested(fs.BLK_RW_SYNC), congested(fs.BLK_RW_ASYNC), m.s.NrBdiCongested(mm.BLK_RW_SYNC))
	}
}

// TestCongestionWaitWokenByFreedRequest checks v3.16 mm/backing-dev.c
// congestion_wait with block/blk-core.c __freed_request: a task in
// congestion_wait(BLK_RW_ASYNC, HZ/10) is woken by clear_bdi_congested,
// which every async request freed below the off-threshold calls, so it
// sleeps until the queue drops below 103 requests, not the full timeout;
// and with requests in flight but no congestion, until the next async
// completion.
func TestCongestionWaitWokenByFreedRequest(t *testing.T) {
	for _, tc := range []struct {
		name     string
		inflight int
		wantWake int64 // completions before the wake-up
	}{
		{"congested_queue", 113, 11}, // 113 -> 102 requests
		{"uncongested_queue", 5, 1},  // the next completion
		{"idle_queue", 0, 0},         // nothing wakes it: the timeout
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := boot(t)
			tr := mm.NewTracer([]string{"writeback_congestion_wait"})
			m.s.SetTracer(tr)
			dev := m.ext4.Dev
			var elapsed int64
			m.run(t, func(task *sim.Task) {
				// Blocks apart, so that no two merge into one request.
				for i := 0; i < tc.inflight; i++ {
					dev.SubmitWrite(uint64(1000+2*i), uint64(i), false, func() {})
				}
				start := task.Now()
				m.s.CongestionWait(mm.BLK_RW_ASYNC, mm.HZ/10)
				elapsed = task.Now() - start
			})
			want := tc.wantWake * devLatency
			if tc.wantWake == 0 {
				want = 100e6
			}
			if elapsed != want {
				t.Errorf("congestion_wait slept %dns, want %dns", elapsed, want)
			}
			lines := tr.Lines()
			if len(lines) != 1 {
				t.Fatalf("trace %q, want one writeback_congestion_wait", lines)
			}
			wantTrace := fmt.Sprintf("writeback_congestion_wait: usec_timeout=100000 usec_delayed=%d", want/1000)
			if !strings.HasSuffix(lines[0], wantTrace) {
				t.Errorf("trace %q, want it to end in %q", lines[0], wantTrace)
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestAsyncReadaheadDeferredOnReadCongestion checks v3.16 mm/readahead.c
// page_cache_async_readahead: a reader reaching the PG_readahead page
// clears the mark but starts no readahead while the device is congested
// for sync requests (bdi_read_congested).
func TestAsyncReadaheadDeferredOnReadCongestion(t *testing.T) {
	m := boot(t)
	m.run(t, func(task *sim.Task) {
		file, _ := m.f.Open("/xfs/r", true)
		m.f.Write(file, 0, 64*mm.PAGE_SIZE, 9, nil)
		m.f.Fsync(file, false)
		m.s.LRUAddDrainAll()
		m.s.InvalidateMappingPages(file.Inode.Mapping, 0, ^uint64(0))
		file.RA = mm.NewFileRAState()
		m.f.Read(file, 0, mm.PAGE_SIZE)
		// get_init_ra_size(1, 32) = 4 pages, async_size 3: the mark is
		// on index 1.
		if n := file.Inode.Mapping.NrPages(); n != 4 {
			t.Fatalf("first 1-page read cached %d pages, want the initial window of 4", n)
		}
		mark := m.pageAt(t, file, 1)
		if !m.s.Page(mark).Test(mm.PG_readahead) {
			t.Fatal("precondition: index 1 is not PG_readahead")
		}
		m.s.SetBdiCongested(m.xfs.BDI, mm.BLK_RW_SYNC)
		m.f.Read(file, mm.PAGE_SIZE, mm.PAGE_SIZE)
		if n := file.Inode.Mapping.NrPages(); n != 4 {
			t.Errorf("reading the PG_readahead page with the read queue congested cached %d pages, want the 4 already there", n)
		}
		if m.s.Page(mark).Test(mm.PG_readahead) {
			t.Errorf("PG_readahead still set on the mark page")
		}
		m.s.ClearBdiCongested(m.xfs.BDI, mm.BLK_RW_SYNC)
	})
	m.check(t)
}
