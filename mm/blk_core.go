// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"slices"

	"pagesim/sim"
)

// The per-task parts of the block layer (block/blk-core.c, block/blk-ioc.c)
// that mm calls: a task's plug (current->plug), which gathers the requests
// it submits so that contiguous bios merge before they reach the queue, and
// its io_context's request batching state. The request queues themselves
// are fs.BlockDevice; they put their requests on the plug through the
// PlugRequest and PlugQueue interfaces.

// BlkPlug is struct blk_plug (include/linux/blkdev.h): the requests the
// plugging task has allocated and not yet handed to their queues, in
// submission order (plug->list).
//
// Model: no multiqueue device (plug->mq_list) and no plug callbacks
// (plug->cb_list: md and btrfs only).
type BlkPlug struct {
	List []PlugRequest
}

// PlugRequest is a struct request as the plug list holds it.
type PlugRequest interface {
	// PlugQueue is rq->q.
	PlugQueue() PlugQueue
	// PlugPos is blk_rq_pos(rq): the request's first block.
	PlugPos() uint64
}

// PlugQueue is a request queue as blk_flush_plug_list sees it.
type PlugQueue interface {
	// PlugQueueID orders queues as list_sort orders them by address.
	PlugQueueID() int
	// InsertPlugged is __elv_add_request(q, rq, ELEVATOR_INSERT_SORT_MERGE).
	InsertPlugged(rq PlugRequest)
	// Unplugged is queue_unplugged(): run the queue, at once or (from
	// schedule) from kblockd.
	Unplugged(fromSchedule bool)
}

// FlushOnSchedule is blk_schedule_flush_plug() as sched_submit_work calls
// it for a task going to sleep with a plug (sim.Plugger).
func (p *BlkPlug) FlushOnSchedule() { BlkFlushPlugList(p, true) }

// BlkStartPlug is blk_start_plug() (block/blk-core.c): the task's bios
// gather on plug until BlkFinishPlug; a nested plug is not made current
// (the outer one keeps gathering). Without a running task (boot) nothing
// is plugged.
func (s *System) BlkStartPlug(plug *BlkPlug) {
	plug.List = plug.List[:0]
	if t := s.current(); t != nil && t.Plug == nil {
		t.Plug = plug
	}
}

// BlkFinishPlug is blk_finish_plug(): flush the plug's requests to their
// queues and run them, and stop plugging if plug is the task's.
func (s *System) BlkFinishPlug(plug *BlkPlug) {
	BlkFlushPlugList(plug, false)
	if t := s.current(); t != nil && t.Plug == sim.Plugger(plug) {
		t.Plug = nil
	}
}

// BlkFlushPlugList is blk_flush_plug_list() (block/blk-core.c): sort the
// plugged requests by queue and then by position (plug_rq_cmp), insert
// each into its queue's elevator with ELEVATOR_INSERT_SORT_MERGE, and run
// each queue after its last request (queue_unplugged: directly, or from
// kblockd when the task is going to sleep).
//
// Model: requests of one queue at the same position keep their plug
// order (list_sort with plug_rq_cmp puts the later one first).
func BlkFlushPlugList(plug *BlkPlug, fromSchedule bool) {
	if len(plug.List) == 0 {
		return
	}
	list := plug.List
	slices.SortStableFunc(list, func(a, b PlugRequest) int {
		qa, qb := a.PlugQueue().PlugQueueID(), b.PlugQueue().PlugQueueID()
		if qa != qb {
			return qa - qb
		}
		pa, pb := a.PlugPos(), b.PlugPos()
		switch {
		case pa < pb:
			return -1
		case pa > pb:
			return 1
		}
		return 0
	})
	var q PlugQueue
	for _, rq := range list {
		if rq.PlugQueue() != q {
			if q != nil {
				q.Unplugged(fromSchedule)
			}
			q = rq.PlugQueue()
		}
		q.InsertPlugged(rq)
	}
	q.Unplugged(fromSchedule)
	clear(list)
	plug.List = list[:0]
}

// CurrentPlug is current->plug: the running task's plug, or nil.
func CurrentPlug(sched *sim.Scheduler) *BlkPlug {
	if sched == nil {
		return nil
	}
	t := sched.Current()
	if t == nil || t.Plug == nil {
		return nil
	}
	p, _ := t.Plug.(*BlkPlug)
	return p
}

// IOContext is struct io_context (include/linux/iocontext.h) as far as
// request allocation uses it: the request batching state that lets a task
// woken from a full request list allocate a batch of requests
// (ioc_set_batching, ioc_batching in block/blk-core.c). Every task that
// submits a bio has one (generic_make_request_checks creates it); tasks
// do not share them (no CLONE_IO).
type IOContext struct {
	// NrBatchRequests is ioc->nr_batch_requests.
	NrBatchRequests int
	// LastWaited is ioc->last_waited, in jiffies.
	LastWaited int64
}

// CurrentIOContext is current->io_context for the running task t,
// created on first use (create_io_context). It is nil without a task.
func (s *System) CurrentIOContext(t *sim.Task) *IOContext {
	if t == nil {
		return nil
	}
	ioc, _ := t.IOContext.(*IOContext)
	if ioc == nil {
		ioc = &IOContext{}
		t.IOContext = ioc
	}
	return ioc
}
