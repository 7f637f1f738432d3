// SPDX-License-Identifier: GPL-2.0-only

package fs

import (
	"sync/atomic"

	"pagesim/mm"
	"pagesim/sim"
)

// BlockDevice models a disk and its request queue (block/): bios are
// merged into requests as v3.16's legacy request path does it
// (blk_queue_bio: the submitting task's plug first, then the elevator's
// back and front merges, up to max_sectors), a bio that merges with
// nothing allocates a request from the queue's root request list
// (get_request: rl->count[] per direction, READ and REQ_SYNC writes in
// BLK_RW_SYNC, other writes in BLK_RW_ASYNC; congestion at the
// blk_queue_congestion_threshold marks; the allocating task sleeps on a
// full list), and the device serves the requests one after another, each
// taking a per-request cost plus a per-block transfer time, completing
// through a timer on the machine's scheduler, so I/O takes virtual time
// and pages stay locked or under writeback meanwhile.
//
// The device is a SATA disk on libata (AHCI), the sd device the kernel
// names sda, sdb: a SCSI request_fn queue (not blk-mq, which has no
// request lists and never marks a backing device congested in v3.16).
// libata's ata_scsi_dev_config gives an LBA48 disk max_hw_sectors =
// ATA_MAX_SECTORS_LBA48 (65535), so blk_queue_max_hw_sectors leaves
// max_sectors at BLK_DEF_MAX_SECTORS (1024 sectors, 512 KiB, 128 blocks);
// AHCI_MAX_SG (168) segments is more than a 128-block request needs. The
// elevator is cfq, v3.16's CONFIG_DEFAULT_IOSCHED.
//
// Model: the driver takes one request at a time (a queue depth of 1) and
// the elevator hands them out in the order they were queued: cfq's
// service trees, time slices, idling and its quantum of requests in the
// driver are not modeled, so which requests are still in the elevator
// (mergeable) when a bio arrives follows the device's pace, not cfq's
// dispatch choices. For async writes cfq_may_dispatch comes close to
// this: it lets the async queue one request in the driver while sync
// I/O completed within the last sync slice (100 ms) and none while sync
// I/O is in flight; with NCQ and only one queue busy, v3.16 would start
// more requests at once and merge less than the model does. All tasks have the same I/O priority and are in the
// root blkcg, so there is one async cfq queue and each task's sync queue
// is its own; elv_may_queue is always ELV_MQUEUE_MAY (cfq's
// must_alloc_slice needs idling).
type BlockDevice struct {
	Name string
	// LatencyNS is the time a one-block request takes once the device
	// starts it; each further block of a merged request adds the
	// transfer time of one block (XferNS).
	LatencyNS int64
	BDI       *mm.BackingDevInfo

	sys    *mm.System
	sched  *sim.Scheduler
	blocks map[uint64]uint64 // block number -> data token written there
	id     int
	// count is the root request list's rl->count[BLK_RW_ASYNC, BLK_RW_SYNC]:
	// requests allocated and not yet freed.
	count [2]int
	// full is blk_rl_full: set when an allocation fills the list to
	// nr_requests, cleared when a freed request leaves room.
	full [2]bool
	// wait is rl->wait[]: tasks sleeping in get_request for a request;
	// wakeMissed counts the wake-ups freed_request gave with nobody
	// waiting (see getRequest).
	wait       [2]sim.WaitQueue
	wakeMissed [2]uint64
	// nrRequests is q->nr_requests; nrCongestionOn and nrCongestionOff are
	// the thresholds blk_queue_congestion_threshold derives from it.
	nrRequests                      int
	nrCongestionOn, nrCongestionOff int
	// queue holds the requests in the elevator (inserted, not yet
	// dispatched), in the order the driver will get them; lastMerge is
	// q->last_merge; inflight is the request the device is serving.
	queue     []*request
	lastMerge *request
	inflight  *request
	// kblockd says a queue run is pending on kblockd
	// (blk_run_queue_async).
	kblockd bool
	// cic holds, per task, which of its cfq_io_cq's queues for this
	// device are set up, [BLK_RW_ASYNC] and [BLK_RW_SYNC]: cfq_set_request
	// sets cic->cfqq[sync] with the task's first request of that
	// direction, and cfq lets a bio merge only into a request of the
	// queue cic_to_cfqq(cic, sync) names (cfq_allow_merge,
	// cfq_find_rq_fmerge), so none before.
	cic map[*sim.Task]*[2]bool
	// Reads and Writes count completed bios (one block each); Requests
	// counts completed requests; Peak is the most requests allocated at
	// once in each direction (rl->count's high-water mark).
	Reads, Writes, Requests uint64
	Peak                    [2]int
}

