// SPDX-License-Identifier: GPL-2.0-only

package mm

import "pagesim/sim"

// mm/filemap.c: the page lock. PG_locked is a sleeping lock: a task that
// finds it held waits on the page's wait queue, hashed per zone as
// page_waitqueue() does, and is woken by unlock_page.

// pageWaitqueue is page_waitqueue(): the zone's wait table, hashed by the
// page's address, so unrelated pages may share a queue as in the kernel.
func (s *System) pageWaitqueue(pfn uint64) *sim.WaitQueue {
	z := s.pfnZone(pfn)
	if z.waitTable == nil {
		z.waitTable = make([]sim.WaitQueue, waitTableHashNrEntries(z.presentPages))
	}
	h := (VMEMMAP_START + pfn*SizeofStructPage) * 0x9e37fffffffc0001 // hash_ptr's GOLDEN_RATIO_PRIME_64
	bits := uint(fls(uint64(len(z.waitTable)))) - 1
	return &z.waitTable[h>>(64-bits)]
}

// waitTableHashNrEntries is wait_table_hash_nr_entries(): one queue per
// 256 pages, a power of two between 4 and 4096.
func waitTableHashNrEntries(pages uint64) int {
	n := pages / 256
	size := uint64(1)
	for size < n {
		size <<= 1
	}
	return int(min(max(size, 4), 4096))
}

// trylockPage is trylock_page().
func (s *System) trylockPage(pfn uint64) bool { return !s.pages[pfn].testSetFlag(PG_locked) }

// lockPage is lock_page() (__lock_page): sleep on the page's wait queue
// until PG_locked can be taken.
func (s *System) lockPage(pfn uint64) {
	s.Cover("lock_page")
	for !s.trylockPage(pfn) {
		t := s.current()
		if s.sched == nil || s.sched.Current() == nil {
			// Outside any task nothing else can run to unlock it.
			// model-only check: v3.16's lock_page has no such BUG.
			s.bug("include/linux/pagemap.h", 492)
		}
		t.Wait(s.pageWaitqueue(pfn))
	}
}

// lockPageKillable is lock_page_killable() (__lock_page_killable): as
// lockPage, but the wait is TASK_KILLABLE, and a fatal signal pending when
// the lock is found held, or on waking, gives up with -EINTR.
func (s *System) lockPageKillable(pfn uint64) int {
	s.Cover("lock_page_killable")
	if s.trylockPage(pfn) {
		return 0
	}
	t := s.current()
	if s.sched == nil || s.sched.Current() == nil {
		// model-only check: sleeping outside a task; v3.16 has no such BUG.
		s.bug("include/linux/pagemap.h", 480)
	}
	for {
		if s.pages[pfn].PageLocked() {
			// schedule() does not sleep with a fatal signal pending.
			if !s.FatalSignalPending(t) {
				t.WaitKillable(s.pageWaitqueue(pfn))
			}
			if s.FatalSignalPending(t) {
				s.Cover("lock_page_killable:fatal_signal")
				return errnoEINTR
			}
		}
		if s.trylockPage(pfn) {
			return 0
		}
	}
}

// waitOnPageLockedKillable is wait_on_page_locked_killable(): wait for
// PG_locked to clear in TASK_KILLABLE; -EINTR if a fatal signal ends it.
func (s *System) waitOnPageLockedKillable(pfn uint64) int {
	t := s.current()
	for s.pages[pfn].PageLocked() {
		if s.sched == nil || s.sched.Current() == nil {
			// model-only check: sleeping outside a task; v3.16 has no such BUG.
			s.bug(srcFilemap, 720)
		}
		if !s.FatalSignalPending(t) {
			t.WaitKillable(s.pageWaitqueue(pfn))
		}
		if s.FatalSignalPending(t) {
			return errnoEINTR
		}
	}
	return 0
}

// unlockPage is unlock_page(): clear PG_locked and wake the waiters.
func (s *System) unlockPage(pfn uint64) {
	p := &s.pages[pfn]
	s.vmBugOnPage(!p.PageLocked(), pfn, "!PageLocked(page)", srcFilemap, 743)
	p.clearFlag(PG_locked)
	s.wakeUpPage(pfn)
}

