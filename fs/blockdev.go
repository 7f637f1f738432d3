// SPDX-License-Identifier: GPL-2.0-only

package fs

import (
	"pagesim/mm"
	"pagesim/sim"
)

// BlockDevice models a disk and its request queue (block/): requests are
// served one after another, each taking the device's latency, and complete
// through a timer on the machine's scheduler, so I/O takes virtual time and
// pages stay locked or under writeback meanwhile. The queue marks its
// backing device congested as the kernel's does: above 7/8 of nr_requests
// in flight, and clear again below 13/16 (blk_queue_congestion_threshold).
//
// Model: no elevator, no request merging, no plugging; one request per
// buffer (one block, one page with 4 KiB blocks).
type BlockDevice struct {
	Name string
	// LatencyNS is the time one request takes once the device starts it.
	LatencyNS int64
	BDI       *mm.BackingDevInfo

	sched      *sim.Scheduler
	blocks     map[uint64]uint64 // block number -> data token written there
	busyUntil  int64
	inflight   [2]int // [BLK_RW_ASYNC, BLK_RW_SYNC]
	nrRequests int
	// Reads and Writes count completed requests.
	Reads, Writes uint64
	// Sys, when set (a filesystem's disk), hears of each completed
	// request: blk_finish_request's laptop_io_completion.
	Sys *mm.System
}

// Request directions, as the congestion state is kept.
const (
	BLK_RW_ASYNC = 0
	BLK_RW_SYNC  = 1
)

// NewBlockDevice makes a device with its backing_dev_info.
func NewBlockDevice(name string, latencyNS int64, sched *sim.Scheduler) *BlockDevice {
	return &BlockDevice{
		Name:       name,
		LatencyNS:  latencyNS,
		BDI:        &mm.BackingDevInfo{Name: name},
		sched:      sched,
		blocks:     map[uint64]uint64{},
		nrRequests: 128, // BLKDEV_MAX_RQ
	}
}

func (d *BlockDevice) congestionOn() int  { return d.nrRequests - d.nrRequests/8 + 1 }
func (d *BlockDevice) congestionOff() int { return d.nrRequests - d.nrRequests/8 - d.nrRequests/16 - 1 }

// submit queues one request; done runs at its completion.
func (d *BlockDevice) submit(sync int, done func()) {
	now := d.sched.Now()
	start := max(now, d.busyUntil)
	d.busyUntil = start + d.LatencyNS
	d.inflight[sync]++
	if d.inflight[sync] >= d.congestionOn() {
		d.BDI.Congested[sync] = true
	}
	d.sched.At(d.busyUntil, func() {
		d.inflight[sync]--
		if d.inflight[sync] < d.congestionOff() {
			d.BDI.Congested[sync] = false
		}
		if d.Sys != nil {
			d.Sys.LaptopIOCompletion(d.BDI)
		}
		done()
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
func (d *BlockDevice) Inflight() int { return d.inflight[0] + d.inflight[1] }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