// XferNS is the time the modeled disk takes to transfer one 4 KiB block
// within a request: 8 µs, about 500 MB/s, the sequential rate of a 2014
// SATA SSD (SATA 6 Gb/s carries at most 600 MB/s; drives of the time
// were rated 500-540 MB/s). With kernel.DefaultDiskLatencyNS (100 µs for
// a 4 KiB request, that drive's queue-depth-1 random access) a 512 KiB
// request (max_sectors) takes 100 + 127*8 = 1116 µs, 470 MB/s. A device
// whose LatencyNS is below XferNS transfers a block in LatencyNS.
const XferNS = 8e3

// Block-layer limits (include/linux/blkdev.h, block/blk.h).
const (
	// BLK_DEF_MAX_SECTORS is the default max_sectors: 512 KiB.
	BLK_DEF_MAX_SECTORS = 1024
	// BLK_MAX_REQUEST_COUNT is how many requests for one queue a plug
	// gathers before blk_queue_bio flushes it.
	BLK_MAX_REQUEST_COUNT = 16
	// BLK_BATCH_TIME (HZ/50 jiffies) and BLK_BATCH_REQ bound the batch a
	// task woken from a full request list may allocate.
	BLK_BATCH_TIME = mm.HZ / 50
	BLK_BATCH_REQ  = 32
)

// maxBlocks is max_sectors in blocks.
const maxBlocks = BLK_DEF_MAX_SECTORS * 512 / BlockSize

// bio is a struct bio of one block.
type bio struct {
	block uint64
	write bool
	// sync is rw_is_sync / cfq_bio_sync: a read or a REQ_SYNC write.
	sync bool
	done func(token uint64)
}

// Request states.
const (
	rqPlugged = iota
	rqQueued
	rqDispatched
	rqFreed
)

// request is a struct request: contiguous bios of one direction.
type request struct {
	q     *BlockDevice
	pos   uint64 // blk_rq_pos, in blocks
	nr    uint64 // blk_rq_sectors, in blocks
	write bool
	// sync is rw_is_sync of the request's flags: its rl->count index
	// and whether it is in a sync cfq queue.
	sync bool
	// cfqq is the owner of the request's cfq queue: the allocating task
	// for a sync request, nil for the shared async queue.
	cfqq *sim.Task
	// noMerge is REQ_NOMERGE: a merge found it full.
	noMerge bool
	state   int
	bios    []*bio
}

func (rq *request) PlugQueue() mm.PlugQueue { return rq.q }
func (rq *request) PlugPos() uint64         { return rq.pos }
func (rq *request) end() uint64             { return rq.pos + rq.nr }

// deviceIDs numbers the devices in the order they are made: the plug
// sorts its requests by queue in that order, as the kernel's list_sort
// orders them by the queues' addresses.
var deviceIDs atomic.Int64

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
		id:         int(deviceIDs.Add(1)),
		cic:        map[*sim.Task]*[2]bool{},
	}
	d.wait[BLK_RW_ASYNC].Name = "rl->wait[BLK_RW_ASYNC]:" + name
	d.wait[BLK_RW_SYNC].Name = "rl->wait[BLK_RW_SYNC]:" + name
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

// cover is System.Cover: a coverage site of the block layer's decisions.
func (d *BlockDevice) cover(site string) {
	if d.sys != nil {
		d.sys.Cover(site)
	}
}

// current is the task submitting (nil on the scheduler side).
func (d *BlockDevice) current() *sim.Task {
	if d.sched == nil {
		return nil
	}
	return d.sched.Current()
}

// jiffies is the machine's jiffies.
func (d *BlockDevice) jiffies() int64 {
	if d.sched == nil {
		return 0
	}
	return d.sched.Now() / (1e9 / mm.HZ)
}

