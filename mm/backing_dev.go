// SPDX-License-Identifier: GPL-2.0-only

package mm

import "pagesim/sim"

// Congestion (mm/backing-dev.c, include/linux/backing-dev.h): a request
// queue marks its backing device congested per direction when its request
// list fills (block/blk-core.c, fs.BlockDevice), a machine-wide count says
// how many devices are congested in each direction, and reclaim, compaction
// and the dirty throttle sleep on a per-direction wait queue that every
// request freed below the queue's off-threshold wakes.

// Request directions, the index of congestion_wqh[] and nr_bdi_congested[]
// (include/linux/backing-dev.h: BLK_RW_ASYNC, BLK_RW_SYNC).
const (
	BLK_RW_ASYNC = 0
	BLK_RW_SYNC  = 1
)

// congestion is mm/backing-dev.c's file-scope state: congestion_wqh[2] and
// nr_bdi_congested[2], one set per machine.
type congestion struct {
	wqh [2]sim.WaitQueue
	nr  [2]int
	// taskBDI is each task's current->backing_dev_info, set while it
	// writes to a file (a task absent from it has NULL).
	taskBDI map[*sim.Task]*BackingDevInfo
}

// CurrentBackingDevInfo is current->backing_dev_info.
func (s *System) CurrentBackingDevInfo() *BackingDevInfo {
	return s.congestion.taskBDI[s.current()]
}

// SetCurrentBackingDevInfo sets current->backing_dev_info to b (nil for
// NULL) and returns what it was. A buffered write
// (__generic_file_write_iter, xfs_file_buffered_aio_write) points it at
// its mapping's device for the copy: reclaim in that task may write pages
// to that device even while it is congested (may_write_to_queue), and a
// PF_LESS_THROTTLE task is throttled only while it is congested
// (current_may_throttle).
func (s *System) SetCurrentBackingDevInfo(b *BackingDevInfo) *BackingDevInfo {
	t := s.current()
	old := s.congestion.taskBDI[t]
	if b == nil {
		delete(s.congestion.taskBDI, t)
		return old
	}
	if s.congestion.taskBDI == nil {
		s.congestion.taskBDI = map[*sim.Task]*BackingDevInfo{}
	}
	s.congestion.taskBDI[t] = b
	return old
}

// ClearBdiCongested is clear_bdi_congested() (mm/backing-dev.c): clear the
// device's BDI_{a,}sync_congested bit, dropping nr_bdi_congested[sync] if
// it was set, and wake every task sleeping on congestion_wqh[sync] whether
// or not the bit was set (the block layer calls it for every request freed
// below the off-threshold, so congestion_wait also ends at the next such
// completion). It may be called from an I/O completion.
func (s *System) ClearBdiCongested(b *BackingDevInfo, sync int) {
	if b.Congested[sync] {
		b.Congested[sync] = false
		s.congestion.nr[sync]--
	}
	s.congestion.wqh[sync].WakeAll()
}

// SetBdiCongested is set_bdi_congested() (mm/backing-dev.c): set the bit,
// counting the device in nr_bdi_congested[sync] if it was clear.
func (s *System) SetBdiCongested(b *BackingDevInfo, sync int) {
	if !b.Congested[sync] {
		b.Congested[sync] = true
		s.congestion.nr[sync]++
	}
}

// NrBdiCongested is atomic_read(&nr_bdi_congested[sync]).
func (s *System) NrBdiCongested(sync int) int { return s.congestion.nr[sync] }

// bdiWriteCongested is bdi_write_congested(): BDI_async_congested.
//
// Model: no device has a ->congested_fn (no md/dm stacking).
func (b *BackingDevInfo) bdiWriteCongested() bool { return b.Congested[BLK_RW_ASYNC] }

// bdiReadCongested is bdi_read_congested(): BDI_sync_congested.
func (b *BackingDevInfo) bdiReadCongested() bool { return b.Congested[BLK_RW_SYNC] }

// ioScheduleTimeoutOn is prepare_to_wait(wqh, TASK_UNINTERRUPTIBLE) +
// io_schedule_timeout(timeout) + finish_wait(): sleep until woken through
// q or timeout jiffies pass, and return the jiffies left (0 on timeout).
// Without a running task (boot, tests without a scheduler) nothing sleeps.
//
// Model: the timer fires timeout*1e9/HZ ns after the call rather than at
// the jiffy boundary; iowait time is not accounted.
func (s *System) ioScheduleTimeoutOn(q *sim.WaitQueue, timeout int64) int64 {
	if s.sched == nil || s.sched.Current() == nil {
		return timeout
	}
	start := s.jiffies()
	if !s.current().WaitTimeout(q, timeout*1e9/HZ) {
		return 0
	}
	return max(0, timeout-(s.jiffies()-start))
}

