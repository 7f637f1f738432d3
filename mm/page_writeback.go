// SPDX-License-Identifier: GPL-2.0-only

package mm

import "pagesim/sim"

// mm/page-writeback.c: dirtying pages, the writeback flags and their
// counters, write_cache_pages, and the dirty limits.

// pageIndex is page_index(): a swap-cache page is indexed by its
// swp_entry_t value, which page->private holds (swap hook).
func (s *System) pageIndex(pfn uint64) uint64 {
	p := &s.pages[pfn]
	if p.PageSwapCache() {
		return p.private
	}
	return p.index
}

// accountPageDirtied is account_page_dirtied().
func (s *System) accountPageDirtied(pfn uint64, m *AddressSpace) {
	s.Cover("account_page_dirtied")
	if s.tracer != nil {
		s.emit("writeback_dirty_page", "bdi %s: ino=%d index=%d", m.BDI.Name, hostIno(m), s.pages[pfn].index)
	}
	if m.mappingCapAccountDirty() {
		z := s.pfnZone(pfn)
		z.__incZoneState(NR_FILE_DIRTY)
		z.__incZoneState(NR_DIRTIED)
		m.BDI.Stat[BDI_RECLAIMABLE]++
		m.BDI.Stat[BDI_DIRTIED]++
		s.bdpRatelimits++
	}
}

func hostIno(m *AddressSpace) uint64 {
	if m.Host == nil {
		return 0
	}
	return m.Host.Ino()
}

// SetPageDirtyNobuffers is __set_page_dirty_nobuffers(): PG_dirty, the
// dirty accounting, the DIRTY tag, and the inode onto the dirty list.
func (s *System) SetPageDirtyNobuffers(pfn uint64) bool {
	s.Cover("__set_page_dirty_nobuffers")
	p := &s.pages[pfn]
	if p.testSetFlag(PG_dirty) {
		return false
	}
	m := s.pageMapping(pfn)
	if m == nil {
		return true
	}
	s.warnOnOnce(p.flags&(1<<PG_private) == 0 && !p.testFlag(PG_uptodate), "mm/page-writeback.c", 2167)
	s.accountPageDirtied(pfn, m)
	m.tree.TagSet(s.pageIndex(pfn), PAGECACHE_TAG_DIRTY)
	if m.Host != nil {
		m.Host.MarkInodeDirty(I_DIRTY_PAGES)
	}
	return true
}

// SetPageDirty is set_page_dirty(): through the mapping's ->set_page_dirty
// (or __set_page_dirty_buffers, the block default, which the filesystem
// package supplies through SetPageDirtyOp), clearing PG_reclaim first; a
// page without a mapping just gets PG_dirty.
func (s *System) SetPageDirty(pfn uint64) bool {
	s.CoverPage("set_page_dirty", pfn)
	p := &s.pages[pfn]
	if m := s.pageMapping(pfn); m != nil {
		p.clearFlag(PG_reclaim)
		if op, ok := m.Ops.(SetPageDirtyOp); ok {
			return op.SetPageDirty(s, pfn)
		}
		return s.SetPageDirtyNobuffers(pfn)
	}
	if !p.PageDirty() {
		return !p.testSetFlag(PG_dirty)
	}
	return false
}

// setPageDirty is SetPageDirty for the callers in this package.
func (s *System) setPageDirty(pfn uint64) bool { return s.SetPageDirty(pfn) }

// accountPageRedirty is account_page_redirty(): a page dirtied again
// without having been written does not count as newly dirtied.
func (s *System) accountPageRedirty(pfn uint64) {
	if m := s.pageMapping(pfn); m != nil && m.mappingCapAccountDirty() {
		s.pfnZone(pfn).modZonePageState(NR_DIRTIED, -1)
		m.BDI.Stat[BDI_DIRTIED]--
	}
}

// RedirtyPageForWritepage is redirty_page_for_writepage(): ->writepage
// declined; count the skip and make the page dirty again.
func (s *System) RedirtyPageForWritepage(wbc *WritebackControl, pfn uint64) bool {
	wbc.PagesSkipped++
	s.accountPageRedirty(pfn)
	return s.SetPageDirtyNobuffers(pfn)
}

