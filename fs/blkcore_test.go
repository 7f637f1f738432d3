// SPDX-License-Identifier: GPL-2.0-only

package fs_test

import (
	"testing"

	"pagesim/fs"
	"pagesim/mm"
	"pagesim/sim"
)

// TestPlugMergesContiguousAsyncWrites checks v3.16 block/blk-core.c
// blk_queue_bio and blk_attempt_plug_merge with block/blk-merge.c
// ll_back_merge_fn: under a plug, 1024 async one-block writes to
// contiguous blocks merge into requests of max_sectors (BLK_DEF_MAX_SECTORS,
// 1024 sectors = 128 blocks), 8 requests in all, so rl->count[BLK_RW_ASYNC]
// never comes near nr_congestion_on (113) and the queue is never
// congested; the same writes to blocks two apart merge with nothing, one
// request each, and congest it. A 128-block request takes the device's
// latency plus 127 block transfers.
func TestPlugMergesContiguousAsyncWrites(t *testing.T) {
	for _, tc := range []struct {
		name      string
		stride    uint64
		wantReqs  uint64
		congested bool
	}{
		{"contiguous", 1, 8, false},
		{"scattered", 2, 1024, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := boot(t)
			dev := m.ext4.Dev
			var start, last int64
			completed := 0
			m.run(t, func(task *sim.Task) {
				start = task.Now()
				var plug mm.BlkPlug
				m.s.BlkStartPlug(&plug)
				for i := uint64(0); i < 1024; i++ {
					dev.SubmitWrite(5000+i*tc.stride, i, false, func() {
						completed++
						last = m.sched.Now()
					})
				}
				m.s.BlkFinishPlug(&plug)
			})
			drain(t, m)
			if completed != 1024 || dev.Writes != 1024 {
				t.Fatalf("%d writes completed (device: %d), want 1024", completed, dev.Writes)
			}
			if dev.Requests != tc.wantReqs {
				t.Errorf("%d requests, want %d", dev.Requests, tc.wantReqs)
			}
			on, _ := dev.CongestionThresholds()
			if peak := dev.Peak[fs.BLK_RW_ASYNC]; (peak >= on) != tc.congested {
				t.Errorf("at most %d async requests allocated at once (congested from %d); want congested %v", peak, on, tc.congested)
			}
			if tc.stride == 1 {
				want := start + 8*(devLatency+127*fs.XferNS)
				if last != want {
					t.Errorf("last write completed at %d, want %d (8 requests of 128 blocks)", last, want)
				}
			}
			if dev.Inflight() != 0 || dev.Queued() != 0 {
				t.Errorf("after the run: %d requests allocated, %d queued", dev.Inflight(), dev.Queued())
			}
		})
	}
}

// TestWritepagesPlugMergesFileWriteback checks that v3.16
// mm/page-writeback.c generic_writepages (xfs_vm_writepages) writes a
// file under a block plug: 1024 dirty pages whose delayed blocks are
// allocated one after another go to the disk as 8 requests of
// max_sectors, and the queue never becomes congested.
func TestWritepagesPlugMergesFileWriteback(t *testing.T) {
	m := boot(t)
	dev := m.xfs.Dev
	m.run(t, func(task *sim.Task) {
		file, _ := m.f.Open("/xfs/big", true)
		m.f.Write(file, 0, 1024*mm.PAGE_SIZE, 7, nil)
		m.s.FilemapFdatawriteRange(file.Inode.Mapping, 0, mm.LLONG_MAX, mm.WB_SYNC_NONE)
		m.s.FilemapFdatawaitRange(file.Inode.Mapping, 0, mm.LLONG_MAX)
	})
	if dev.Writes != 1024 || dev.Requests != 8 {
		t.Errorf("%d block writes in %d requests, want 1024 in 8", dev.Writes, dev.Requests)
	}
	if on, _ := dev.CongestionThresholds(); dev.Peak[fs.BLK_RW_ASYNC] >= on {
		t.Errorf("%d async requests allocated at once: the queue was congested", dev.Peak[fs.BLK_RW_ASYNC])
	}
	m.check(t)
}