// iocBatching is ioc_batching() (block/blk-core.c): the task may allocate
// past a full list while it has batch requests left and is within
// BLK_BATCH_TIME of its wakeup, or has not used any yet.
func (d *BlockDevice) iocBatching(ioc *mm.IOContext) bool {
	if ioc == nil {
		return false
	}
	return ioc.NrBatchRequests == BLK_BATCH_REQ ||
		(ioc.NrBatchRequests > 0 && d.jiffies()-(ioc.LastWaited+BLK_BATCH_TIME) < 0)
}

// iocSetBatching is ioc_set_batching(): make the task a batcher, unless
// it is one.
func (d *BlockDevice) iocSetBatching(ioc *mm.IOContext) {
	if ioc == nil || d.iocBatching(ioc) {
		return
	}
	ioc.NrBatchRequests = BLK_BATCH_REQ
	ioc.LastWaited = d.jiffies()
}

// ioContext is rq_ioc(bio): the submitting task's io_context.
func (d *BlockDevice) ioContext(t *sim.Task) *mm.IOContext {
	if d.sys == nil || t == nil {
		return nil
	}
	return d.sys.CurrentIOContext(t)
}

// __getRequest is __get_request() (block/blk-core.c): allocate a request
// of direction sync for task t, or fail (nil). When this allocation brings
// the list to the on-threshold the queue is congested in that direction;
// when it brings it to nr_requests the list is full, and the allocating
// task becomes a batcher, while later allocations fail for tasks that are
// not batching; and nothing is allocated past 3/2 of nr_requests. The
// task gets its cfq_io_cq for the queue.
func (d *BlockDevice) __getRequest(sync int, t *sim.Task) *request {
	ioc := d.ioContext(t)
	if d.count[sync]+1 >= d.nrCongestionOn {
		if d.count[sync]+1 >= d.nrRequests {
			if !d.full[sync] {
				d.cover("__get_request:rl_full")
				d.iocSetBatching(ioc)
				d.full[sync] = true
			} else if !d.iocBatching(ioc) {
				d.cover("__get_request:not_batching")
				return nil
			}
		}
		d.setCongested(sync)
	}
	if d.count[sync] >= 3*d.nrRequests/2 {
		d.cover("__get_request:batch_limit")
		return nil
	}
	d.count[sync]++
	d.Peak[sync] = max(d.Peak[sync], d.count[sync])
	if t != nil {
		c := d.cic[t]
		if c == nil {
			c = new([2]bool)
			d.cic[t] = c
		}
		c[sync] = true
	}
	if d.iocBatching(ioc) {
		ioc.NrBatchRequests--
	}
	rq := &request{q: d, sync: sync == BLK_RW_SYNC}
	if rq.sync {
		rq.cfqq = t
	}
	return rq
}

// getRequest is get_request() (block/blk-core.c) with GFP_NOIO: retry
// __get_request, sleeping on rl->wait[sync] (exclusive, io_schedule,
// which flushes the task's plug first) until a freed request wakes the
// task, which then is a batcher.
//
// Model: on the scheduler side (no task: tests driving the device
// directly) nothing can sleep, and the request is allocated past the
// limit. The task goes on rl->wait after io_schedule's plug flush rather
// than before it, so a wake-up that flush gives (a plugged request merged
// into a queued one and freed, leaving room, with nobody else waiting)
// is kept for it: it does not sleep.
func (d *BlockDevice) getRequest(sync int, t *sim.Task) *request {
	for {
		if rq := d.__getRequest(sync, t); rq != nil {
			return rq
		}
		if t == nil {
			d.count[sync]++
			d.Peak[sync] = max(d.Peak[sync], d.count[sync])
			return &request{q: d, sync: sync == BLK_RW_SYNC}
		}
		missed := d.wakeMissed[sync]
		if plug := mm.CurrentPlug(d.sched); plug != nil {
			mm.BlkFlushPlugList(plug, false)
		}
		d.cover("get_request:sleep")
		if d.wakeMissed[sync] == missed {
			t.Wait(&d.wait[sync])
		}
		d.iocSetBatching(d.ioContext(t))
	}
}