// ClearPageDirtyForIO is clear_page_dirty_for_io(): before writing a
// locked page, write-protect its shared mappings (page_mkclean), carrying a
// dirty PTE's dirtiness over to the page, and move its dirtiness from
// PG_dirty to the write about to happen.
func (s *System) ClearPageDirtyForIO(pfn uint64) bool {
	s.CoverPage("clear_page_dirty_for_io", pfn)
	p := &s.pages[pfn]
	if !p.PageLocked() {
		s.bug("mm/page-writeback.c", 2295)
	}
	m := s.pageMapping(pfn)
	if m != nil && m.mappingCapAccountDirty() {
		if s.pageMkclean(pfn) {
			s.SetPageDirty(pfn)
		}
		if p.testClearFlag(PG_dirty) {
			s.pfnZone(pfn).modZonePageState(NR_FILE_DIRTY, -1)
			m.BDI.Stat[BDI_RECLAIMABLE]--
			return true
		}
		return false
	}
	return p.testClearFlag(PG_dirty)
}

// SetPageWriteback is set_page_writeback() (__test_set_page_writeback
// with keep_write false).
func (s *System) SetPageWriteback(pfn uint64) bool { return s.__testSetPageWriteback(pfn, false) }

// SetPageWritebackKeepwrite is set_page_writeback_keepwrite().
func (s *System) SetPageWritebackKeepwrite(pfn uint64) bool {
	return s.__testSetPageWriteback(pfn, true)
}

// __testSetPageWriteback is __test_set_page_writeback(): PG_writeback, the
// WRITEBACK tag, the tags of a page no longer dirty cleared, NR_WRITEBACK.
// Returns whether the page already was under writeback.
func (s *System) __testSetPageWriteback(pfn uint64, keepWrite bool) bool {
	s.Cover("__test_set_page_writeback")
	p := &s.pages[pfn]
	var ret bool
	if m := s.pageMapping(pfn); m != nil {
		idx := s.pageIndex(pfn)
		ret = p.testSetFlag(PG_writeback)
		if !ret {
			m.tree.TagSet(idx, PAGECACHE_TAG_WRITEBACK)
			if m.BDI.bdiCapAccountWriteback() {
				m.BDI.Stat[BDI_WRITEBACK]++
			}
		}
		if !p.PageDirty() {
			m.tree.TagClear(idx, PAGECACHE_TAG_DIRTY)
		}
		if !keepWrite {
			m.tree.TagClear(idx, PAGECACHE_TAG_TOWRITE)
		}
	} else {
		ret = p.testSetFlag(PG_writeback)
	}
	if !ret {
		s.pfnZone(pfn).modZonePageState(NR_WRITEBACK, 1)
	}
	return ret
}

// testClearPageWriteback is test_clear_page_writeback().
func (s *System) testClearPageWriteback(pfn uint64) bool {
	s.Cover("test_clear_page_writeback")
	p := &s.pages[pfn]
	var ret bool
	if m := s.pageMapping(pfn); m != nil {
		ret = p.testClearFlag(PG_writeback)
		if ret {
			m.tree.TagClear(s.pageIndex(pfn), PAGECACHE_TAG_WRITEBACK)
			if m.BDI.bdiCapAccountWriteback() {
				m.BDI.Stat[BDI_WRITEBACK]--
				m.BDI.Stat[BDI_WRITTEN]++
			}
		}
	} else {
		ret = p.testClearFlag(PG_writeback)
	}
	if ret {
		z := s.pfnZone(pfn)
		z.modZonePageState(NR_WRITEBACK, -1)
		z.__incZoneState(NR_WRITTEN)
	}
	return ret
}

// tagPagesForWriteback is tag_pages_for_writeback(): DIRTY pages in the
// range get TOWRITE, so a sync writes what was dirty when it started.
func (s *System) tagPagesForWriteback(m *AddressSpace, start, end uint64) {
	s.Cover("tag_pages_for_writeback")
	for start <= end {
		tagged, next := m.tree.RangeTagIfTagged(start, end, 4096, PAGECACHE_TAG_DIRTY, PAGECACHE_TAG_TOWRITE)
		if tagged < 4096 || next == 0 || next > end {
			break
		}
		start = next
		s.condResched()
	}
}

