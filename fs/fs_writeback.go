// SPDX-License-Identifier: GPL-2.0-only

package fs

import (
	"fmt"

	"pagesim/mm"
	"pagesim/sim"
)

// fs/fs-writeback.c: the flusher. Each backing device has a writeback
// worker that wakes every dirty_writeback_interval (5 s) to write inodes
// dirtied more than dirty_expire_interval (30 s) ago (kupdate), and runs
// whenever dirty memory passes the background threshold until it is below
// again.
//
// Model: v3.16 runs this as work items on the "writeback" workqueue, served
// by kworker threads; the model runs one kernel thread per device, named as
// such a kworker would be. The chunk each inode gets per pass is
// MIN_WRITEBACK_PAGES (4 MiB); v3.16 scales it with the measured write
// bandwidth.

// MIN_WRITEBACK_PAGES is the per-inode chunk: 4 MiB.
const MIN_WRITEBACK_PAGES = 4096 * 1024 / mm.PAGE_SIZE

// bdiWriteback is struct bdi_writeback: the dirty inode lists.
type bdiWriteback struct {
	sb *SuperBlock
	// bDirty holds dirty inodes, oldest dirtied first; bIO those being
	// written this pass; bMoreIO those with more to write.
	bDirty, bIO, bMoreIO []*Inode
	wait                 sim.WaitQueue
	lastOldFlush         int64
	backgroundRequested  bool
	delayedWake          bool
	task                 *sim.Task
	// idle: the worker is waiting for work, not writing back.
	idle bool
	// works are the queued bdi_start_writeback work items, each a number
	// of pages to write (the laptop-mode timer queues them).
	works []int64
}

// StartWriteback is bdi_start_writeback() (__bdi_start_writeback with
// range_cyclic): queue a WB_SYNC_NONE work item for nrPages and wake the
// worker.
func (wb *bdiWriteback) StartWriteback(nrPages int64) {
	wb.works = append(wb.works, nrPages)
	wb.wait.WakeOne()
}

// HasDirtyIO is wb_has_dirty_io() (bdi_has_dirty_io): an inode on
// b_dirty, b_io or b_more_io.
func (wb *bdiWriteback) HasDirtyIO() bool {
	return len(wb.bDirty) > 0 || len(wb.bIO) > 0 || len(wb.bMoreIO) > 0
}

// FlushersIdle reports whether every writeback worker is waiting for work,
// not in the middle of writing pages back.
func (f *FS) FlushersIdle() bool {
	for _, sb := range f.supers {
		if sb.wb != nil && !sb.wb.idle {
			return false
		}
	}
	return true
}

// StartBackgroundWriteback is bdi_start_background_writeback().
func (wb *bdiWriteback) StartBackgroundWriteback() {
	wb.backgroundRequested = true
	wb.wait.WakeOne()
}

// wakeupDelayed is bdi_wakeup_thread_delayed(): the worker runs after
// dirty_writeback_interval anyway; the model's worker already sleeps with
// that timeout, so nothing more is needed than making sure it is not
// parked indefinitely.
func (wb *bdiWriteback) wakeupDelayed() { wb.delayedWake = true }

func (wb *bdiWriteback) remove(ino *Inode) {
	drop := func(l []*Inode) []*Inode {
		for i, x := range l {
			if x == ino {
				return append(l[:i], l[i+1:]...)
			}
		}
		return l
	}
	wb.bDirty, wb.bIO, wb.bMoreIO = drop(wb.bDirty), drop(wb.bIO), drop(wb.bMoreIO)
}

// startFlusher starts the device's writeback worker.
func (f *FS) startFlusher(sb *SuperBlock) {
	wb := &bdiWriteback{sb: sb, idle: true} // idle until it first wakes
	wb.wait.Name = "bdi_writeback:" + sb.Dev.Name
	sb.wb = wb
	sb.BDI.Flusher = wb
	comm := fmt.Sprintf("kworker/u%d:%d", 2*f.Sched.NumCPU(), len(f.supers))
	wb.task = f.Sched.Spawn(comm, sim.PF_KTHREAD, func(t *sim.Task) {
		for {
			// v3.16 queues the periodic (kupdate) wakeup only while
			// dirty_writeback_centisecs is nonzero: 0 turns it off, and
			// the worker then runs only when woken.
			wb.idle = true
			if len(wb.works) > 0 {
				// A work item queued while the worker ran: it runs
				// again at once, as the work_list is not empty.
			} else if interval := int64(f.Sys.Dirty().DirtyWritebackCentisecs) * 1e7; interval > 0 {
				t.WaitTimeout(&wb.wait, interval)
			} else {
				t.Wait(&wb.wait)
			}
			wb.idle = false
			f.wbDoWriteback(wb)
		}
	})
}

// wbDoWriteback is wb_do_writeback(): the queued work items, then
// kupdate-style old data flush, then background writeback while over the
// threshold.
func (f *FS) wbDoWriteback(wb *bdiWriteback) {
	for len(wb.works) > 0 { // get_next_work_item
		n := wb.works[0]
		wb.works = wb.works[1:]
		f.wbWriteback(wb, n, false, false)
	}
	f.wbCheckOldDataFlush(wb)
	f.wbCheckBackgroundFlush(wb)
}

// overBgroundThresh is over_bground_thresh().
func (f *FS) overBgroundThresh() bool {
	background, _ := f.Sys.GlobalDirtyLimits()
	return uint64(f.Sys.GlobalPageState(mm.NR_FILE_DIRTY)+f.Sys.GlobalPageState(mm.NR_UNSTABLE_NFS)) > background
}