// wakeUpPage is wake_up_page(): wake every task on the page's hashed queue;
// each rechecks its own page's bit.
func (s *System) wakeUpPage(pfn uint64) {
	if z := s.pfnZone(pfn); z.waitTable != nil {
		s.pageWaitqueue(pfn).WakeAll()
	}
}

const srcFilemap = "mm/filemap.c"

// PG_readahead shares its bit with PG_reclaim, as in the kernel: a page
// marked for async readahead looks like one marked for immediate reclaim.
const PG_readahead = PG_reclaim

// pageCacheTreeInsert is page_cache_tree_insert(): put the page in the
// mapping's tree, replacing a shadow entry if one is there (returned
// through shadow).
func (s *System) pageCacheTreeInsert(m *AddressSpace, pfn uint64, shadow *uint64) error {
	s.Cover("page_cache_tree_insert")
	idx := s.pages[pfn].index
	if old, ok := m.tree.Lookup(idx); ok {
		if !RadixTreeExceptionalEntry(old) {
			return errEEXIST
		}
		if shadow != nil {
			*shadow = old
		}
		m.nrshadows--
		m.tree.Delete(idx)
	}
	if err := m.tree.Insert(idx, PFNToRadixEntry(pfn)); err != nil {
		return errEEXIST
	}
	m.nrpages++
	return nil
}

var errEEXIST = errorString("EEXIST")

type errorString string

func (e errorString) Error() string { return string(e) }

// __addToPageCacheLocked is __add_to_page_cache_locked(): the locked page
// takes a reference for the cache, points at the mapping and offset, and
// counts in NR_FILE_PAGES.
func (s *System) __addToPageCacheLocked(pfn uint64, m *AddressSpace, offset uint64, shadow *uint64) error {
	s.Cover("__add_to_page_cache_locked")
	p := &s.pages[pfn]
	s.vmBugOnPage(!p.PageLocked(), pfn, "!PageLocked(page)", srcFilemap, 565)
	s.vmBugOnPage(p.PageSwapBacked(), pfn, "PageSwapBacked(page)", srcFilemap, 566)
	s.GetPage(pfn)
	p.mapping = m.handle()
	p.index = offset
	if err := s.pageCacheTreeInsert(m, pfn, shadow); err != nil {
		p.mapping = 0
		s.PutPage(pfn)
		return err
	}
	s.PageZone(p).__incZoneState(NR_FILE_PAGES)
	if s.tracer != nil {
		s.emit("mm_filemap_add_to_page_cache", "page=%016x pfn=%d ofs=%d", pagePtr(pfn), pfn, offset<<PAGE_SHIFT)
	}
	return nil
}

// AddToPageCacheLRU is add_to_page_cache_lru(): lock the new page, insert
// it, and queue it for the inactive file LRU.
//
// Model: a refault of a shadow entry (workingset_refault) arrives with
// reclaim; until then no shadow entries exist and the page starts inactive.
func (s *System) AddToPageCacheLRU(pfn uint64, m *AddressSpace, offset uint64) error {
	s.Cover("add_to_page_cache_lru")
	p := &s.pages[pfn]
	p.setFlag(PG_locked)
	var shadow uint64
	if err := s.__addToPageCacheLocked(pfn, m, offset, &shadow); err != nil {
		p.clearFlag(PG_locked)
		return err
	}
	p.clearFlag(PG_active)
	s.lruCacheAdd(pfn)
	return nil
}

// pageCacheTreeDelete is page_cache_tree_delete(): clear the page's tags
// and replace it with shadow (0: remove the slot).
func (s *System) pageCacheTreeDelete(m *AddressSpace, pfn uint64, shadow uint64) {
	s.Cover("page_cache_tree_delete")
	idx := s.pages[pfn].index
	for tag := uint(0); tag < RADIX_TREE_MAX_TAGS; tag++ {
		if m.tree.TagGet(idx, tag) {
			m.tree.TagClear(idx, tag)
		}
	}
	m.nrpages--
	m.tree.Delete(idx)
	if shadow != 0 {
		m.nrshadows++
		m.tree.Insert(idx, shadow)
	}
}

