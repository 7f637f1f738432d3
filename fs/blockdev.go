// SPDX-License-Identifier: GPL-2.0-only

package fs

import (
	"pagesim/mm"
	"pagesim/sim"
)

// BlockDevice models a disk and its request queue (block/): requests are
// served one after another, each taking the device's latency, and complete
// through a timer on the machine's scheduler, so I/O takes virtual time and
// pages stay locked or under writeback meanwhile. The queue's root request
// list counts allocated requests per direction (rl->count[], READ and
// REQ_SYNC writes in BLK_RW_SYNC, other writes in BLK_RW_ASYNC) and marks
// the backing device congested as v3.16's does (get_request, freed_request,
// blk_queue_congestion_threshold).
//
// Model: no elevator, no request merging, no plugging; one request per
// buffer (one block, one page with 4 KiB blocks). The request list has no
// upper limit: a submitter never sleeps in get_request for a free request
// (the kernel's rl->wait at nr_requests, or 3/2 of it for batchers).
type BlockDevice struct {
	Name string
	// LatencyNS is the time one request takes once the device starts it.
	LatencyNS int64
	BDI       *mm.BackingDevInfo

	sys       *mm.System
	sched     *sim.Scheduler
	blocks    map[uint64]uint64 // block number -> data token written there
	busyUntil int64
	// count is the root request list's rl->count[BLK_RW_ASYNC, BLK_RW_SYNC]:
	// requests allocated and not yet freed.
	count [2]int
	// nrRequests is q->nr_requests; nrCongestionOn and nrCongestionOff are
	// the thresholds blk_queue_congestion_threshold derives from it.
	nrRequests                      int
	nrCongestionOn, nrCongestionOff int
	// Reads and Writes count completed requests.
	Reads, Writes uint64
}

// Request directions, as the congestion state is kept (mm.BLK_RW_*).
const (
	BLK_RW_ASYNC = mm.BLK_RW_ASYNC
	BLK_RW_SYNC  = mm.BLK_RW_SYNC
)

// BLKDEV_MAX_RQ is the default q->nr_requests (include/linux/blkdev.h).
const BLKDEV_MAX_RQ = 128

// NewBlockDevice makes a device with its backing_dev_info and a request
// queue of BLKDEV_MAX_RQ requests (blk_init_allocated_queue ->
// blk_queue_make_request sets nr_requests and the congestion thresholds).
// sys is the machine whose congestion state (nr_bdi_congested, the
// congestion wait queues) the device's queue reports to.
func NewBlockDevice(name string, latencyNS int64, sched *sim.Scheduler, sys *mm.System) *BlockDevice {
	d := &BlockDevice{
		Name:       name,
		LatencyNS:  latencyNS,
		BDI:        &mm.BackingDevInfo{Name: name},
		sys:        sys,
		sched:      sched,
		blocks:     map[uint64]uint64{},
		nrRequests: BLKDEV_MAX_RQ,
	}
	d.blkQueueCongestionThreshold()
	return d
}

// blkQueueCongestionThreshold is blk_queue_congestion_threshold()
// (block/blk-core.c): congested from nr_requests - nr_requests/8 + 1
// allocated requests (at most nr_requests), uncongested again below
// nr_requests - nr_requests/8 - nr_requests/16 - 1 (at least 1). For
// BLKDEV_MAX_RQ that is 113 and 103.
func (d *BlockDevice) blkQueueCongestionThreshold() {
	on := d.nrRequests - d.nrRequests/8 + 1
	if on > d.nrRequests {
		on = d.nrRequests
	}
	d.nrCongestionOn = on
	off := d.nrRequests - d.nrRequests/8 - d.nrRequests/16 - 1
	if off < 1 {
		off = 1
	}
	d.nrCongestionOff = off
}

// CongestionThresholds returns the queue's nr_congestion_on and
// nr_congestion_off.
func (d *BlockDevice) CongestionThresholds() (on, off int) {
	return d.nrCongestionOn, d.nrCongestionOff
}

// setCongested is blk_set_queue_congested(): set_bdi_congested on the
// queue's backing device.
func (d *BlockDevice) setCongested(sync int) {
	if d.sys != nil {
		d.sys.SetBdiCongested(d.BDI, sync)
	} else {
		d.BDI.Congested[sync] = true
	}
}

// clearCongested is blk_clear_queue_congested(): clear_bdi_congested,
// which also wakes the congestion waiters.
func (d *BlockDevice) clearCongested(sync int) {
	if d.sys != nil {
		d.sys.ClearBdiCongested(d.BDI, sync)
	} else {
		d.BDI.Congested[sync] = false
	}
}

// getRequest is __get_request()'s accounting (block/blk-core.c): when
// this allocation brings the list to the on-threshold, the queue is
// congested in that direction; then the request is counted.
//
// Model: the list never fills (see BlockDevice), so rl->full, batching
// and the starved flags do not arise.
func (d *BlockDevice) getRequest(sync int) {
	if d.count[sync]+1 >= d.nrCongestionOn {
		d.setCongested(sync)
	}
	d.count[sync]++
}

// freedRequest is freed_request() and __freed_request() (block/blk-core.c):
// the request is uncounted, and while the list is below the off-threshold
// every freed request clears the queue's congestion (waking the
// congestion waiters).
func (d *BlockDevice) freedRequest(sync int) {
	d.count[sync]--
	if d.count[sync] < d.nrCongestionOff {
		d.clearCongested(sync)
	}
}

// submit queues one request; done runs at its completion, as the bio's
// end_io runs (blk_update_request) before the request is freed
// (blk_finish_request -> __blk_put_request -> freed_request).
func (d *BlockDevice) submit(sync int, done func()) {
	now := d.sched.Now()
	start := max(now, d.busyUntil)
	d.busyUntil = start + d.LatencyNS
	d.getRequest(sync)
	d.sched.At(d.busyUntil, func() {
		done()
		// blk_finish_request: the bios have ended; laptop mode hears
		// of the completion before the request is freed.
		d.sys.LaptopIOCompletion(d.BDI)
		d.freedRequest(sync)
	})
}

// SubmitWrite writes token to block; done runs when the write completes.
// The device takes the data at submission, as DMA does.
func (d *BlockDevice) SubmitWrite(block, token uint64, sync bool, done func()) {
	d.blocks[block] = token
	d.submit(b2i(sync), func() {
		d.Writes++
		done()
	})
}

// SubmitRead reads block; done gets its token when the read completes.
func (d *BlockDevice) SubmitRead(block uint64, done func(token uint64)) {
	d.submit(BLK_RW_SYNC, func() {
		d.Reads++
		done(d.blocks[block])
	})
}

// String is the device's path, as swapon(8) names it.
func (d *BlockDevice) String() string { return "/dev/" + d.Name }

// Inflight reports the requests not yet completed.
func (d *BlockDevice) Inflight() int { return d.count[0] + d.count[1] }

// RequestCount is rl->count[sync] of the queue's root request list.
func (d *BlockDevice) RequestCount(sync int) int { return d.count[sync] }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