// wbCheckOldDataFlush is wb_check_old_data_flush().
func (f *FS) wbCheckOldDataFlush(wb *bdiWriteback) {
	interval := int64(f.Sys.Dirty().DirtyWritebackCentisecs) * 1e7
	now := f.Sched.Now()
	if interval == 0 || now < wb.lastOldFlush+interval {
		return
	}
	wb.lastOldFlush = now
	nr := f.Sys.GlobalPageState(mm.NR_FILE_DIRTY) + f.Sys.GlobalPageState(mm.NR_UNSTABLE_NFS)
	if nr > 0 {
		f.wbWriteback(wb, nr, true, false)
	}
}

// wbCheckBackgroundFlush is wb_check_background_flush().
func (f *FS) wbCheckBackgroundFlush(wb *bdiWriteback) {
	wb.backgroundRequested = false
	if f.overBgroundThresh() {
		f.wbWriteback(wb, mm.LLONG_MAX, false, true)
	}
}

// wbWriteback is wb_writeback(): move expired inodes to b_io (queue_io)
// and write each a chunk at a time until nrPages are done or, for
// background work, dirty memory is back under the threshold.
func (f *FS) wbWriteback(wb *bdiWriteback, nrPages int64, kupdate, background bool) {
	wbStart := f.Sys.Jiffies()
	for nrPages > 0 {
		if background && !f.overBgroundThresh() {
			break
		}
		oldest := f.Sched.Now()
		if kupdate {
			oldest -= int64(f.Sys.Dirty().DirtyExpireCentisecs) * 1e7
		}
		if len(wb.bIO) == 0 {
			wb.queueIO(oldest)
		}
		if len(wb.bIO) == 0 {
			break
		}
		progress := false
		for len(wb.bIO) > 0 && nrPages > 0 {
			// writeback_sb_inodes takes inodes from the tail of b_io;
			// the model's b_io runs oldest first.
			ino := wb.bIO[0]
			wb.bIO = wb.bIO[1:]
			wbc := &mm.WritebackControl{
				SyncMode:      mm.WB_SYNC_NONE,
				NrToWrite:     min(nrPages, MIN_WRITEBACK_PAGES),
				RangeCyclic:   true,
				RangeEnd:      mm.LLONG_MAX,
				ForKupdate:    kupdate,
				ForBackground: background,
			}
			before := wbc.NrToWrite
			f.writebackSingleInode(ino, wbc)
			wrote := before - wbc.NrToWrite
			nrPages -= wrote
			if wrote > 0 {
				progress = true
			}
			wb.requeueInode(ino, wbc)
		}
		f.Sys.WbUpdateBandwidth(wb.sb.BDI, wbStart)
		if !progress && len(wb.bMoreIO) == 0 {
			break
		}
	}
}

// queueIO is queue_io() with move_expired_inodes(): b_more_io back onto
// b_io, then the inodes dirtied before oldest.
func (wb *bdiWriteback) queueIO(oldest int64) {
	wb.bIO = append(wb.bIO, wb.bMoreIO...)
	wb.bMoreIO = nil
	var keep []*Inode
	for _, ino := range wb.bDirty {
		if ino.dirtiedWhen <= oldest {
			wb.bIO = append(wb.bIO, ino)
		} else {
			keep = append(keep, ino)
		}
	}
	wb.bDirty = keep
}

// writebackSingleInode is __writeback_single_inode(): write the pages and
// clear I_DIRTY_PAGES if none is left dirty.
func (f *FS) writebackSingleInode(ino *Inode, wbc *mm.WritebackControl) {
	ino.state &^= mm.I_DIRTY_PAGES
	f.Sys.DoWritepages(ino.Mapping, wbc)
	if f.mappingTagged(ino, mm.PAGECACHE_TAG_DIRTY) {
		ino.state |= mm.I_DIRTY_PAGES
	}
	ino.state &^= mm.I_DIRTY_SYNC | mm.I_DIRTY_DATASYNC
}

func (f *FS) mappingTagged(ino *Inode, tag uint) bool { return f.Sys.MappingTagged(ino.Mapping, tag) }

// requeueInode is requeue_inode(): still-dirty inodes go to b_more_io (if
// their chunk ran out) or back to b_dirty; clean ones leave the lists.
func (wb *bdiWriteback) requeueInode(ino *Inode, wbc *mm.WritebackControl) {
	if ino.state&mm.I_DIRTY_PAGES == 0 {
		ino.state = 0
		return
	}
	if wbc.NrToWrite <= 0 {
		wb.bMoreIO = append(wb.bMoreIO, ino)
		return
	}
	// redirty_tail: pages were skipped; try again later.
	ino.dirtiedWhen = wb.sb.fs.Sched.Now()
	wb.bDirty = append(wb.bDirty, ino)
}

// WakeupFlusherThreads is wakeup_flusher_threads() (also what sync(2) and
// vm reclaim use): every device writes back.
func (f *FS) WakeupFlusherThreads() {
	for _, sb := range f.supers {
		if sb.wb != nil { // memory filesystems have no flusher
			sb.wb.StartBackgroundWriteback()
		}
	}
}

// WritebackInProgress is writeback_in_progress(): BDI_writeback_running,
// which the worker holds while it runs (bdi_writeback_workfn).
func (wb *bdiWriteback) WritebackInProgress() bool { return !wb.idle }