// writepageFn is the per-page callback of write_cache_pages.
type writepageFn func(pfn uint64, wbc *WritebackControl) int

// WriteCachePages is write_cache_pages(): walk the DIRTY (or, for data
// integrity, TOWRITE) tagged pages of the range in index order, a pagevec
// at a time; lock each, skip it if truncated, clean or (for WB_SYNC_NONE)
// under writeback, else clear its dirtiness for I/O and call writepage.
func (s *System) WriteCachePages(m *AddressSpace, wbc *WritebackControl, writepage writepageFn) int {
	s.Cover("write_cache_pages")
	ret := 0
	done := false
	var index, end, writebackIndex uint64
	cycled := true
	rangeWhole := false
	if wbc.RangeCyclic {
		writebackIndex = m.writebackIndex
		index = writebackIndex
		cycled = index == 0
		end = ^uint64(0)
	} else {
		index = uint64(wbc.RangeStart) >> PAGE_SHIFT
		end = uint64(wbc.RangeEnd) >> PAGE_SHIFT
		rangeWhole = wbc.RangeStart == 0 && wbc.RangeEnd == LLONG_MAX
	}
	tag := uint(PAGECACHE_TAG_DIRTY)
	if wbc.SyncMode == WB_SYNC_ALL || wbc.TaggedWritepages {
		tag = PAGECACHE_TAG_TOWRITE
	}
	var items []RadixItem
	var pvec []uint64
retry:
	if wbc.SyncMode == WB_SYNC_ALL || wbc.TaggedWritepages {
		s.tagPagesForWriteback(m, index, end)
	}
	doneIndex := index
	for !done && index <= end {
		// pagevec_lookup_tag takes a reference on each page.
		items = m.tree.GangLookupTag(items[:0], index, min(int(min(end-index, PAGEVEC_SIZE-1))+1, PAGEVEC_SIZE), tag)
		if len(items) == 0 {
			break
		}
		pvec = pvec[:0]
		for _, it := range items {
			pfn := RadixEntryToPFN(it.Entry)
			s.GetPage(pfn)
			pvec = append(pvec, pfn)
		}
		index = items[len(items)-1].Index + 1
		for _, pfn := range pvec {
			p := &s.pages[pfn]
			if p.index > end {
				done = true
				break
			}
			doneIndex = p.index
			s.lockPage(pfn)
			if p.mapping != m.handle() || !p.PageDirty() {
				s.unlockPage(pfn)
				continue
			}
			if p.PageWriteback() {
				if wbc.SyncMode != WB_SYNC_NONE {
					s.WaitOnPageWriteback(pfn)
				} else {
					s.unlockPage(pfn)
					continue
				}
			}
			if p.PageWriteback() {
				s.bug("mm/page-writeback.c", 1941)
			}
			if !s.ClearPageDirtyForIO(pfn) {
				s.unlockPage(pfn)
				continue
			}
			r := writepage(pfn, wbc)
			if r != 0 {
				if r == AOP_WRITEPAGE_ACTIVATE {
					s.unlockPage(pfn)
					r = 0
				} else {
					ret = r
					doneIndex = p.index + 1
					done = true
					break
				}
			}
			wbc.NrToWrite--
			if wbc.NrToWrite <= 0 && wbc.SyncMode == WB_SYNC_NONE {
				done = true
				break
			}
		}
		s.releasePages(pvec, false) // pagevec_release
		s.condResched()
	}
	if !cycled && !done {
		cycled = true
		index = 0
		end = writebackIndex - 1
		goto retry
	}
	if wbc.RangeCyclic || (rangeWhole && wbc.NrToWrite > 0) {
		m.writebackIndex = doneIndex
	}
	return ret
}

// GenericWritepages is generic_writepages(): under a block plug,
// write_cache_pages calling ->writepage for each page (__writepage),
// which must unlock it.
func (s *System) GenericWritepages(m *AddressSpace, wbc *WritebackControl) int {
	var plug BlkPlug
	s.BlkStartPlug(&plug)
	defer s.BlkFinishPlug(&plug)
	return s.WriteCachePages(m, wbc, func(pfn uint64, wbc *WritebackControl) int {
		r := m.Ops.Writepage(s, pfn, wbc)
		if r < 0 {
			m.Flags |= AS_EIO // mapping_set_error
		}
		return r
	})
}