// __deleteFromPageCache is __delete_from_page_cache(): out of the tree,
// mapping cleared, NR_FILE_PAGES (and NR_SHMEM, and a dirty page's
// NR_FILE_DIRTY) dropped. The caller holds the page lock and drops the
// cache's reference.
func (s *System) __deleteFromPageCache(pfn uint64, shadow uint64) {
	s.Cover("__delete_from_page_cache")
	p := &s.pages[pfn]
	m := s.mappings[p.mapping>>1]
	if s.tracer != nil {
		s.emit("mm_filemap_delete_from_page_cache", "page=%016x pfn=%d ofs=%d", pagePtr(pfn), pfn, p.index<<PAGE_SHIFT)
	}
	s.pageCacheTreeDelete(m, pfn, shadow)
	p.mapping = 0
	z := s.PageZone(p)
	z.__decZoneState(NR_FILE_PAGES)
	if p.PageSwapBacked() {
		z.__decZoneState(NR_SHMEM)
	}
	if p.mapcount > 0 {
		s.bug(srcFilemap, 202)
	}
	if p.PageDirty() && m.mappingCapAccountDirty() {
		z.modZonePageState(NR_FILE_DIRTY, -1)
		s.decBdiStat(m.BDI, BDI_RECLAIMABLE)
	}
	if s.hist != nil {
		s.hist.add(s, pfn, "deleted from page cache")
	}
}

// DeleteFromPageCache is delete_from_page_cache(): for a locked page.
func (s *System) DeleteFromPageCache(pfn uint64) {
	if !s.pages[pfn].PageLocked() {
		s.bug(srcFilemap, 230) // BUG_ON, not VM_BUG_ON_PAGE: no dump_page
	}
	s.__deleteFromPageCache(pfn, 0)
	s.PutPage(pfn)
}

// findGetEntry is find_get_entry(): the page (with a reference) or
// exceptional entry at offset.
func (s *System) findGetEntry(m *AddressSpace, offset uint64) (entry uint64, ok bool) {
	s.Cover("find_get_entry")
	e, ok := m.tree.Lookup(offset)
	if !ok {
		return 0, false
	}
	if !RadixTreeExceptionalEntry(e) {
		s.GetPage(RadixEntryToPFN(e))
	}
	return e, true
}

// FindGetPage is find_get_page(): the page at offset with a reference.
func (s *System) FindGetPage(m *AddressSpace, offset uint64) (uint64, bool) {
	e, ok := s.findGetEntry(m, offset)
	if !ok || RadixTreeExceptionalEntry(e) {
		return 0, false
	}
	return RadixEntryToPFN(e), true
}

// pagecache_get_page flags.
const (
	FGP_ACCESSED = 0x01
	FGP_LOCK     = 0x02
	FGP_CREAT    = 0x04
	FGP_WRITE    = 0x08
	FGP_NOFS     = 0x10
	FGP_NOWAIT   = 0x20
)

// PagecacheGetPage is pagecache_get_page(): find (and lock, mark accessed)
// the page at offset, or allocate and add one.
func (s *System) PagecacheGetPage(m *AddressSpace, offset uint64, fgp int, gfp GFP) (uint64, bool) {
	s.Cover("pagecache_get_page")
	for {
		pfn, ok := s.FindGetPage(m, offset)
		if ok {
			if fgp&FGP_LOCK != 0 {
				if fgp&FGP_NOWAIT != 0 {
					if !s.trylockPage(pfn) {
						s.PutPage(pfn)
						return 0, false
					}
				} else {
					s.lockPage(pfn)
				}
				if s.pages[pfn].mapping != m.handle() {
					s.unlockPage(pfn)
					s.PutPage(pfn)
					continue
				}
			}
			if fgp&FGP_ACCESSED != 0 {
				s.MarkPageAccessed(pfn)
			}
			return pfn, true
		}
		if fgp&FGP_CREAT == 0 {
			return 0, false
		}
		if fgp&FGP_WRITE != 0 && m.mappingCapAccountDirty() {
			gfp |= GFP_WRITE
		}
		if fgp&FGP_NOFS != 0 {
			gfp &^= GFP_FS
		}
		pfn, ok = s.pageCacheAlloc(gfp)
		if !ok {
			return 0, false
		}
		if fgp&FGP_ACCESSED != 0 {
			s.pages[pfn].setFlag(PG_referenced) // init_page_accessed
		}
		if err := s.AddToPageCacheLRU(pfn, m, offset); err != nil {
			s.PutPage(pfn)
			if err == errEEXIST {
				continue
			}
			return 0, false
		}
		return pfn, true
	}
}