// freedRequest is freed_request() and __freed_request() (block/blk-core.c):
// the request is uncounted; while the list is below the off-threshold
// every freed request clears the queue's congestion (waking the
// congestion waiters); and while it is below nr_requests one task
// sleeping for a request is woken and the list is no longer full.
//
// Model: rl->starved never arises (request allocation cannot fail for
// memory), so the other direction is not looked at.
func (d *BlockDevice) freedRequest(sync int) {
	d.count[sync]--
	if d.count[sync] < d.nrCongestionOff {
		d.clearCongested(sync)
	}
	if d.count[sync]+1 <= d.nrRequests {
		if !d.wait[sync].WakeOne() {
			d.wakeMissed[sync]++
		}
		d.full[sync] = false
	}
}

// putRequest is __blk_put_request(): a request the block layer allocated
// is freed.
func (d *BlockDevice) putRequest(rq *request) {
	rq.state = rqFreed
	rq.bios = nil
	d.freedRequest(b2i(rq.sync))
}

// blkRqMergeOk is blk_rq_merge_ok() (block/blk-merge.c): rq can take
// bio: it is mergeable (not REQ_NOMERGE, not started) and of bio's data
// direction.
func blkRqMergeOk(rq *request, b *bio) bool {
	return !rq.noMerge && rq.state != rqDispatched && rq.write == b.write
}

// cfqAllowMerge is cfq_allow_merge() (block/cfq-iosched.c): a sync bio
// never merges into an async request, and a bio merges only into a
// request of the cfq queue it would be queued on: the submitting task's
// sync queue, or the async queue; a task without a cfq_io_cq for the
// queue merges with nothing.
func (d *BlockDevice) cfqAllowMerge(rq *request, b *bio, t *sim.Task) bool {
	if b.sync && !rq.sync {
		return false
	}
	if !d.hasCfqq(t, b.sync) {
		return false
	}
	return rq.sync == b.sync && (!b.sync || rq.cfqq == t)
}

// hasCfqq is cic_to_cfqq(cfq_cic_lookup(current->io_context), sync) !=
// NULL: t has had a request of that direction on this queue.
func (d *BlockDevice) hasCfqq(t *sim.Task, sync bool) bool {
	if t == nil {
		return false
	}
	c := d.cic[t]
	return c != nil && c[b2i(sync)]
}

// elvRqMergeOk is elv_rq_merge_ok() (block/elevator.c).
func (d *BlockDevice) elvRqMergeOk(rq *request, b *bio, t *sim.Task) bool {
	return blkRqMergeOk(rq, b) && d.cfqAllowMerge(rq, b, t)
}

// Merge kinds (ELEVATOR_*_MERGE).
const (
	elevatorNoMerge = iota
	elevatorFrontMerge
	elevatorBackMerge
)

// blkTryMerge is blk_try_merge(): bio starts where rq ends (back) or
// ends where rq starts (front).
func blkTryMerge(rq *request, b *bio) int {
	switch {
	case rq.end() == b.block:
		return elevatorBackMerge
	case rq.pos-1 == b.block:
		return elevatorFrontMerge
	}
	return elevatorNoMerge
}

// llMergeFn is ll_back_merge_fn() and ll_front_merge_fn(): a request
// that would grow past max_sectors is marked REQ_NOMERGE (and stops
// being q->last_merge).
//
// Model: a bio is one block, and AHCI's 168 segments are more than
// max_sectors' 128 blocks need, so only the size limits a merge.
func (d *BlockDevice) llMergeFn(rq *request) bool {
	if rq.nr+1 > maxBlocks {
		rq.noMerge = true
		if d.lastMerge == rq {
			d.lastMerge = nil
		}
		return false
	}
	return true
}

// bioAttemptBackMerge is bio_attempt_back_merge().
func (d *BlockDevice) bioAttemptBackMerge(rq *request, b *bio) bool {
	if !d.llMergeFn(rq) {
		return false
	}
	rq.bios = append(rq.bios, b)
	rq.nr++
	return true
}