// TestElevatorMergesQueuedNotDispatched checks v3.16 block/elevator.c
// elv_merge (q->last_merge, the hash's back merge, cfq_merge's front merge)
// with blk_rq_merge_ok: a bio joins a request still in the elevator, at
// its back or its front, but never one the driver has started (REQ_STARTED
// is in REQ_NOMERGE_FLAGS, and dispatch takes it off the hash); and
// attempt_back_merge joins a request grown by a back merge to the next
// request of its cfq queue when they touch, freeing that one.
func TestElevatorMergesQueuedNotDispatched(t *testing.T) {
	m := boot(t)
	dev := m.ext4.Dev
	m.run(t, func(task *sim.Task) {
		step := func(block uint64, wantAllocated, wantQueued int, why string) {
			t.Helper()
			dev.SubmitWrite(block, block, false, func() {})
			if a, q := dev.RequestCount(fs.BLK_RW_ASYNC), dev.Queued(); a != wantAllocated || q != wantQueued {
				t.Errorf("write of block %d (%s): %d requests allocated, %d queued; want %d and %d",
					block, why, a, q, wantAllocated, wantQueued)
			}
		}
		step(100, 1, 0, "the idle device starts it at once")
		step(101, 2, 1, "the started request takes no bio: a new request")
		step(102, 2, 1, "back merge into [101]")
		step(104, 3, 2, "not contiguous: a new request")
		step(103, 2, 1, "back merge into [101,102], which then takes [104]")
		step(99, 3, 2, "ends where the started request begins: a new request")
		step(98, 3, 2, "front merge into [99]")
	})
	drain(t, m)
	if dev.Requests != 3 || dev.Writes != 7 {
		t.Errorf("%d writes in %d requests, want 7 in 3", dev.Writes, dev.Requests)
	}
}

// TestCfqSyncMergesOnlyOwnQueue checks v3.16 block/cfq-iosched.c
// cfq_allow_merge: a read (a sync bio) joins a queued read of the same
// task's sync queue, but not another task's read of the next block, and
// never an async request.
func TestCfqSyncMergesOnlyOwnQueue(t *testing.T) {
	m := boot(t)
	dev := m.ext4.Dev
	var a, b *sim.Task
	read := func(block uint64) { dev.SubmitRead(block, func(uint64) {}) }
	a = m.sched.Spawn("a", 0, func(task *sim.Task) {
		read(10) // dispatched
		read(20) // queued
		task.Sleep(1)
		// b has queued 21 meanwhile.
		read(22)
		if n := dev.RequestCount(fs.BLK_RW_SYNC); n != 4 {
			t.Errorf("a's read of 22 after b's read of 21: %d sync requests, want 4 (no merge into b's request)", n)
		}
		read(19)
		if n := dev.RequestCount(fs.BLK_RW_SYNC); n != 4 {
			t.Errorf("a's read of 19 before its own read of 20: %d sync requests, want 4 (front merge)", n)
		}
		dev.SubmitWrite(30, 1, false, func() {})
		read(31)
		if n := dev.RequestCount(fs.BLK_RW_SYNC); n != 5 {
			t.Errorf("a's read of 31 after its async write of 30: %d sync requests, want 5", n)
		}
		read(23)
		if n := dev.RequestCount(fs.BLK_RW_SYNC); n != 5 {
			t.Errorf("a's read of 23 after its own read of 22: %d sync requests, want 5 (back merge)", n)
		}
	})
	b = m.sched.Spawn("b", 0, func(task *sim.Task) { read(21) })
	_ = a
	_ = b
	if err := m.sched.Run(); err != nil {
		t.Fatal(err)
	}
	drain(t, m)
	if dev.Reads != 7 || dev.Requests != 6 {
		t.Errorf("%d reads in %d requests (with one write), want 7 in 6", dev.Reads, dev.Requests)
	}
}

// TestCfqAsyncMergeNeedsOwnAsyncQueue checks v3.16 cfq_allow_merge: the
// bio may join a request only of the queue cic_to_cfqq(cic, sync) names,
// and a task's cic->cfqq[0] (the shared async queue) is set up only with
// its own first async request (cfq_set_request). b, which has only read,
// cannot merge its async write into a's adjacent one; once it has a
// request of its own on the async queue, it can.
func TestCfqAsyncMergeNeedsOwnAsyncQueue(t *testing.T) {
	m := boot(t)
	dev := m.ext4.Dev
	write := func(block uint64) { dev.SubmitWrite(block, 1, false, func() {}) }
	m.sched.Spawn("a", 0, func(task *sim.Task) {
		dev.SubmitRead(10, func(uint64) {}) // dispatched
		write(40)                           // queued on the async queue
		task.Sleep(1)
	})
	m.sched.Spawn("b", 0, func(task *sim.Task) {
		dev.SubmitRead(60, func(uint64) {})
		write(41)
		if n := dev.RequestCount(fs.BLK_RW_ASYNC); n != 2 {
			t.Errorf("b's first async write, after a's: %d async requests, want 2 (no cfqq[ASYNC] yet)", n)
		}
		write(42)
		if n := dev.RequestCount(fs.BLK_RW_ASYNC); n != 2 {
			t.Errorf("b's second async write: %d async requests, want 2 (42 joins 41)", n)
		}
	})
	if err := m.sched.Run(); err != nil {
		t.Fatal(err)
	}
	drain(t, m)
}

