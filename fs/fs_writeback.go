// SPDX-License-Identifier: GPL-2.0-only

package fs

import (
	"fmt"

	"pagesim/mm"
	"pagesim/sim"
)

// fs/fs-writeback.c: the flusher. Each backing device has a writeback
// worker that, while the device has dirty inodes, runs every
// dirty_writeback_interval (5 s, counted from the first dirtying and then
// from each run) to write inodes dirtied more than dirty_expire_interval
// (30 s) ago (kupdate), and runs
// whenever dirty memory passes the background threshold until it is below
// again; before both, it runs the work queued on it (wakeup_flusher_threads
// from reclaim and sync: write so many pages, whatever the thresholds).
//
// Model: v3.16 runs this as work items on the "writeback" workqueue, served
// by kworker threads; the model runs one kernel thread per device, named as
// such a kworker would be. The chunk each inode gets per pass is
// MIN_WRITEBACK_PAGES (4 MiB); v3.16 scales it with the measured write
// bandwidth (writebackChunkSize).

// MIN_WRITEBACK_PAGES is the per-inode chunk: 4 MiB.
const MIN_WRITEBACK_PAGES = 4096 * 1024 / mm.PAGE_SIZE

// wbWritebackWork is struct wb_writeback_work: what one wb_writeback run
// is to do.
type wbWritebackWork struct {
	nrPages int64
	// olderThanThis, when set, limits queue_io to inodes dirtied no later
	// than it.
	olderThanThis    *int64
	syncMode         int
	taggedWritepages bool
	forKupdate       bool
	rangeCyclic      bool
	forBackground    bool
	forSync          bool
	reason           int
}

// bdiWriteback is struct bdi_writeback: the dirty inode lists.
type bdiWriteback struct {
	sb *SuperBlock
	// bDirty holds dirty inodes, oldest dirtied first; bIO those being
	// written this pass; bMoreIO those with more to write.
	bDirty, bIO, bMoreIO []*Inode
	// workList is bdi->work_list: queued work, oldest first.
	workList     []*wbWritebackWork
	wait         sim.WaitQueue
	lastOldFlush int64
	// dworkPending and dworkAt are wb->dwork, the delayed work that runs
	// the worker: queued (pending) to run at dworkAt. Pending ends when
	// the worker starts running it.
	dworkPending bool
	dworkAt      int64
	// writing is the inode the worker is writing: v3.16 keeps it on b_io
	// meanwhile, the model takes it off the lists.
	writing *Inode
	task    *sim.Task
	// idle: the worker is waiting for work, not writing back.
	idle bool
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

// StartBackgroundWriteback is bdi_start_background_writeback():
// bdi_wakeup_thread, the worker runs now and writes back if over the
// background threshold.
func (wb *bdiWriteback) StartBackgroundWriteback() {
	wb.wakeupThread()
}

// wakeupThread is bdi_wakeup_thread(): mod_delayed_work with no delay,
// the worker runs now.
func (wb *bdiWriteback) wakeupThread() {
	wb.dworkPending = true
	wb.dworkAt = wb.sb.fs.Sched.Now()
	wb.wait.WakeOne()
}

// wakeupDelayed is bdi_wakeup_thread_delayed(): queue_delayed_work after
// dirty_writeback_interval, unless the work is pending already.
func (wb *bdiWriteback) wakeupDelayed() {
	if wb.dworkPending {
		return
	}
	f := wb.sb.fs
	wb.dworkPending = true
	wb.dworkAt = f.Sched.Now() + int64(f.Sys.Dirty().DirtyWritebackCentisecs)*1e7
	wb.wait.WakeOne()
}

// StartWriteback is __bdi_start_writeback(): queue WB_SYNC_NONE work for
// nrPages and wake the worker (bdi_queue_work).
func (wb *bdiWriteback) StartWriteback(nrPages int64, rangeCyclic bool, reason int) {
	wb.sb.fs.Sys.Cover("__bdi_start_writeback")
	wb.workList = append(wb.workList, &wbWritebackWork{
		nrPages:     nrPages,
		syncMode:    mm.WB_SYNC_NONE,
		rangeCyclic: rangeCyclic,
		reason:      reason,
	})
	wb.wakeupThread()
}

// HasDirtyIO is wb_has_dirty_io().
func (wb *bdiWriteback) HasDirtyIO() bool {
	return wb.NrDirtyInodes() > 0
}

// NrDirtyInodes counts the inodes on the writeback lists.
func (wb *bdiWriteback) NrDirtyInodes() int64 {
	n := int64(len(wb.bDirty) + len(wb.bIO) + len(wb.bMoreIO))
	if wb.writing != nil {
		n++
	}
	return n
}

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
			// Wait for the delayed work to be queued and due.
			wb.idle = true
			for !wb.dworkPending || f.Sched.Now() < wb.dworkAt {
				if wb.dworkPending {
					t.WaitTimeout(&wb.wait, wb.dworkAt-f.Sched.Now())
				} else {
					t.Wait(&wb.wait)
				}
			}
			wb.dworkPending = false
			wb.idle = false
			f.bdiWritebackWorkfn(wb)
		}
	})
}