// bioAttemptFrontMerge is bio_attempt_front_merge().
func (d *BlockDevice) bioAttemptFrontMerge(rq *request, b *bio) bool {
	if !d.llMergeFn(rq) {
		return false
	}
	rq.bios = append([]*bio{b}, rq.bios...)
	rq.pos--
	rq.nr++
	return true
}

// blkAttemptPlugMerge is blk_attempt_plug_merge() (block/blk-core.c):
// try the plugged requests, the most recent first, for one of this queue
// that bio can join at either end (the elevator is not asked); count
// this queue's plugged requests on the way.
func (d *BlockDevice) blkAttemptPlugMerge(plug *mm.BlkPlug, b *bio) (merged bool, requestCount int) {
	for i := len(plug.List) - 1; i >= 0; i-- {
		rq, ok := plug.List[i].(*request)
		if !ok || rq.q != d {
			continue
		}
		requestCount++
		if !blkRqMergeOk(rq, b) {
			continue
		}
		switch blkTryMerge(rq, b) {
		case elevatorBackMerge:
			if d.bioAttemptBackMerge(rq, b) {
				return true, requestCount
			}
		case elevatorFrontMerge:
			if d.bioAttemptFrontMerge(rq, b) {
				return true, requestCount
			}
		}
	}
	return false, requestCount
}

// elvRqhashFind is elv_rqhash_find(): a queued, mergeable request that
// ends where offset starts (the most recently inserted first, as the
// hash chain has them).
func (d *BlockDevice) elvRqhashFind(offset uint64) *request {
	for i := len(d.queue) - 1; i >= 0; i-- {
		if rq := d.queue[i]; !rq.noMerge && rq.end() == offset {
			return rq
		}
	}
	return nil
}

// sameCfqq says whether a and b are in the same cfq queue.
func sameCfqq(a, b *request) bool { return a.sync == b.sync && a.cfqq == b.cfqq }

// elvLatterRequest is elv_latter_request() with cfq's
// elv_rb_latter_request: the next request by position in rq's cfq queue.
func (d *BlockDevice) elvLatterRequest(rq *request) *request {
	var next *request
	for _, r := range d.queue {
		if r != rq && sameCfqq(r, rq) && r.pos > rq.pos && (next == nil || r.pos < next.pos) {
			next = r
		}
	}
	return next
}

// elvFormerRequest is elv_former_request() with cfq's
// elv_rb_former_request: the previous request by position in rq's cfq
// queue.
func (d *BlockDevice) elvFormerRequest(rq *request) *request {
	var prev *request
	for _, r := range d.queue {
		if r != rq && sameCfqq(r, rq) && r.pos < rq.pos && (prev == nil || r.pos > prev.pos) {
			prev = r
		}
	}
	return prev
}

// elvMerge is elv_merge() (block/elevator.c) with cfq's cfq_merge: the
// one-hit cache q->last_merge at either end, then the hash for a request
// bio can be appended to, then (cfq_find_rq_fmerge) a request of the
// task's cfq queue that bio can be put in front of.
func (d *BlockDevice) elvMerge(b *bio, t *sim.Task) (*request, int) {
	if lm := d.lastMerge; lm != nil && d.elvRqMergeOk(lm, b, t) {
		if k := blkTryMerge(lm, b); k != elevatorNoMerge {
			return lm, k
		}
	}
	if rq := d.elvRqhashFind(b.block); rq != nil && d.elvRqMergeOk(rq, b, t) {
		return rq, elevatorBackMerge
	}
	if !d.hasCfqq(t, b.sync) {
		return nil, elevatorNoMerge
	}
	var owner *sim.Task
	if b.sync {
		owner = t
	}
	for _, rq := range d.queue {
		if rq.sync == b.sync && rq.cfqq == owner && rq.pos == b.block+1 {
			if d.elvRqMergeOk(rq, b, t) {
				return rq, elevatorFrontMerge
			}
			break
		}
	}
	return nil, elevatorNoMerge
}