// DoWritepages is do_writepages(): ->writepages if the filesystem has one.
func (s *System) DoWritepages(m *AddressSpace, wbc *WritebackControl) int {
	if wbc.NrToWrite <= 0 {
		return 0
	}
	if op, ok := m.Ops.(WritepagesOp); ok {
		return op.Writepages(s, m, wbc)
	}
	return s.GenericWritepages(m, wbc)
}

// FilemapFdatawriteRange is __filemap_fdatawrite_range().
func (s *System) FilemapFdatawriteRange(m *AddressSpace, start, end int64, syncMode int) int {
	if !m.mappingCapWriteback() {
		return 0
	}
	wbc := &WritebackControl{SyncMode: syncMode, NrToWrite: LLONG_MAX, RangeStart: start, RangeEnd: end}
	return s.DoWritepages(m, wbc)
}

// FilemapFdatawaitRange is filemap_fdatawait_range(): wait for every page
// under writeback in the range, then report any error the mapping saw.
func (s *System) FilemapFdatawaitRange(m *AddressSpace, start, end int64) error {
	s.Cover("filemap_fdatawait_range")
	if end < start {
		return nil
	}
	index, last := uint64(start)>>PAGE_SHIFT, uint64(end)>>PAGE_SHIFT
	var items []RadixItem
	for index <= last {
		items = m.tree.GangLookupTag(items[:0], index, int(min(last-index, PAGEVEC_SIZE-1))+1, PAGECACHE_TAG_WRITEBACK)
		if len(items) == 0 {
			break
		}
		var pvec []uint64
		for _, it := range items {
			pfn := RadixEntryToPFN(it.Entry)
			s.GetPage(pfn)
			pvec = append(pvec, pfn)
		}
		index = items[len(items)-1].Index + 1
		for _, pfn := range pvec {
			if s.pages[pfn].index > last {
				continue
			}
			s.WaitOnPageWriteback(pfn)
		}
		s.releasePages(pvec, false)
		s.condResched()
	}
	var err error
	if m.Flags&AS_ENOSPC != 0 {
		err = errorString("ENOSPC")
	}
	if m.Flags&AS_EIO != 0 {
		err = errorString("EIO")
	}
	m.Flags &^= AS_EIO | AS_ENOSPC
	return err
}

// FilemapWriteAndWaitRange is filemap_write_and_wait_range(), what fsync
// starts with: write the range with WB_SYNC_ALL and wait for it.
func (s *System) FilemapWriteAndWaitRange(m *AddressSpace, start, end int64) error {
	if m.nrpages == 0 {
		return nil
	}
	if r := s.FilemapFdatawriteRange(m, start, end, WB_SYNC_ALL); r != 0 && r != -5 {
		return errorString("EIO")
	}
	return s.FilemapFdatawaitRange(m, start, end)
}

// Dirty-limit sysctls (vm.dirty_ratio and friends), with v3.16's defaults.
type DirtySysctls struct {
	DirtyBackgroundRatio    int // percent, default 10
	DirtyBackgroundBytes    uint64
	DirtyRatio              int // percent, default 20
	DirtyBytes              uint64
	DirtyWritebackCentisecs int // 500
	DirtyExpireCentisecs    int // 3000
	LaptopMode              int
}

// DefaultDirtySysctls are v3.16's defaults.
var DefaultDirtySysctls = DirtySysctls{DirtyBackgroundRatio: 10, DirtyRatio: 20, DirtyWritebackCentisecs: 500, DirtyExpireCentisecs: 3000}

// Dirty returns the dirty sysctls for writing.
func (s *System) Dirty() *DirtySysctls { return &s.dirty }

// globalDirtyableMemory is global_dirtyable_memory(): free pages above
// the reserves plus the file LRU (no highmem).
func (s *System) globalDirtyableMemory() uint64 {
	x := uint64(s.GlobalPageState(NR_FREE_PAGES))
	x -= min(x, s.dirtyBalanceReserve)
	x += uint64(s.GlobalPageState(NR_INACTIVE_FILE) + s.GlobalPageState(NR_ACTIVE_FILE))
	return x + 1 // ensure non-zero
}