// bdiWritebackWorkfn is bdi_writeback_workfn(): write back until the work
// list is empty; then run again at once if work came meanwhile, or after
// dirty_writeback_interval while inodes are still dirty (the periodic
// kupdate wake-up, which 0 turns off).
//
// Model: PF_SWAPWRITE, which the worker sets while it runs, matters only
// to a reclaim it would do itself (may_write_to_queue); the model's
// flusher allocates nothing.
func (f *FS) bdiWritebackWorkfn(wb *bdiWriteback) {
	for {
		f.wbDoWriteback(wb)
		if len(wb.workList) == 0 {
			break
		}
	}
	if len(wb.workList) > 0 {
		wb.wakeupThread()
	} else if wb.HasDirtyIO() && f.Sys.Dirty().DirtyWritebackCentisecs != 0 {
		wb.wakeupDelayed()
	}
}

// wbDoWriteback is wb_do_writeback(): the queued work items first, oldest
// first, then kupdate-style old data flush, then background writeback
// while over the threshold.
func (f *FS) wbDoWriteback(wb *bdiWriteback) int64 {
	var wrote int64
	for len(wb.workList) > 0 { // get_next_work_item
		work := wb.workList[0]
		wb.workList = wb.workList[1:]
		wrote += f.wbWriteback(wb, work)
	}
	wrote += f.wbCheckOldDataFlush(wb)
	wrote += f.wbCheckBackgroundFlush(wb)
	return wrote
}

// overBgroundThresh is over_bground_thresh(): background writeback is
// due while the machine's dirty pages exceed the background threshold,
// or while the device's own BDI_RECLAIMABLE pages, as bdi_stat reads
// them (the folded count, without the per-CPU deltas), exceed its share
// of that threshold (bdi_dirty_limit).
func (f *FS) overBgroundThresh(wb *bdiWriteback) bool {
	background, _ := f.Sys.GlobalDirtyLimits()
	if uint64(f.Sys.GlobalPageState(mm.NR_FILE_DIRTY)+f.Sys.GlobalPageState(mm.NR_UNSTABLE_NFS)) > background {
		return true
	}
	bdi := wb.sb.BDI
	return uint64(bdi.BdiStat(mm.BDI_RECLAIMABLE)) > f.Sys.BdiDirtyLimit(bdi, background)
}

// wbCheckOldDataFlush is wb_check_old_data_flush().
func (f *FS) wbCheckOldDataFlush(wb *bdiWriteback) int64 {
	interval := int64(f.Sys.Dirty().DirtyWritebackCentisecs) * 1e7
	now := f.Sched.Now()
	if interval == 0 || now < wb.lastOldFlush+interval {
		return 0
	}
	wb.lastOldFlush = now
	nr := f.Sys.GetNrDirtyPages()
	if nr > 0 {
		return f.wbWriteback(wb, &wbWritebackWork{
			nrPages:     nr,
			syncMode:    mm.WB_SYNC_NONE,
			forKupdate:  true,
			rangeCyclic: true,
			reason:      mm.WB_REASON_PERIODIC,
		})
	}
	return 0
}

// wbCheckBackgroundFlush is wb_check_background_flush().
func (f *FS) wbCheckBackgroundFlush(wb *bdiWriteback) int64 {
	if f.overBgroundThresh(wb) {
		return f.wbWriteback(wb, &wbWritebackWork{
			nrPages:       mm.LLONG_MAX,
			syncMode:      mm.WB_SYNC_NONE,
			forBackground: true,
			rangeCyclic:   true,
			reason:        mm.WB_REASON_BACKGROUND,
		})
	}
	return 0
}