// drain runs the machine until the device has completed everything.
func drain(t *testing.T, m *machine) {
	t.Helper()
	if err := m.sched.RunUntil(m.sched.Now() + 10e9); err != nil {
		t.Fatal(err)
	}
}

// TestGetRequestSleepsOnFullList checks v3.16 block/blk-core.c
// __get_request and get_request with freed_request: the allocation that
// fills the request list to nr_requests (128) marks it full and makes the
// task a batcher (ioc_set_batching: BLK_BATCH_REQ = 32 requests), which
// lets it allocate 31 more; the next allocation fails and the task sleeps
// in io_schedule on rl->wait until a freed request leaves the list below
// nr_requests (32 completions here), and then allocates as a batcher
// again.
func TestGetRequestSleepsOnFullList(t *testing.T) {
	m := boot(t)
	dev := m.ext4.Dev
	var start int64
	var returned []int64
	m.run(t, func(task *sim.Task) {
		start = task.Now()
		for i := uint64(0); i < 161; i++ {
			dev.SubmitWrite(10000+2*i, i, false, func() {})
			returned = append(returned, task.Now())
		}
	})
	for i, at := range returned[:159] {
		if at != start {
			t.Fatalf("allocation %d returned after %dns, want at once", i+1, at-start)
		}
	}
	if want := start + 32*devLatency; returned[159] != want {
		t.Errorf("allocation 160 returned after %dns, want %dns (32 requests freed)", returned[159]-start, want-start)
	}
	if returned[160] != returned[159] {
		t.Errorf("allocation 161 slept again for %dns: the woken task is a batcher", returned[160]-returned[159])
	}
	if dev.Peak[fs.BLK_RW_ASYNC] != 159 {
		t.Errorf("at most %d requests allocated at once, want 159 (nr_requests + BLK_BATCH_REQ - 1)", dev.Peak[fs.BLK_RW_ASYNC])
	}
}

// TestGetRequestCapsBatchersAtThreeHalves checks v3.16 block/blk-core.c
// __get_request: even a batcher with requests left in its batch gets no
// request once rl->count reaches 3/2 * nr_requests (192): the 193rd
// allocation sleeps until a freed request leaves the list below
// nr_requests (65 completions).
func TestGetRequestCapsBatchersAtThreeHalves(t *testing.T) {
	m := boot(t)
	dev := m.ext4.Dev
	var start, at193 int64
	m.run(t, func(task *sim.Task) {
		start = task.Now()
		for i := uint64(0); i < 193; i++ {
			if i == 128 {
				// The task filled the list and is a batcher; give it
				// a batch larger than the cap (within BLK_BATCH_TIME).
				m.s.CurrentIOContext(task).NrBatchRequests = 1000
			}
			dev.SubmitWrite(10000+2*i, i, false, func() {})
			if task.Now() != start && i < 192 {
				t.Fatalf("allocation %d slept", i+1)
			}
		}
		at193 = task.Now()
	})
	if want := start + 65*devLatency; at193 != want {
		t.Errorf("allocation 193 returned after %dns, want %dns", at193-start, want-start)
	}
	if dev.Peak[fs.BLK_RW_ASYNC] != 192 {
		t.Errorf("at most %d requests allocated at once, want 192", dev.Peak[fs.BLK_RW_ASYNC])
	}
}