// GlobalDirtyLimits is global_dirty_limits(): the background and hard
// thresholds in pages, raised by a quarter for PF_LESS_THROTTLE tasks.
func (s *System) GlobalDirtyLimits() (background, dirty uint64) {
	s.Cover("global_dirty_limits")
	available := s.globalDirtyableMemory()
	if s.dirty.DirtyBytes != 0 {
		dirty = (s.dirty.DirtyBytes + PAGE_SIZE - 1) / PAGE_SIZE
	} else {
		dirty = uint64(s.dirty.DirtyRatio) * available / 100
	}
	if s.dirty.DirtyBackgroundBytes != 0 {
		background = (s.dirty.DirtyBackgroundBytes + PAGE_SIZE - 1) / PAGE_SIZE
	} else {
		background = uint64(s.dirty.DirtyBackgroundRatio) * available / 100
	}
	if background >= dirty {
		background = dirty / 2
	}
	if s.current().Flags&sim.PF_LESS_THROTTLE != 0 {
		background += background / 4
		dirty += dirty / 4
	}
	return background, dirty
}

// zoneDirtyableMemory is zone_dirtyable_memory().
func (z *Zone) zoneDirtyableMemory() uint64 {
	n := uint64(z.zonePageState(NR_FREE_PAGES))
	n -= min(n, z.dirtyBalanceReserve)
	n += uint64(z.zonePageState(NR_INACTIVE_FILE) + z.zonePageState(NR_ACTIVE_FILE))
	return n
}

// zoneDirtyLimit is zone_dirty_limit().
func (z *Zone) zoneDirtyLimit() uint64 {
	z.sys.Cover("zone_dirty_limit")
	s := z.sys
	dirtyable := z.zoneDirtyableMemory()
	var dirty uint64
	if s.dirty.DirtyBytes != 0 {
		dirty = (s.dirty.DirtyBytes + PAGE_SIZE - 1) / PAGE_SIZE * dirtyable / s.globalDirtyableMemory()
	} else {
		dirty = uint64(s.dirty.DirtyRatio) * dirtyable / 100
	}
	if s.current().Flags&sim.PF_LESS_THROTTLE != 0 {
		dirty += dirty / 4
	}
	return dirty
}

// zoneDirtyOk is zone_dirty_ok(): the zone holds no more than its share of
// dirty and writeback pages.
func (z *Zone) zoneDirtyOk() bool {
	limit := z.zoneDirtyLimit()
	return uint64(z.zonePageState(NR_FILE_DIRTY)+z.zonePageState(NR_UNSTABLE_NFS)+z.zonePageState(NR_WRITEBACK)) <= limit
}

// BalanceDirtyPagesRatelimited is balance_dirty_pages_ratelimited(): every
// so many dirtied pages, check the limits: above the background threshold
// wake the flusher; above the hard limit the dirtier sleeps while writeback
// catches up.
//
// Model: v3.16's balance_dirty_pages steers each task's dirtying rate from
// the bdi's measured write bandwidth (pos_ratio, task_ratelimit). The model
// keeps the thresholds and the flusher wake-up but throttles simply: above
// the hard limit the task sleeps in 200 ms steps (MAX_PAUSE) until dirty
// and writeback pages fall below the midpoint of the two thresholds, the
// "freerun" boundary.
func (s *System) BalanceDirtyPagesRatelimited(m *AddressSpace) {
	s.Cover("balance_dirty_pages_ratelimited")
	if !m.mappingCapAccountDirty() {
		return
	}
	// ratelimit_pages: check every 32 pages a task dirties.
	if s.bdpRatelimits < 32 {
		return
	}
	s.bdpRatelimits = 0
	for tries := 0; tries < 1000; tries++ {
		nrDirty := uint64(s.GlobalPageState(NR_FILE_DIRTY) + s.GlobalPageState(NR_UNSTABLE_NFS) + s.GlobalPageState(NR_WRITEBACK))
		background, dirty := s.GlobalDirtyLimits()
		if nrDirty > background && m.BDI.Flusher != nil {
			m.BDI.Flusher.StartBackgroundWriteback()
		}
		if nrDirty <= (background+dirty)/2 || s.sched == nil || s.sched.Current() == nil {
			return
		}
		s.current().Sleep(200 * 1e6)
	}
}