// wbWriteback is wb_writeback(): move expired inodes to b_io (queue_io)
// and write them a chunk at a time until the work's nrPages are done,
// other work is queued (for kupdate and background work), dirty memory is
// back under the background threshold (for background work only), or no
// inode is left to write. It returns the pages written.
//
// Model: with nothing written and inodes left on b_more_io, v3.16 sleeps
// until the last of them loses I_SYNC (inode_sleep_on_writeback); only
// the device's one flusher sets I_SYNC in the model, so the inode never
// has it there and the loop goes on, as v3.16's does in that case.
func (f *FS) wbWriteback(wb *bdiWriteback, work *wbWritebackWork) int64 {
	s := f.Sys
	s.Cover("wb_writeback")
	nrPages := work.nrPages
	wbStart := s.Jiffies()
	oldest := f.Sched.Now()
	work.olderThanThis = &oldest
	for {
		if work.nrPages <= 0 {
			s.Cover("wb_writeback:nr_pages_done")
			break
		}
		if (work.forBackground || work.forKupdate) && len(wb.workList) > 0 {
			s.Cover("wb_writeback:yield_to_work")
			break
		}
		if work.forBackground && !f.overBgroundThresh(wb) {
			s.Cover("wb_writeback:below_background")
			break
		}
		if work.forKupdate {
			oldest = f.Sched.Now() - int64(s.Dirty().DirtyExpireCentisecs)*1e7
		} else if work.forBackground {
			oldest = f.Sched.Now()
		}
		if len(wb.bIO) == 0 {
			wb.queueIO(work)
		}
		progress := f.writebackInodesWb(wb, work)
		s.WbUpdateBandwidth(wb.sb.BDI, wbStart)
		if progress > 0 {
			continue
		}
		if len(wb.bMoreIO) == 0 {
			s.Cover("wb_writeback:no_more_io")
			break
		}
	}
	return nrPages - work.nrPages
}

// writebackChunkSize is writeback_chunk_size(): data-integrity and tagged
// work write each inode whole; other work a chunk.
//
// Model: v3.16 sizes the chunk from the device's measured write bandwidth
// and the global dirty limit, rounded down to a multiple of
// MIN_WRITEBACK_PAGES plus one; the model does not measure bandwidth, and
// the chunk is MIN_WRITEBACK_PAGES, v3.16's smallest, whatever nr_pages.
func writebackChunkSize(work *wbWritebackWork) int64 {
	if work.syncMode == mm.WB_SYNC_ALL || work.taggedWritepages {
		return mm.LLONG_MAX
	}
	return MIN_WRITEBACK_PAGES
}

// writebackInodesWb is __writeback_inodes_wb() with writeback_sb_inodes()
// (one superblock per device): write the inodes of b_io, from its tail, a
// chunk each, and requeue them; return the pages written plus the inodes
// cleaned. Once something is written, stop after HZ/10 or when the work's
// nr_pages are done, so wb_writeback can check its exits.
//
// Model: the model's b_io runs oldest first from its front; an inode
// that the flusher is writing is off the lists meanwhile, and
// __mark_inode_dirty leaves it alone (I_SYNC).
func (f *FS) writebackInodesWb(wb *bdiWriteback, work *wbWritebackWork) int64 {
	start := f.Sched.Now()
	var wrote int64
	for len(wb.bIO) > 0 {
		ino := wb.bIO[0]
		wb.bIO = wb.bIO[1:]
		ino.state |= I_SYNC
		writeChunk := writebackChunkSize(work)
		wbc := &mm.WritebackControl{
			SyncMode:         work.syncMode,
			TaggedWritepages: work.taggedWritepages,
			ForKupdate:       work.forKupdate,
			ForBackground:    work.forBackground,
			ForSync:          work.forSync,
			RangeCyclic:      work.rangeCyclic,
			RangeStart:       0,
			RangeEnd:         mm.LLONG_MAX,
			NrToWrite:        writeChunk,
		}
		wb.writing = ino
		f.writebackSingleInode(ino, wbc)
		wb.writing = nil
		work.nrPages -= writeChunk - wbc.NrToWrite
		wrote += writeChunk - wbc.NrToWrite
		if ino.state&I_DIRTY == 0 {
			wrote++
		}
		wb.requeueInode(ino, wbc)
		ino.state &^= I_SYNC // inode_sync_complete
		if wrote > 0 {
			if f.Sched.Now() > start+1e9/10 {
				break
			}
			if work.nrPages <= 0 {
				break
			}
		}
	}
	return wrote
}