// pageCacheAlloc is __page_cache_alloc(): without cpusets, alloc_pages.
func (s *System) pageCacheAlloc(gfp GFP) (uint64, bool) { return s.AllocPages(gfp, 0) }

// GrabCachePageWriteBegin is grab_cache_page_write_begin(): the locked
// page a write at index goes into.
func (s *System) GrabCachePageWriteBegin(m *AddressSpace, index uint64, nofs bool) (uint64, bool) {
	s.Cover("grab_cache_page_write_begin")
	fgp := FGP_LOCK | FGP_ACCESSED | FGP_WRITE | FGP_CREAT
	if nofs {
		fgp |= FGP_NOFS
	}
	pfn, ok := s.PagecacheGetPage(m, index, fgp, m.GFPMask)
	if ok {
		s.waitForStablePage(pfn)
	}
	return pfn, ok
}

// WaitForStablePage is the exported wait_for_stable_page().
func (s *System) WaitForStablePage(pfn uint64) { s.waitForStablePage(pfn) }

// waitForStablePage is wait_for_stable_page(): only devices that need
// stable pages during writeback wait.
func (s *System) waitForStablePage(pfn uint64) {
	if m := s.pageMapping(pfn); m != nil && m.BDI.Capabilities&BDI_CAP_STABLE_WRITES != 0 {
		s.WaitOnPageWriteback(pfn)
	}
}

// WaitOnPageWriteback is wait_on_page_writeback(): sleep until
// PG_writeback clears.
func (s *System) WaitOnPageWriteback(pfn uint64) {
	for s.pages[pfn].PageWriteback() {
		s.waitOnPageBit(pfn)
	}
}

// WaitOnPageLocked is wait_on_page_locked().
func (s *System) WaitOnPageLocked(pfn uint64) {
	for s.pages[pfn].PageLocked() {
		s.waitOnPageBit(pfn)
	}
}

// waitOnPageBit sleeps on the page's wait queue once.
func (s *System) waitOnPageBit(pfn uint64) {
	if s.sched == nil || s.sched.Current() == nil {
		// model-only check: sleeping outside a task; v3.16 has no such BUG.
		s.bug(srcFilemap, 720)
	}
	s.current().Wait(s.pageWaitqueue(pfn))
}

// EndPageWriteback is end_page_writeback(): a page reclaim marked gets
// rotated to the tail of its inactive list, then PG_writeback clears and
// waiters wake.
func (s *System) EndPageWriteback(pfn uint64) {
	s.CoverPage("end_page_writeback", pfn)
	p := &s.pages[pfn]
	if p.PageReclaimFlag() {
		p.clearFlag(PG_reclaim)
		s.rotateReclaimablePage(pfn)
	}
	if !s.testClearPageWriteback(pfn) {
		s.bug(srcFilemap, 769)
	}
	s.wakeUpPage(pfn)
}

// PageReclaimFlag is PageReclaim().
func (p *Page) PageReclaimFlag() bool { return p.testFlag(PG_reclaim) }

// AttachPagePrivate is attach_page_buffers()' page side: the page takes a
// reference for its private data and gets PG_private.
func (s *System) AttachPagePrivate(pfn uint64, private uint64) {
	s.GetPage(pfn)
	p := &s.pages[pfn]
	p.setFlag(PG_private)
	p.private = private
}