// attemptMerge is attempt_merge() (block/blk-merge.c): append next to
// req when next starts where req ends, both are mergeable and of one
// direction, and together they fit max_sectors; next leaves the
// elevator (cfq_merged_requests: req takes next's place in the FIFO if
// next was queued first in the same cfq queue), req becomes
// q->last_merge, and next is freed.
func (d *BlockDevice) attemptMerge(req, next *request) bool {
	if req.noMerge || next.noMerge || req.state == rqDispatched || next.state == rqDispatched {
		return false
	}
	if req.end() != next.pos || req.write != next.write {
		return false
	}
	if req.nr+next.nr > maxBlocks {
		return false
	}
	d.cover("attempt_merge")
	req.bios = append(req.bios, next.bios...)
	req.nr += next.nr
	if next.state == rqQueued {
		ni := d.queueIndex(next)
		if ri := d.queueIndex(req); ni < ri && sameCfqq(req, next) {
			d.queue[ni] = req
			d.queue = append(d.queue[:ri], d.queue[ri+1:]...)
		} else {
			d.queue = append(d.queue[:ni], d.queue[ni+1:]...)
		}
	}
	d.lastMerge = req
	d.putRequest(next)
	return true
}

// queueIndex is rq's place in the elevator.
func (d *BlockDevice) queueIndex(rq *request) int {
	for i, r := range d.queue {
		if r == rq {
			return i
		}
	}
	panic("fs: request not in the elevator")
}

// elvAddSort is __elv_add_request(q, rq, ELEVATOR_INSERT_SORT): the
// request enters the elevator (and, mergeable, the hash; q->last_merge
// if there is none).
func (d *BlockDevice) elvAddSort(rq *request) {
	rq.state = rqQueued
	d.queue = append(d.queue, rq)
	if !rq.noMerge && d.lastMerge == nil {
		d.lastMerge = rq
	}
}

// InsertPlugged is __elv_add_request(q, rq, ELEVATOR_INSERT_SORT_MERGE)
// for a request from a plug: elv_attempt_insert_merge appends it to
// q->last_merge, or to a queued request ending where it starts, and then
// that one to another, as long as they merge; a request that merged is
// freed, one that did not is inserted (ELEVATOR_INSERT_SORT).
func (d *BlockDevice) InsertPlugged(p mm.PlugRequest) {
	rq := p.(*request)
	if d.lastMerge != nil && d.attemptMerge(d.lastMerge, rq) {
		return
	}
	merged := false
	for {
		r := d.elvRqhashFind(rq.pos)
		if r == nil || !d.attemptMerge(r, rq) {
			break
		}
		merged = true
		rq = r
	}
	if merged {
		return
	}
	d.elvAddSort(rq)
}

// PlugQueueID orders queues for the plug's sort.
func (d *BlockDevice) PlugQueueID() int { return d.id }

// Unplugged is queue_unplugged(): run the queue now, or, from schedule,
// on kblockd (blk_run_queue_async: the work runs as soon as it can).
func (d *BlockDevice) Unplugged(fromSchedule bool) {
	if !fromSchedule || d.sched == nil {
		d.runQueue()
		return
	}
	if d.kblockd {
		return
	}
	d.kblockd = true
	d.sched.At(d.sched.Now(), func() {
		d.kblockd = false
		d.runQueue()
	})
}

// cost is the time the device takes for a request of nr blocks.
func (d *BlockDevice) cost(nr uint64) int64 {
	return d.LatencyNS + int64(nr-1)*min(XferNS, d.LatencyNS)
}

// runQueue is __blk_run_queue() with the driver's request_fn: an idle
// device starts the first request in the elevator, which stops being
// mergeable (REQ_STARTED; off the hash and q->last_merge). Its bios end
// when it completes, in position order (blk_update_request), then it is
// freed (blk_finish_request -> __blk_put_request -> freed_request) and
// the queue runs again (scsi_run_queue).
func (d *BlockDevice) runQueue() {
	if d.inflight != nil || len(d.queue) == 0 {
		return
	}
	rq := d.queue[0]
	d.queue[0] = nil
	d.queue = d.queue[1:]
	if d.lastMerge == rq {
		d.lastMerge = nil
	}
	rq.state = rqDispatched
	d.inflight = rq
	d.sched.At(d.sched.Now()+d.cost(rq.nr), func() {
		d.inflight = nil
		d.Requests++
		for _, b := range rq.bios {
			if b.write {
				d.Writes++
			} else {
				d.Reads++
			}
			b.done(d.blocks[b.block])
		}
		// blk_finish_request: laptop mode hears of the completion
		// before the request is freed.
		if d.sys != nil {
			d.sys.LaptopIOCompletion(d.BDI)
		}
		d.putRequest(rq)
		d.runQueue()
	})
}