// I_SYNC: the flusher is writing the inode; I_DIRTY is any of the dirty
// bits.
const (
	I_SYNC  = 1 << 7
	I_DIRTY = mm.I_DIRTY_SYNC | mm.I_DIRTY_DATASYNC | mm.I_DIRTY_PAGES
)

// queueIO is queue_io() with move_expired_inodes(): b_more_io back onto
// b_io, then the inodes of b_dirty, oldest first, up to the first one
// dirtied after work.olderThanThis.
func (wb *bdiWriteback) queueIO(work *wbWritebackWork) {
	wb.bIO = append(wb.bIO, wb.bMoreIO...)
	wb.bMoreIO = nil
	n := 0
	for _, ino := range wb.bDirty {
		if work.olderThanThis != nil && ino.dirtiedWhen > *work.olderThanThis {
			break // inode_dirtied_after
		}
		n++
	}
	wb.bIO = append(wb.bIO, wb.bDirty[:n]...)
	wb.bDirty = append([]*Inode(nil), wb.bDirty[n:]...)
}

// writebackSingleInode is __writeback_single_inode(): write the pages,
// then clear I_DIRTY_PAGES if none is left tagged dirty, and the inode's
// own dirty bits (write_inode is not modeled).
func (f *FS) writebackSingleInode(ino *Inode, wbc *mm.WritebackControl) {
	f.Sys.DoWritepages(ino.Mapping, wbc)
	if wbc.SyncMode == mm.WB_SYNC_ALL && !wbc.ForSync {
		f.Sys.FilemapFdatawaitRange(ino.Mapping, 0, mm.LLONG_MAX)
	}
	if !f.mappingTagged(ino, mm.PAGECACHE_TAG_DIRTY) {
		ino.state &^= mm.I_DIRTY_PAGES
	}
	ino.state &^= mm.I_DIRTY_SYNC | mm.I_DIRTY_DATASYNC
}

func (f *FS) mappingTagged(ino *Inode, tag uint) bool { return f.Sys.MappingTagged(ino.Mapping, tag) }

// redirtyTail is redirty_tail(): the inode goes back to b_dirty as its
// newest entry, its dirtied_when made now if it is older than the newest
// there.
func (wb *bdiWriteback) redirtyTail(ino *Inode) {
	if n := len(wb.bDirty); n > 0 && ino.dirtiedWhen < wb.bDirty[n-1].dirtiedWhen {
		ino.dirtiedWhen = wb.sb.fs.Sched.Now()
	}
	wb.bDirty = append(wb.bDirty, ino)
}

// requeueInode is requeue_inode(): an inode whose pages were skipped, or
// still dirty with chunk left, goes back to b_dirty (redirty_tail); one
// still tagged dirty whose chunk ran out to b_more_io; a clean one leaves
// the lists.
func (wb *bdiWriteback) requeueInode(ino *Inode, wbc *mm.WritebackControl) {
	if ino.evicted {
		return // I_FREEING: evict() took it off the lists
	}
	if ino.state&I_DIRTY != 0 && (wbc.SyncMode == mm.WB_SYNC_ALL || wbc.TaggedWritepages) {
		ino.dirtiedWhen = wb.sb.fs.Sched.Now()
	}
	if wbc.PagesSkipped != 0 {
		wb.redirtyTail(ino)
		return
	}
	if wb.sb.fs.mappingTagged(ino, mm.PAGECACHE_TAG_DIRTY) {
		if wbc.NrToWrite <= 0 {
			wb.bMoreIO = append(wb.bMoreIO, ino) // requeue_io
		} else {
			wb.redirtyTail(ino)
		}
		return
	}
	if ino.state&I_DIRTY != 0 {
		wb.redirtyTail(ino)
		return
	}
	// Clean: off the lists (list_del_init); it is on none meanwhile.
}

// WakeupFlusherThreads is wakeup_flusher_threads() (also what sync(2) and
// vm reclaim use): mm.System.WakeupFlusherThreads, which walks bdi_list.
func (f *FS) WakeupFlusherThreads(nrPages int64, reason int) {
	f.Sys.WakeupFlusherThreads(nrPages, reason)
}

// WritebackInProgress is writeback_in_progress(): BDI_writeback_running,
// which the worker holds while it runs (bdi_writeback_workfn).
func (wb *bdiWriteback) WritebackInProgress() bool { return !wb.idle }