// congestionWait is congestion_wait() (mm/backing-dev.c): sleep on
// congestion_wqh[sync] until a device's queue of that direction frees a
// request below its off-threshold (ClearBdiCongested) or timeout jiffies
// pass, whether or not anything is congested. Returns the jiffies left.
func (s *System) congestionWait(sync int, timeout int64) int64 {
	s.Cover("congestion_wait")
	start := s.jiffies()
	ret := s.ioScheduleTimeoutOn(&s.congestion.wqh[sync], timeout)
	if s.tracer != nil {
		s.emit("writeback_congestion_wait", "usec_timeout=%d usec_delayed=%d",
			jiffiesToUsecs(timeout), jiffiesToUsecs(s.jiffies()-start))
	}
	return ret
}

// waitIffCongested is wait_iff_congested() (mm/backing-dev.c): when no
// device is congested in direction sync, or reclaim has not flagged the
// zone ZONE_CONGESTED, only cond_resched; otherwise sleep as
// congestion_wait does. Returns the jiffies left of timeout.
func (s *System) waitIffCongested(z *Zone, sync int, timeout int64) int64 {
	start := s.jiffies()
	var ret int64
	if s.congestion.nr[sync] == 0 || !z.testFlag(ZONE_CONGESTED) {
		s.Cover("wait_iff_congested:no_wait")
		s.condResched()
		ret = max(0, timeout-(s.jiffies()-start))
	} else {
		s.Cover("wait_iff_congested:wait")
		ret = s.ioScheduleTimeoutOn(&s.congestion.wqh[sync], timeout)
	}
	if s.tracer != nil {
		s.emit("writeback_wait_iff_congested", "usec_timeout=%d usec_delayed=%d",
			jiffiesToUsecs(timeout), jiffiesToUsecs(s.jiffies()-start))
	}
	return ret
}

// jiffiesToUsecs is jiffies_to_usecs() at HZ=1000, as an unsigned int.
func jiffiesToUsecs(j int64) uint32 { return uint32(j * (1e6 / HZ)) }

// CongestionWait is congestion_wait() for filesystems (EXPORT_SYMBOL):
// their allocation retry loops back off with it.
func (s *System) CongestionWait(sync int, timeout int64) int64 {
	return s.congestionWait(sync, timeout)
}

// BDI statistics (include/linux/backing-dev.h): each of a device's
// bdi_stat[] items is a percpu_counter with batch BDI_STAT_BATCH, changed
// on the CPU the code runs on. Writeback completion (test_clear_page_writeback
// from end_page_writeback) runs in the model's I/O completion callbacks,
// on the scheduler side, where smp_processor_id is CPU 0: its
// BDI_WRITEBACK and BDI_WRITTEN deltas, like its NR_WRITEBACK and
// NR_WRITTEN ones, go to CPU 0.
//
// Model: v3.16 ends a request in the BLOCK_SOFTIRQ of the CPU that took
// the device's interrupt (rq_affinity=1 sends it to the submitting CPU
// only when that CPU shares no cache with it, and every modeled CPU of a
// node shares one); the model's devices interrupt CPU 0, as all of its
// interrupt-context work runs there.

// bdiStatBatch is BDI_STAT_BATCH: 8*(1+ilog2(nr_cpu_ids)).
func (s *System) bdiStatBatch() int64 { return s.statBatch }

// __addBdiStat is __add_bdi_stat(): amount onto this CPU's delta of the
// item, folded into the count at BDI_STAT_BATCH.
func (s *System) __addBdiStat(b *BackingDevInfo, item int, amount int64) {
	b.stat[item].__percpuCounterAdd(s.smpProcessorID(), s.NrCPUs(), amount, s.bdiStatBatch())
}

// __incBdiStat is __inc_bdi_stat().
func (s *System) __incBdiStat(b *BackingDevInfo, item int) { s.__addBdiStat(b, item, 1) }

// __decBdiStat is __dec_bdi_stat().
func (s *System) __decBdiStat(b *BackingDevInfo, item int) { s.__addBdiStat(b, item, -1) }

// decBdiStat is dec_bdi_stat(): __dec_bdi_stat with interrupts off,
// which the model needs not (no interrupt runs inside a call).
func (s *System) decBdiStat(b *BackingDevInfo, item int) { s.__addBdiStat(b, item, -1) }

// BdiStat is bdi_stat(): the item's folded count (percpu_counter_read_positive),
// which lags the true value by up to BDI_STAT_BATCH-1 per CPU.
func (b *BackingDevInfo) BdiStat(item int) int64 { return b.stat[item].percpuCounterReadPositive() }

// BdiStatSum is bdi_stat_sum(): the item's exact value, the count plus
// every CPU's delta (percpu_counter_sum_positive).
func (b *BackingDevInfo) BdiStatSum(item int) int64 { return b.stat[item].percpuCounterSumPositive() }

// bdiStatRead is percpu_counter_read(&bdi->bdi_stat[item]): the folded
// count, possibly negative.
func (b *BackingDevInfo) bdiStatRead(item int) int64 { return b.stat[item].percpuCounterRead() }