// blkQueueBio is blk_queue_bio() (block/blk-core.c) for a bio of one
// block: merge it into a plugged request, or into a queued one through
// the elevator (then try to merge that request with its neighbour:
// attempt_back_merge, attempt_front_merge); else allocate a request
// (get_request, which may sleep) and put it on the task's plug (flushing
// the plug first when it holds BLK_MAX_REQUEST_COUNT requests for this
// queue) or into the elevator, and run the queue.
func (d *BlockDevice) blkQueueBio(b *bio) {
	t := d.current()
	requestCount := 0
	if plug := mm.CurrentPlug(d.sched); plug != nil {
		var merged bool
		if merged, requestCount = d.blkAttemptPlugMerge(plug, b); merged {
			d.cover("blk_queue_bio:plug_merge")
			return
		}
	}
	switch rq, k := d.elvMerge(b, t); k {
	case elevatorBackMerge:
		if d.bioAttemptBackMerge(rq, b) {
			d.cover("blk_queue_bio:back_merge")
			if !d.attemptBackMerge(rq) {
				d.lastMerge = rq // elv_merged_request
			}
			return
		}
	case elevatorFrontMerge:
		if d.bioAttemptFrontMerge(rq, b) {
			d.cover("blk_queue_bio:front_merge")
			if !d.attemptFrontMerge(rq) {
				d.lastMerge = rq
			}
			return
		}
	}
	d.cover("blk_queue_bio:get_rq")
	rq := d.getRequest(b2i(b.sync), t)
	// init_request_from_bio
	rq.pos, rq.nr, rq.write = b.block, 1, b.write
	rq.bios = append(rq.bios, b)
	if plug := mm.CurrentPlug(d.sched); plug != nil {
		if requestCount >= BLK_MAX_REQUEST_COUNT {
			d.cover("blk_queue_bio:flush_plug")
			mm.BlkFlushPlugList(plug, false)
		}
		rq.state = rqPlugged
		plug.List = append(plug.List, rq)
		return
	}
	d.elvAddSort(rq)
	d.runQueue()
}

// attemptBackMerge is attempt_back_merge(): merge rq with the next
// request of its cfq queue.
func (d *BlockDevice) attemptBackMerge(rq *request) bool {
	if next := d.elvLatterRequest(rq); next != nil {
		return d.attemptMerge(rq, next)
	}
	return false
}

// attemptFrontMerge is attempt_front_merge(): merge the previous request
// of rq's cfq queue with rq.
func (d *BlockDevice) attemptFrontMerge(rq *request) bool {
	if prev := d.elvFormerRequest(rq); prev != nil {
		return d.attemptMerge(prev, rq)
	}
	return false
}

// SubmitWrite writes token to block (submit_bio(WRITE or WRITE_SYNC));
// done runs when the write completes. The device takes the data at
// submission, as DMA does.
func (d *BlockDevice) SubmitWrite(block, token uint64, sync bool, done func()) {
	d.blocks[block] = token
	d.blkQueueBio(&bio{block: block, write: true, sync: sync, done: func(uint64) { done() }})
}

// SubmitRead reads block (submit_bio(READ)); done gets its token when the
// read completes.
func (d *BlockDevice) SubmitRead(block uint64, done func(token uint64)) {
	d.blkQueueBio(&bio{block: block, sync: true, done: done})
}

// String is the device's path, as swapon(8) names it.
func (d *BlockDevice) String() string { return "/dev/" + d.Name }

// Inflight reports the requests allocated and not yet freed.
func (d *BlockDevice) Inflight() int { return d.count[0] + d.count[1] }

// Queued reports the requests in the elevator, not yet dispatched.
func (d *BlockDevice) Queued() int { return len(d.queue) }

// RequestCount is rl->count[sync] of the queue's root request list.
func (d *BlockDevice) RequestCount(sync int) int { return d.count[sync] }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