// ClearPagePrivate is __clear_page_buffers(): PG_private off, private
// cleared, the reference dropped.
func (s *System) ClearPagePrivate(pfn uint64) {
	p := &s.pages[pfn]
	p.clearFlag(PG_private)
	p.private = 0
	s.PutPage(pfn)
}

// LockPage, UnlockPage and TrylockPage export the page lock to
// filesystems.
func (s *System) LockPage(pfn uint64)         { s.lockPage(pfn) }
func (s *System) UnlockPage(pfn uint64)       { s.unlockPage(pfn) }
func (s *System) TrylockPage(pfn uint64) bool { return s.trylockPage(pfn) }

// GenericPerformWrite is generic_perform_write(): page by page,
// ->write_begin, copy in, ->write_end, then let balance_dirty_pages
// throttle the writer. The write's data is token, written into each page
// it touches (WriteToken).
func (s *System) GenericPerformWrite(m *AddressSpace, pos int64, length int64, token uint64) (int64, error) {
	return s.GenericPerformWriteNotify(m, pos, length, token, nil)
}

// GenericPerformWriteNotify is GenericPerformWrite that calls copied, if
// not nil, as each page takes the data (before anything can sleep): the
// data-integrity oracle follows the file's contents at the moment they
// change, in the order a write through a mapping would see them.
func (s *System) GenericPerformWriteNotify(m *AddressSpace, pos int64, length int64, token uint64, copied func(index uint64, offset, bytes int64)) (int64, error) {
	s.Cover("generic_perform_write")
	ops, ok := m.Ops.(WriteBeginEndOp)
	if !ok {
		return 0, errorString("EINVAL")
	}
	// __generic_file_write_iter (xfs_file_buffered_aio_write for xfs)
	// points current->backing_dev_info at the file's device for the
	// copy, and clears it after: reclaim lets the writer write to its
	// own device even when congested (may_write_to_queue).
	defer s.SetCurrentBackingDevInfo(s.SetCurrentBackingDevInfo(m.BDI))
	var written int64
	for length > 0 {
		offset := pos & (PAGE_SIZE - 1)
		bytes := min(PAGE_SIZE-offset, length)
		pfn, err := ops.WriteBegin(s, m, pos, int(bytes))
		if err != nil {
			if written > 0 {
				return written, nil
			}
			return 0, err
		}
		p := &s.pages[pfn]
		p.data = WriteToken(p.data, offset, bytes, token)
		if copied != nil {
			copied(uint64(pos)>>PAGE_SHIFT, offset, bytes)
		}
		n := ops.WriteEnd(s, m, pos, int(bytes), int(bytes), pfn)
		if n < 0 {
			break
		}
		s.condResched()
		pos += int64(n)
		written += int64(n)
		length -= int64(n)
		s.BalanceDirtyPagesRatelimited(m)
		if s.FatalSignalPending(s.current()) {
			// Killed: stop copying; what was written stays written.
			if written > 0 {
				return written, nil
			}
			return 0, EINTR
		}
	}
	return written, nil
}

// PageRead is one copy out of a page by a read: the page's index in the
// file and its content token at the copy. A read gives one per copy, in
// order: a page can be copied from twice (a read that stopped at i_size
// inside a page goes on in the same page when the file grew meanwhile),
// and each copy is what the page held at its moment.
type PageRead struct {
	Index, Data uint64
	// Len is how many bytes the read copied out of the page.
	Len int64
}