// TestPlugFlushedOnSleep checks v3.16 kernel/sched/core.c
// sched_submit_work: a task that goes to sleep with a plug flushes it
// (blk_schedule_flush_plug), so its plugged request reaches the device
// while it sleeps; cond_resched, which does not sleep, leaves the plug
// alone.
func TestPlugFlushedOnSleep(t *testing.T) {
	m := boot(t)
	dev := m.ext4.Dev
	var start, done int64
	m.run(t, func(task *sim.Task) {
		start = task.Now()
		var plug mm.BlkPlug
		m.s.BlkStartPlug(&plug)
		for i := uint64(0); i < 4; i++ {
			dev.SubmitWrite(300+i, i, false, func() { done = m.sched.Now() })
		}
		if len(plug.List) != 1 || dev.Queued() != 0 || dev.RequestCount(fs.BLK_RW_ASYNC) != 1 {
			t.Fatalf("4 contiguous plugged writes: %d plugged requests, %d queued, %d allocated; want 1, 0, 1",
				len(plug.List), dev.Queued(), dev.RequestCount(fs.BLK_RW_ASYNC))
		}
		task.Yield()
		if len(plug.List) != 1 {
			t.Errorf("cond_resched flushed the plug")
		}
		task.Sleep(10e6)
		if len(plug.List) != 0 {
			t.Errorf("sleeping left %d requests on the plug", len(plug.List))
		}
		m.s.BlkFinishPlug(&plug)
	})
	drain(t, m)
	if want := start + m.sched.YieldCost() + devLatency + 3*fs.XferNS; done != want {
		t.Errorf("the plugged write completed at %d, want %d (dispatched when the task slept)", done-start, want-start)
	}
}

// TestPlugFlushedAtMaxRequestCount checks v3.16 block/blk-core.c
// blk_queue_bio: a plug holding BLK_MAX_REQUEST_COUNT (16) requests for
// the queue is flushed (blk_flush_plug_list) before the next request is
// added to it, so the 16 reach the elevator and the device starts one.
func TestPlugFlushedAtMaxRequestCount(t *testing.T) {
	m := boot(t)
	dev := m.ext4.Dev
	m.run(t, func(task *sim.Task) {
		var plug mm.BlkPlug
		m.s.BlkStartPlug(&plug)
		for i := uint64(0); i < 17; i++ {
			dev.SubmitWrite(400+2*i, i, false, func() {})
			if i == 15 && (len(plug.List) != 16 || dev.Queued() != 0) {
				t.Errorf("16 scattered plugged writes: %d plugged, %d queued; want 16 and 0", len(plug.List), dev.Queued())
			}
		}
		if len(plug.List) != 1 || dev.Queued() != 15 || dev.RequestCount(fs.BLK_RW_ASYNC) != 17 {
			t.Errorf("the 17th: %d plugged, %d queued, %d allocated; want 1, 15 (one started), 17",
				len(plug.List), dev.Queued(), dev.RequestCount(fs.BLK_RW_ASYNC))
		}
		m.s.BlkFinishPlug(&plug)
	})
	drain(t, m)
	if dev.Requests != 17 {
		t.Errorf("%d requests, want 17", dev.Requests)
	}
}

// TestGetRequestWokenByOwnPlugFlush checks v3.16 block/blk-core.c
// get_request: the task goes on rl->wait (prepare_to_wait_exclusive)
// before io_schedule flushes its plug, so when that flush merges a plugged
// request into a queued one and frees it (elv_attempt_insert_merge,
// __blk_put_request -> freed_request), leaving the list below
// nr_requests, the wake-up is the task's own: it does not sleep, and
// allocates as a batcher.
func TestGetRequestWokenByOwnPlugFlush(t *testing.T) {
	m := boot(t)
	dev := m.ext4.Dev
	// 126 requests from the scheduler side; block 500 stays queued.
	for i := uint64(0); i < 126; i++ {
		blk := 10000 + 2*i
		if i == 1 {
			blk = 500
		}
		dev.SubmitWrite(blk, i, false, func() {})
	}
	var before, after int64
	m.sched.Spawn("b", 0, func(task *sim.Task) {
		var plug mm.BlkPlug
		m.s.BlkStartPlug(&plug)
		dev.SubmitWrite(501, 1, false, func() {}) // request 127, plugged
		task.Yield()                              // c fills the list
		if dev.RequestCount(fs.BLK_RW_ASYNC) != 128 {
			t.Errorf("after c: %d requests, want 128", dev.RequestCount(fs.BLK_RW_ASYNC))
		}
		before = task.Now()
		dev.SubmitWrite(900, 2, false, func() {})
		after = task.Now()
		if len(plug.List) != 1 || dev.RequestCount(fs.BLK_RW_ASYNC) != 128 {
			t.Errorf("after the write of 900: %d plugged, %d requests; want 1 and 128 (501 merged into 500)",
				len(plug.List), dev.RequestCount(fs.BLK_RW_ASYNC))
		}
		m.s.BlkFinishPlug(&plug)
	})
	m.sched.Spawn("c", 0, func(task *sim.Task) {
		dev.SubmitWrite(800, 3, false, func() {}) // request 128: full
	})
	if err := m.sched.Run(); err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("the write of 900 slept %dns, want none (woken by its own plug flush)", after-before)
	}
	drain(t, m)
}