// DoGenericFileRead is do_generic_file_read(): page by page, find the page
// (reading ahead on a miss or at the readahead mark), wait for it to be
// up to date, mark it accessed, and copy it out. It returns each copy's
// page index and content token, for the data-integrity check.
func (s *System) DoGenericFileRead(m *AddressSpace, ra *FileRAState, pos, length int64) ([]PageRead, error) {
	s.Cover("do_generic_file_read")
	var tokens []PageRead
	index := uint64(pos) >> PAGE_SHIFT
	lastIndex := uint64(pos+length+PAGE_SIZE-1) >> PAGE_SHIFT
	prevIndex := uint64(ra.PrevPos) >> PAGE_SHIFT
	prevOffset := ra.PrevPos & (PAGE_SIZE - 1)
	offset := pos & (PAGE_SIZE - 1)
	for length > 0 {
		s.condResched()
		pfn, ok := s.FindGetPage(m, index)
		if !ok {
			s.pageCacheSyncReadahead(m, ra, index, lastIndex-index)
			pfn, ok = s.FindGetPage(m, index)
		}
		if !ok {
			// no_cached_page: readahead could not allocate; read this
			// one page ourselves.
			npfn, ok2 := s.pageCacheAlloc(GFP_HIGHUSER_MOVABLE | GFP_COLD)
			if !ok2 {
				return tokens, errorString("ENOMEM")
			}
			if err := s.AddToPageCacheLRU(npfn, m, index); err != nil {
				s.PutPage(npfn)
				if err == errEEXIST {
					continue
				}
				return tokens, err
			}
			m.Ops.Readpage(s, npfn)
			pfn = npfn
		}
		p := &s.pages[pfn]
		if p.testFlag(PG_readahead) {
			s.pageCacheAsyncReadahead(m, ra, pfn, index, lastIndex-index)
		}
		if !p.testFlag(PG_uptodate) {
			// page_not_up_to_date: lock_page_killable; a fatal
			// signal ends the read (readpage_error).
			if s.lockPageKillable(pfn) != 0 {
				s.PutPage(pfn)
				return s.genericFileReadOut(ra, tokens, prevIndex, prevOffset, EINTR)
			}
			if p.mapping == 0 {
				// Truncated meanwhile: try again.
				s.unlockPage(pfn)
				s.PutPage(pfn)
				continue
			}
			if !p.testFlag(PG_uptodate) {
				// readpage_error path aside, a locked !uptodate
				// page is read again.
				m.Ops.Readpage(s, pfn)
				if s.lockPageKillable(pfn) != 0 {
					s.PutPage(pfn)
					return s.genericFileReadOut(ra, tokens, prevIndex, prevOffset, EINTR)
				}
			}
			s.unlockPage(pfn)
		}
		isize := m.Host.ISize()
		endIndex := uint64(isize-1) >> PAGE_SHIFT
		if isize == 0 || index > endIndex {
			s.PutPage(pfn)
			break
		}
		nr := int64(PAGE_SIZE)
		if index == endIndex {
			nr = ((isize - 1) & (PAGE_SIZE - 1)) + 1
			if nr <= offset {
				s.PutPage(pfn)
				break
			}
		}
		nr -= offset
		if prevIndex != index || offset != prevOffset {
			s.MarkPageAccessed(pfn)
		}
		prevIndex = index
		n := min(nr, length)
		tokens = append(tokens, PageRead{index, p.data, n})
		offset += n
		index += uint64(offset >> PAGE_SHIFT)
		offset &= PAGE_SIZE - 1
		prevOffset = offset
		s.PutPage(pfn)
		length -= n
		pos += n
	}
	return s.genericFileReadOut(ra, tokens, prevIndex, prevOffset, nil)
}

// genericFileReadOut is do_generic_file_read's out: label: record where
// the read left off for readahead, and return what was read, or the error
// if nothing was.
func (s *System) genericFileReadOut(ra *FileRAState, tokens []PageRead, prevIndex uint64, prevOffset int64, err error) ([]PageRead, error) {
	ra.PrevPos = int64(prevIndex)<<PAGE_SHIFT | prevOffset
	if len(tokens) > 0 {
		return tokens, nil
	}
	return tokens, err
}

// WakeUpPage and WaitOnPageBit export the page wait queues to block I/O
// completion and its waiters (wake_up_page, wait_on_page_bit).
func (s *System) WakeUpPage(pfn uint64)    { s.wakeUpPage(pfn) }
func (s *System) WaitOnPageBit(pfn uint64) { s.waitOnPageBit(pfn) }
