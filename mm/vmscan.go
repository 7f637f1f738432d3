// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"fmt"

	"pagesim/klog"
	"pagesim/sim"
)

// mm/vmscan.c: page reclaim. kswapd balances each node's zones to their
// high watermarks in the background; an allocation that fails its
// watermarks reclaims directly (try_to_free_pages). Both scan the LRU
// lists in proportion to their size and the anon/file balance
// (get_scan_count), age active pages onto the inactive lists
// (shrink_active_list) and try to free inactive ones (shrink_page_list):
// unmap them, write dirty ones (only kswapd writes file pages, and only
// once the zone is flagged as having dirty pages at its LRU tail), put
// anonymous ones in swap, and free what is clean.
//
// Model, for the whole file: there is one lruvec per zone (no memcg), no
// slab shrinkers, no soft limits and no vmpressure notifications.

// Reclaim constants (SWAP_CLUSTER_MAX is the batch).
const (
	SWAP_CLUSTER_MAX              = 32
	DEF_PRIORITY                  = 12
	KSWAPD_ZONE_BALANCE_GAP_RATIO = 100
)

// isolate_mode_t bits.
const (
	ISOLATE_CLEAN         = 0x1
	ISOLATE_UNMAPPED      = 0x2
	ISOLATE_ASYNC_MIGRATE = 0x4
	ISOLATE_UNEVICTABLE   = 0x8
)

// Zone flags, enum zone_flags.
const (
	ZONE_RECLAIM_LOCKED = iota
	ZONE_OOM_LOCKED
	ZONE_CONGESTED
	ZONE_TAIL_LRU_DIRTY
	ZONE_WRITEBACK
)

// scanControl is struct scan_control.
type scanControl struct {
	nrScanned, nrReclaimed, nrToReclaim uint64
	hibernationMode                     bool
	gfpMask                             GFP
	mayWritepage, mayUnmap, maySwap     bool
	order                               int
	priority                            int
	swappiness                          int
}

func (z *Zone) setFlag(f int)       { z.flags |= 1 << f }
func (z *Zone) clearZoneFlag(f int) { z.flags &^= 1 << f }
func (z *Zone) testFlag(f int) bool { return z.flags&(1<<f) != 0 }

// currentIsKswapd is current_is_kswapd().
func (s *System) currentIsKswapd() bool { return s.current().Flags&sim.PF_KSWAPD != 0 }

// getLRUSize is get_lru_size().
func (z *Zone) getLRUSize(lru int) uint64 {
	return uint64(z.zonePageState(NR_LRU_BASE + ZoneStatItem(lru)))
}

// isFileLRU and isActiveLRU are is_file_lru() and is_active_lru().
func isFileLRU(lru int) bool   { return lru == LRU_INACTIVE_FILE || lru == LRU_ACTIVE_FILE }
func isActiveLRU(lru int) bool { return lru == LRU_ACTIVE_ANON || lru == LRU_ACTIVE_FILE }

// isPageCacheFreeable is is_page_cache_freeable(): only the isolating
// caller, the cache and any buffers hold the page.
func (s *System) isPageCacheFreeable(pfn uint64) bool {
	p := &s.pages[pfn]
	return p.count-b2i32(p.flags&PAGE_FLAGS_PRIVATE != 0) == 2
}

// totalSwapPages is total_swap_pages.
func (s *System) totalSwapPages() int64 { return s.swap.totalSwapPages }

// mayWriteToQueue is may_write_to_queue(): PF_SWAPWRITE tasks (kswapd)
// always may; others only to a device that is not write-congested, or to
// the one they are writing a file to (current->backing_dev_info).
func (s *System) mayWriteToQueue(bdi *BackingDevInfo) bool {
	if s.current().Flags&sim.PF_SWAPWRITE != 0 {
		return true
	}
	if !bdi.bdiWriteCongested() {
		return true
	}
	return bdi == s.CurrentBackingDevInfo()
}

// pageout results.
const (
	PAGE_KEEP = iota
	PAGE_ACTIVATE
	PAGE_SUCCESS
	PAGE_CLEAN
)

// reclaimerName says which reclaim a task's flags make it: what the
// writepage WARNs test.
func reclaimerName(flags uint32) string {
	switch {
	case flags&sim.PF_KSWAPD != 0:
		return "kswapd"
	case flags&sim.PF_MEMALLOC != 0:
		return "direct reclaim"
	}
	return "reclaim"
}

// pageout is pageout(): write a dirty page through ->writepage, marked
// PG_reclaim so that its writeback completion rotates it for reclaim. An
// orphaned page (no mapping) is cleaned only by dropping its buffers; a
// mapping with no ->writepage has its page activated.
func (s *System) pageout(pfn uint64, m *AddressSpace, sc *scanControl) int {
	s.CoverPage("pageout", pfn)
	p := &s.pages[pfn]
	if !s.isPageCacheFreeable(pfn) {
		s.Cover("pageout:not_freeable")
		return PAGE_KEEP
	}
	if m == nil {
		if p.flags&PAGE_FLAGS_PRIVATE != 0 {
			if s.tryToFreeBuffers(pfn) {
				s.Cover("pageout:orphaned")
				p.clearFlag(PG_dirty)
				s.logf(klog.KernInfo, "pageout: orphaned page\n")
				return PAGE_CLEAN
			}
		}
		return PAGE_KEEP
	}
	if _, ok := m.Ops.(NoWritepageOp); ok {
		s.Cover("pageout:no_writepage")
		return PAGE_ACTIVATE
	}
	if !s.mayWriteToQueue(m.BDI) {
		s.Cover("pageout:congested")
		return PAGE_KEEP
	}
	if s.ClearPageDirtyForIO(pfn) {
		wbc := &WritebackControl{SyncMode: WB_SYNC_NONE, NrToWrite: SWAP_CLUSTER_MAX, RangeEnd: LLONG_MAX, ForReclaim: true}
		p.setFlag(PG_reclaim)
		if s.hist != nil {
			s.hist.add(s, pfn, fmt.Sprintf("pageout: ->writepage from %s by %s pid %d, flags %s",
				reclaimerName(s.current().Flags), s.current().Comm, s.current().PID, FlagNames(p.flags)))
		}
		s.Cover("pageout:writepage")
		res := m.Ops.Writepage(s, pfn, wbc)
		if res < 0 {
			// handle_write_error
			s.lockPage(pfn)
			if s.pageMapping(pfn) == m {
				m.mappingSetError(res)
			}
			s.unlockPage(pfn)
		}
		if res == AOP_WRITEPAGE_ACTIVATE {
			p.clearFlag(PG_reclaim)
			return PAGE_ACTIVATE
		}
		if !p.PageWriteback() {
			p.clearFlag(PG_reclaim)
		}
		if s.tracer != nil {
			s.emit("mm_vmscan_writepage", "page=%016x pfn=%d flags=%s", pagePtr(pfn), pfn, traceReclaimFlags(p))
		}
		s.pfnZone(pfn).modZonePageState(NR_VMSCAN_WRITE, 1)
		return PAGE_SUCCESS
	}
	return PAGE_CLEAN
}

// traceReclaimFlags is trace_reclaim_flags().
func traceReclaimFlags(p *Page) string {
	if p.pageIsFileCache() {
		return "RECLAIM_WB_FILE|RECLAIM_WB_ASYNC"
	}
	return "RECLAIM_WB_ANON|RECLAIM_WB_ASYNC"
}

// __removeMapping is __remove_mapping() (swap): the end of
// shrink_page_list for a locked, isolated, unmapped page: if only the
// isolation and the cache hold it (the refcount freezes from 2 to 0) and
// it is clean, it leaves the swap cache (giving up its SWAP_HAS_CACHE) or
// the page cache. The caller then frees it (__clear_page_locked and
// free_hot_cold_page_list).
//
// Model: workingset shadow entries are not stored (reclaim's refault
// detection arrives with reclaim); ->freepage is not modeled.
func (s *System) __removeMapping(m *AddressSpace, pfn uint64, reclaimed bool) bool {
	s.CoverPage("__remove_mapping", pfn)
	p := &s.pages[pfn]
	if !p.PageLocked() {
		s.bug("mm/vmscan.c", 535)
	}
	if m != s.pageMapping(pfn) {
		s.bug("mm/vmscan.c", 536)
	}
	// page_freeze_refs(page, 2), then the dirty check.
	if p.count != 2 {
		return false
	}
	if p.PageDirty() {
		return false
	}
	p.count = 0
	if p.PageSwapCache() {
		entry := swpEntryFromVal(p.private)
		s.__deleteFromSwapCache(pfn)
		s.swapcacheFree(entry)
	} else {
		s.__deleteFromPageCache(pfn, 0)
	}
	return true
}

// RemoveMapping is remove_mapping(): __remove_mapping, then the count is
// unfrozen to the caller's one reference.
func (s *System) RemoveMapping(m *AddressSpace, pfn uint64) bool {
	if s.__removeMapping(m, pfn, false) {
		s.pages[pfn].count = 1
		return true
	}
	return false
}

// page_check_references results.
const (
	PAGEREF_RECLAIM = iota
	PAGEREF_RECLAIM_CLEAN
	PAGEREF_KEEP
	PAGEREF_ACTIVATE
)

// pageCheckReferences is page_check_references(): a page referenced
// through its PTEs is activated if swap-backed, used twice, mapped more
// than once or executable, else kept once more; an unmapped file page only
// referenced through the page cache may be reclaimed if clean.
func (s *System) pageCheckReferences(pfn uint64, sc *scanControl) int {
	s.CoverPage("page_check_references", pfn)
	referencedPtes, vmFlags := s.pageReferenced(pfn, true)
	p := &s.pages[pfn]
	referencedPage := p.testClearFlag(PG_referenced)
	if vmFlags&VM_LOCKED != 0 {
		return PAGEREF_RECLAIM
	}
	if referencedPtes != 0 {
		if p.PageSwapBacked() {
			return PAGEREF_ACTIVATE
		}
		p.setFlag(PG_referenced)
		if referencedPage || referencedPtes > 1 {
			return PAGEREF_ACTIVATE
		}
		if vmFlags&VM_EXEC != 0 {
			return PAGEREF_ACTIVATE
		}
		return PAGEREF_KEEP
	}
	if referencedPage && !p.PageSwapBacked() {
		return PAGEREF_RECLAIM_CLEAN
	}
	return PAGEREF_RECLAIM
}

// pageCheckDirtyWriteback is page_check_dirty_writeback(): a page that
// is not page_is_file_cache() (anon, swap cache, shmem) counts as neither
// dirty nor under writeback, since the flushers never write it; a file
// page reports its own flags (no filesystem in v3.16 has
// ->is_dirty_writeback).
func (s *System) pageCheckDirtyWriteback(pfn uint64) (dirty, writeback bool) {
	p := &s.pages[pfn]
	if !p.pageIsFileCache() {
		return false, false
	}
	return p.PageDirty(), p.PageWriteback()
}

// shrinkStats are the counts shrink_page_list returns by pointer.
type shrinkStats struct {
	nrDirty, nrUnqueuedDirty, nrCongested, nrWriteback, nrImmediate uint64
}

// shrinkPageList is shrink_page_list(): try to free each isolated page.
// Pages not freed come back in the returned list for putback.
func (s *System) shrinkPageList(pages []uint64, z *Zone, sc *scanControl, ttuFlags int, forceReclaim bool, st *shrinkStats) (nrReclaimed uint64, ret []uint64) {
	s.Cover("shrink_page_list")
	var freePages []uint64
	pgactivate := uint64(0)
	s.condResched()
	for _, pfn := range pages {
		p := &s.pages[pfn]
		references := PAGEREF_RECLAIM_CLEAN
		s.condResched()
		if !s.trylockPage(pfn) {
			s.Cover("shrink_page_list:trylock_fail")
			ret = append(ret, pfn) // keep
			continue
		}
		s.vmBugOnPage(p.PageActive(), pfn, "PageActive(page)", "mm/vmscan.c", 835)
		s.vmBugOnPage(s.PageZone(p) != z, pfn, "page_zone(page) != zone", "mm/vmscan.c", 836)
		sc.nrScanned++
		mapping := s.pageMapping(pfn)
		var mayEnterFS bool
		if !s.pageEvictable(pfn) {
			goto cullMlocked
		}
		if !sc.mayUnmap && p.mapcount > 0 {
			goto keepLocked
		}
		if p.mapcount > 0 || p.PageSwapCache() {
			sc.nrScanned++
		}
		mayEnterFS = sc.gfpMask&GFP_FS != 0 || (p.PageSwapCache() && sc.gfpMask&GFP_IO != 0)
		{
			dirty, writeback := s.pageCheckDirtyWriteback(pfn)
			if dirty || writeback {
				st.nrDirty++
			}
			if dirty && !writeback {
				st.nrUnqueuedDirty++
			}
			if (mapping != nil && mapping.BDI.bdiWriteCongested()) || (writeback && p.PageReclaimFlag()) {
				st.nrCongested++
			}
		}
		if p.PageWriteback() {
			if s.currentIsKswapd() && p.PageReclaimFlag() && z.testFlag(ZONE_WRITEBACK) {
				s.Cover("shrink_page_list:writeback_immediate")
				st.nrImmediate++
				goto keepLocked
			}
			// global reclaim: mark and move on.
			s.Cover("shrink_page_list:writeback_mark_reclaim")
			p.setFlag(PG_reclaim)
			st.nrWriteback++
			goto keepLocked
		}
		if !forceReclaim {
			references = s.pageCheckReferences(pfn, sc)
		}
		switch references {
		case PAGEREF_ACTIVATE:
			s.Cover("shrink_page_list:ref_activate")
			goto activateLocked
		case PAGEREF_KEEP:
			s.Cover("shrink_page_list:ref_keep")
			goto keepLocked
		}
		// Anonymous memory goes to swap first.
		if p.PageAnon() && !p.PageSwapCache() {
			if sc.gfpMask&GFP_IO == 0 {
				s.Cover("shrink_page_list:anon_noio")
				goto keepLocked
			}
			if !s.addToSwap(pfn) {
				s.Cover("shrink_page_list:add_to_swap_fail")
				goto activateLocked
			}
			s.Cover("shrink_page_list:add_to_swap")
			mayEnterFS = true
			mapping = s.pageMapping(pfn)
		}
		if p.mapcount > 0 && mapping != nil {
			switch s.tryToUnmap(pfn, ttuFlags) {
			case SWAP_FAIL:
				s.Cover("shrink_page_list:unmap_fail")
				goto activateLocked
			case SWAP_AGAIN:
				s.Cover("shrink_page_list:unmap_again")
				goto keepLocked
			case SWAP_MLOCK:
				s.Cover("shrink_page_list:unmap_mlock")
				goto cullMlocked
			}
			s.Cover("shrink_page_list:unmapped")
		}
		if p.PageDirty() {
			// Only kswapd writes file pages, and only when the zone's
			// LRU tail is full of them: direct reclaim never calls
			// ->writepage on a page_is_file_cache() page.
			if p.pageIsFileCache() && (!s.currentIsKswapd() || !z.testFlag(ZONE_TAIL_LRU_DIRTY)) {
				s.Cover("shrink_page_list:dirty_file_keep")
				z.modZonePageState(NR_VMSCAN_IMMEDIATE, 1)
				p.setFlag(PG_reclaim)
				goto keepLocked
			}
			if references == PAGEREF_RECLAIM_CLEAN || !mayEnterFS || !sc.mayWritepage {
				s.Cover("shrink_page_list:dirty_no_writepage")
				goto keepLocked
			}
			s.Cover("shrink_page_list:pageout")
			switch s.pageout(pfn, mapping, sc) {
			case PAGE_KEEP:
				s.Cover("shrink_page_list:pageout_keep")
				goto keepLocked
			case PAGE_ACTIVATE:
				s.Cover("shrink_page_list:pageout_activate")
				goto activateLocked
			case PAGE_SUCCESS:
				s.Cover("shrink_page_list:pageout_success")
				if p.PageWriteback() || p.PageDirty() {
					ret = append(ret, pfn) // keep
					continue
				}
				if !s.trylockPage(pfn) {
					ret = append(ret, pfn)
					continue
				}
				if p.PageDirty() || p.PageWriteback() {
					goto keepLocked
				}
				mapping = s.pageMapping(pfn)
			}
		}
		if p.flags&PAGE_FLAGS_PRIVATE != 0 {
			if !s.tryToReleasePage(pfn, sc.gfpMask) {
				s.Cover("shrink_page_list:release_fail")
				goto activateLocked
			}
			if mapping == nil && p.count == 1 {
				s.Cover("shrink_page_list:release_orphan")
				s.unlockPage(pfn)
				if s.putPageTestzero(pfn) {
					goto freeIt
				}
				nrReclaimed++
				continue
			}
		}
		if mapping == nil || !s.__removeMapping(mapping, pfn, true) {
			s.Cover("shrink_page_list:remove_mapping_fail")
			goto keepLocked
		}
		p.clearFlag(PG_locked) // __clear_page_locked
	freeIt:
		s.Cover("shrink_page_list:free_it")
		nrReclaimed++
		if s.hist != nil {
			s.hist.add(s, pfn, "reclaimed by "+s.current().Comm)
		}
		freePages = append(freePages, pfn)
		continue
	cullMlocked:
		s.Cover("shrink_page_list:cull_mlocked")
		if p.PageSwapCache() {
			s.tryToFreeSwap(pfn)
		}
		s.unlockPage(pfn)
		s.putbackLRUPage(pfn)
		continue
	activateLocked:
		s.Cover("shrink_page_list:activate")
		if p.PageSwapCache() && s.vmSwapFull() {
			s.tryToFreeSwap(pfn)
		}
		s.vmBugOnPage(p.PageActive(), pfn, "PageActive(page)", "mm/vmscan.c", 1120)
		p.setFlag(PG_active)
		pgactivate++
	keepLocked:
		s.unlockPage(pfn)
		ret = append(ret, pfn)
		s.vmBugOnPage(p.PageLRU() || p.PageUnevictable(), pfn, "PageLRU(page) || PageUnevictable(page)", "mm/vmscan.c", 1127)
	}
	// list_add reversed the free list; free_hot_cold_page_list frees cold.
	for i, j := 0, len(freePages)-1; i < j; i, j = i+1, j-1 {
		freePages[i], freePages[j] = freePages[j], freePages[i]
	}
	s.FreeHotColdPageList(freePages, true)
	s.countVMEvents(PGACTIVATE, pgactivate)
	return nrReclaimed, ret
}

// tryToReleasePage is try_to_release_page(): the filesystem's
// ->releasepage drops the page's private data if it can; a page with no
// mapping, or whose mapping has no ->releasepage, goes to
// try_to_free_buffers.
func (s *System) tryToReleasePage(pfn uint64, gfp GFP) bool {
	s.CoverPage("try_to_release_page", pfn)
	p := &s.pages[pfn]
	if p.PageWriteback() {
		return false
	}
	if m := s.pageMapping(pfn); m != nil {
		if op, ok := m.Ops.(ReleasePageOp); ok {
			return op.ReleasePage(s, pfn, gfp)
		}
	}
	return s.tryToFreeBuffers(pfn)
}

// __isolateLRUPage is __isolate_lru_page(): 0, or -EINVAL (not on an LRU
// or unevictable), or -EBUSY (mode excludes it, or it is being freed).
func (s *System) __isolateLRUPage(pfn uint64, mode int) int {
	s.CoverPage("__isolate_lru_page", pfn)
	p := &s.pages[pfn]
	if !p.PageLRU() {
		return -22
	}
	if p.PageUnevictable() && mode&ISOLATE_UNEVICTABLE == 0 {
		return -22
	}
	if mode&(ISOLATE_CLEAN|ISOLATE_ASYNC_MIGRATE) != 0 {
		if p.PageWriteback() {
			return -16
		}
		if p.PageDirty() {
			if mode&ISOLATE_CLEAN != 0 {
				return -16
			}
			if m := s.pageMapping(pfn); m != nil {
				if _, ok := m.Ops.(MigratepageOp); !ok {
					return -16
				}
			}
		}
	}
	if mode&ISOLATE_UNMAPPED != 0 && p.mapcount > 0 {
		return -16
	}
	if s.getPageUnlessZero(pfn) {
		p.clearFlag(PG_lru)
		return 0
	}
	return -16
}

// MigratepageOp is ->migratepage (used by isolation here; migration
// arrives with issue 5).
type MigratepageOp interface {
	Migratepage(s *System, m *AddressSpace, newpfn, pfn uint64, mode MigrateMode) int
}

// isolateLRUPages is isolate_lru_pages(): take up to nrToScan pages from
// the tail of the list; pages that may not be isolated go back to its head.
func (s *System) isolateLRUPages(nrToScan uint64, z *Zone, sc *scanControl, mode int, lru int) (taken []uint64, scanned uint64) {
	s.Cover("isolate_lru_pages")
	src := z.lruvec.lists[lru]
	for ; scanned < nrToScan && !s.listEmpty(src); scanned++ {
		pfn := uint64(s.listLast(src))
		s.vmBugOnPage(!s.pages[pfn].PageLRU(), pfn, "!PageLRU(page)", "mm/vmscan.c", 1281)
		switch s.__isolateLRUPage(pfn, mode) {
		case 0:
			s.listUnlink(uint32(pfn))
			taken = append(taken, pfn)
		case -16:
			s.listMove(uint32(pfn), src)
		default:
			s.bug("mm/vmscan.c", 1297)
		}
	}
	if s.tracer != nil {
		s.emit("mm_vmscan_lru_isolate", "isolate_mode=%d order=%d nr_requested=%d nr_scanned=%d nr_taken=%d file=%d",
			mode, sc.order, nrToScan, scanned, len(taken), b2i(isFileLRU(lru)))
	}
	return taken, scanned
}

// tooManyIsolated is too_many_isolated(): direct reclaimers wait while
// more pages are isolated than (an eighth of, for __GFP_IO|__GFP_FS) the
// inactive list.
func (s *System) tooManyIsolated(z *Zone, file bool, sc *scanControl) bool {
	s.Cover("too_many_isolated")
	if s.currentIsKswapd() {
		return false
	}
	var inactive, isolated int64
	if file {
		inactive = z.zonePageState(NR_INACTIVE_FILE)
		isolated = z.zonePageState(NR_ISOLATED_FILE)
	} else {
		inactive = z.zonePageState(NR_INACTIVE_ANON)
		isolated = z.zonePageState(NR_ISOLATED_ANON)
	}
	if sc.gfpMask&GFP_IOFS == GFP_IOFS {
		inactive >>= 3
	}
	return isolated > inactive
}

// putbackInactivePages is putback_inactive_pages(): back onto the LRU
// lists (activated ones count as rotated); pages whose last reference
// that was are returned for freeing.
func (s *System) putbackInactivePages(z *Zone, pages []uint64) (toFree []uint64) {
	s.Cover("putback_inactive_pages")
	for _, pfn := range pages {
		p := &s.pages[pfn]
		s.vmBugOnPage(p.PageLRU(), pfn, "PageLRU(page)", "mm/vmscan.c", 1407)
		if !s.pageEvictable(pfn) {
			s.putbackLRUPage(pfn)
			continue
		}
		p.setFlag(PG_lru)
		lru := p.pageLRU()
		s.addPageToLRUList(pfn, z, lru)
		if isActiveLRU(lru) {
			z.lruvec.reclaimStat.recentRotated[b2i(isFileLRU(lru))]++
		}
		if s.putPageTestzero(pfn) {
			p.clearFlag(PG_lru)
			p.clearFlag(PG_active)
			s.delPageFromLRUList(pfn, z, lru)
			toFree = append([]uint64{pfn}, toFree...)
		}
	}
	return toFree
}

// shrinkInactiveList is shrink_inactive_list().
func (s *System) shrinkInactiveList(nrToScan uint64, z *Zone, sc *scanControl, lru int) uint64 {
	s.Cover("shrink_inactive_list")
	file := isFileLRU(lru)
	for s.tooManyIsolated(z, file, sc) {
		s.congestionWait(BLK_RW_ASYNC, HZ/10)
		// About to die: return now, so that its memory is freed.
		if s.FatalSignalPending(s.current()) {
			s.Cover("shrink_inactive_list:fatal_signal")
			return SWAP_CLUSTER_MAX
		}
	}
	s.LRUAddDrain()
	mode := 0
	if !sc.mayUnmap {
		mode |= ISOLATE_UNMAPPED
	}
	if !sc.mayWritepage {
		mode |= ISOLATE_CLEAN
	}
	taken, scanned := s.isolateLRUPages(nrToScan, z, sc, mode, lru)
	nrTaken := int64(len(taken))
	z.__modZonePageState(NR_LRU_BASE+ZoneStatItem(lru), -nrTaken)
	z.__modZonePageState(NR_ISOLATED_ANON+ZoneStatItem(b2i(file)), nrTaken)
	z.pagesScanned += scanned
	if s.currentIsKswapd() {
		s.countZoneVMEvents(PGSCAN_KSWAPD_NORMAL, z, scanned)
	} else {
		s.countZoneVMEvents(PGSCAN_DIRECT_NORMAL, z, scanned)
	}
	if nrTaken == 0 {
		return 0
	}
	var st shrinkStats
	nrReclaimed, back := s.shrinkPageList(taken, z, sc, TTU_UNMAP, false, &st)
	z.lruvec.reclaimStat.recentScanned[b2i(file)] += uint64(nrTaken)
	if s.currentIsKswapd() {
		s.countZoneVMEvents(PGSTEAL_KSWAPD_NORMAL, z, nrReclaimed)
	} else {
		s.countZoneVMEvents(PGSTEAL_DIRECT_NORMAL, z, nrReclaimed)
	}
	toFree := s.putbackInactivePages(z, back)
	z.__modZonePageState(NR_ISOLATED_ANON+ZoneStatItem(b2i(file)), -nrTaken)
	s.FreeHotColdPageList(toFree, true)
	if st.nrWriteback != 0 && st.nrWriteback == uint64(nrTaken) {
		z.setFlag(ZONE_WRITEBACK)
	}
	if st.nrDirty != 0 && st.nrDirty == st.nrCongested {
		z.setFlag(ZONE_CONGESTED)
	}
	if st.nrUnqueuedDirty == uint64(nrTaken) {
		z.setFlag(ZONE_TAIL_LRU_DIRTY)
	}
	if st.nrImmediate != 0 && s.currentMayThrottle() {
		s.congestionWait(BLK_RW_ASYNC, HZ/10)
	}
	if !sc.hibernationMode && !s.currentIsKswapd() && s.currentMayThrottle() {
		s.waitIffCongested(z, BLK_RW_ASYNC, HZ/10)
	}
	if s.tracer != nil {
		s.emit("mm_vmscan_lru_shrink_inactive", "nid=%d zid=%d nr_scanned=%d nr_reclaimed=%d priority=%d flags=%s",
			z.node.ID, z.idx, scanned, nrReclaimed, sc.priority, traceShrinkFlags(file))
	}
	return nrReclaimed
}

func traceShrinkFlags(file bool) string {
	if file {
		return "RECLAIM_WB_FILE|RECLAIM_WB_ASYNC"
	}
	return "RECLAIM_WB_ANON|RECLAIM_WB_ASYNC"
}

// currentMayThrottle is current_may_throttle(): a PF_LESS_THROTTLE task
// (nfsd, loop) is throttled only when it writes to a file on a
// write-congested device or to none.
func (s *System) currentMayThrottle() bool {
	if s.current().Flags&sim.PF_LESS_THROTTLE == 0 {
		return true
	}
	b := s.CurrentBackingDevInfo()
	return b == nil || b.bdiWriteCongested()
}

// moveActivePagesToLRU is move_active_pages_to_lru(): pages is the list
// in the order the kernel's walk from its tail (lru_to_page) meets them;
// each is list_moved to the head of lru. The returned pages to free are
// head first, as list_add left them on pages_to_free.
func (s *System) moveActivePagesToLRU(z *Zone, pages []uint64, lru int) (toFree []uint64) {
	s.Cover("move_active_pages_to_lru")
	moved := int64(0)
	for _, pfn := range pages {
		p := &s.pages[pfn]
		s.vmBugOnPage(p.PageLRU(), pfn, "PageLRU(page)", "mm/vmscan.c", 1640)
		p.setFlag(PG_lru)
		s.listAdd(uint32(pfn), z.lruvec.lists[lru])
		moved++
		if s.putPageTestzero(pfn) {
			p.clearFlag(PG_lru)
			p.clearFlag(PG_active)
			s.delPageFromLRUList(pfn, z, lru)
			toFree = append([]uint64{pfn}, toFree...)
		}
	}
	z.__modZonePageState(NR_LRU_BASE+ZoneStatItem(lru), moved)
	if !isActiveLRU(lru) {
		s.countVMEvents(PGDEACTIVATE, uint64(moved))
	}
	return toFree
}

// shrinkActiveList is shrink_active_list(): move pages from an active list
// to the inactive one, keeping referenced executable file pages active.
func (s *System) shrinkActiveList(nrToScan uint64, z *Zone, sc *scanControl, lru int) {
	s.Cover("shrink_active_list")
	file := isFileLRU(lru)
	s.LRUAddDrain()
	mode := 0
	if !sc.mayUnmap {
		mode |= ISOLATE_UNMAPPED
	}
	if !sc.mayWritepage {
		mode |= ISOLATE_CLEAN
	}
	hold, scanned := s.isolateLRUPages(nrToScan, z, sc, mode, lru)
	nrTaken := int64(len(hold))
	z.pagesScanned += scanned
	z.lruvec.reclaimStat.recentScanned[b2i(file)] += uint64(nrTaken)
	s.countZoneVMEvents(PGREFILL_NORMAL, z, scanned)
	z.__modZonePageState(NR_LRU_BASE+ZoneStatItem(lru), -nrTaken)
	z.__modZonePageState(NR_ISOLATED_ANON+ZoneStatItem(b2i(file)), nrTaken)
	// hold is l_hold walked from its tail (lru_to_page), as isolated.
	// lActive and lInactive are l_active and l_inactive as
	// move_active_pages_to_lru walks them, from the tail: list_add put
	// each page at the head, so the walk meets them in the order added.
	var lActive, lInactive []uint64
	rotated := uint64(0)
	for _, pfn := range hold {
		s.condResched()
		p := &s.pages[pfn]
		if !s.pageEvictable(pfn) {
			s.putbackLRUPage(pfn)
			continue
		}
		if s.bufferHeadsOverLimit() {
			if p.flags&PAGE_FLAGS_PRIVATE != 0 && s.trylockPage(pfn) {
				if p.flags&PAGE_FLAGS_PRIVATE != 0 {
					s.tryToReleasePage(pfn, 0)
				}
				s.unlockPage(pfn)
			}
		}
		if ref, vmFlags := s.pageReferenced(pfn, false); ref != 0 {
			rotated++
			if vmFlags&VM_EXEC != 0 && p.pageIsFileCache() {
				lActive = append(lActive, pfn)
				continue
			}
		}
		p.clearFlag(PG_active)
		lInactive = append(lInactive, pfn)
	}
	z.lruvec.reclaimStat.recentRotated[b2i(file)] += rotated
	toFree := s.moveActivePagesToLRU(z, lActive, lru)
	toFree = append(s.moveActivePagesToLRU(z, lInactive, lru-LRU_ACTIVE), toFree...)
	z.__modZonePageState(NR_ISOLATED_ANON+ZoneStatItem(b2i(file)), -nrTaken)
	s.FreeHotColdPageList(toFree, true)
}

// inactiveAnonIsLow is inactive_anon_is_low(): with swap, the inactive
// anon list is kept at 1/(inactive_ratio+1) of the anon pages.
func (s *System) inactiveAnonIsLow(z *Zone) bool {
	if s.totalSwapPages() == 0 {
		return false
	}
	active := uint64(z.zonePageState(NR_ACTIVE_ANON))
	inactive := uint64(z.zonePageState(NR_INACTIVE_ANON))
	return inactive*z.inactiveRatio < active
}

// inactiveFileIsLow is inactive_file_is_low().
func (z *Zone) inactiveFileIsLow() bool {
	return z.getLRUSize(LRU_ACTIVE_FILE) > z.getLRUSize(LRU_INACTIVE_FILE)
}

func (s *System) inactiveListIsLow(z *Zone, lru int) bool {
	if isFileLRU(lru) {
		return z.inactiveFileIsLow()
	}
	return s.inactiveAnonIsLow(z)
}

// shrinkList is shrink_list().
func (s *System) shrinkList(lru int, nrToScan uint64, z *Zone, sc *scanControl) uint64 {
	if isActiveLRU(lru) {
		if s.inactiveListIsLow(z, lru) {
			s.shrinkActiveList(nrToScan, z, sc, lru)
		}
		return 0
	}
	return s.shrinkInactiveList(nrToScan, z, sc, lru)
}

// scan balance, enum scan_balance.
const (
	SCAN_EQUAL = iota
	SCAN_FRACT
	SCAN_ANON
	SCAN_FILE
)

// getScanCount is get_scan_count(): how many pages of each evictable list
// to scan at this priority. No swap (or !may_swap): file only; priority 0
// with swappiness: equal; too little file: anon only; a plentiful inactive
// file list: file only; else in proportion to swappiness and how often
// scanned pages of each kind turned out to be in use.
func (s *System) getScanCount(z *Zone, sc *scanControl) [NR_LRU_LISTS]uint64 {
	s.Cover("get_scan_count")
	var nr [NR_LRU_LISTS]uint64
	rs := &z.lruvec.reclaimStat
	var fraction [2]uint64
	var denominator uint64
	forceScan := s.currentIsKswapd() && !z.zoneReclaimable()
	var balance int
	switch {
	case !sc.maySwap || s.nrSwapPages() <= 0:
		balance = SCAN_FILE
	case sc.priority == 0 && sc.swappiness != 0:
		balance = SCAN_EQUAL
	default:
		anon := z.getLRUSize(LRU_ACTIVE_ANON) + z.getLRUSize(LRU_INACTIVE_ANON)
		file := z.getLRUSize(LRU_ACTIVE_FILE) + z.getLRUSize(LRU_INACTIVE_FILE)
		free := uint64(z.zonePageState(NR_FREE_PAGES))
		switch {
		case file+free <= z.highWmarkPages():
			balance = SCAN_ANON
		case !z.inactiveFileIsLow():
			balance = SCAN_FILE
		default:
			balance = SCAN_FRACT
			anonPrio := uint64(sc.swappiness)
			filePrio := 200 - anonPrio
			if rs.recentScanned[0] > anon/4 {
				rs.recentScanned[0] /= 2
				rs.recentRotated[0] /= 2
			}
			if rs.recentScanned[1] > file/4 {
				rs.recentScanned[1] /= 2
				rs.recentRotated[1] /= 2
			}
			ap := anonPrio * (rs.recentScanned[0] + 1) / (rs.recentRotated[0] + 1)
			fp := filePrio * (rs.recentScanned[1] + 1) / (rs.recentRotated[1] + 1)
			fraction = [2]uint64{ap, fp}
			denominator = ap + fp + 1
		}
	}
	someScanned := false
	for pass := 0; !someScanned && pass < 2; pass++ {
		for lru := LRU_INACTIVE_ANON; lru <= LRU_ACTIVE_FILE; lru++ {
			file := b2i(isFileLRU(lru))
			size := z.getLRUSize(lru)
			scan := size >> uint(sc.priority)
			if scan == 0 && pass != 0 && forceScan {
				scan = min(size, SWAP_CLUSTER_MAX)
			}
			switch balance {
			case SCAN_FRACT:
				scan = scan * fraction[file] / denominator
			case SCAN_FILE, SCAN_ANON:
				if (balance == SCAN_FILE) != (file == 1) {
					scan = 0
				}
			}
			nr[lru] = scan
			someScanned = someScanned || scan != 0
		}
	}
	return nr
}

// shrinkLruvec is shrink_lruvec(): scan the lists in SWAP_CLUSTER_MAX
// chunks, under a block plug (pageout's writes merge), until the targets
// are met; once enough is reclaimed (outside the first direct-reclaim
// pass), scale the rest down proportionally. Then age the active anon
// list if the inactive one is low.
func (s *System) shrinkLruvec(z *Zone, sc *scanControl) {
	s.Cover("shrink_lruvec")
	nr := s.getScanCount(z, sc)
	targets := nr
	var nrReclaimed uint64
	scanAdjusted := !s.currentIsKswapd() && sc.priority == DEF_PRIORITY
	var plug BlkPlug
	s.BlkStartPlug(&plug)
	for nr[LRU_INACTIVE_ANON] != 0 || nr[LRU_ACTIVE_FILE] != 0 || nr[LRU_INACTIVE_FILE] != 0 {
		for lru := LRU_INACTIVE_ANON; lru <= LRU_ACTIVE_FILE; lru++ {
			if nr[lru] != 0 {
				n := min(nr[lru], SWAP_CLUSTER_MAX)
				nr[lru] -= n
				nrReclaimed += s.shrinkList(lru, n, z, sc)
			}
		}
		if nrReclaimed < sc.nrToReclaim || scanAdjusted {
			continue
		}
		nrFile := nr[LRU_INACTIVE_FILE] + nr[LRU_ACTIVE_FILE]
		nrAnon := nr[LRU_INACTIVE_ANON] + nr[LRU_ACTIVE_ANON]
		if nrFile == 0 || nrAnon == 0 {
			break
		}
		var lru int
		var percentage uint64
		if nrFile > nrAnon {
			target := targets[LRU_INACTIVE_ANON] + targets[LRU_ACTIVE_ANON] + 1
			lru = LRU_BASE
			percentage = nrAnon * 100 / target
		} else {
			target := targets[LRU_INACTIVE_FILE] + targets[LRU_ACTIVE_FILE] + 1
			lru = LRU_FILE
			percentage = nrFile * 100 / target
		}
		nr[lru] = 0
		nr[lru+LRU_ACTIVE] = 0
		if lru == LRU_FILE {
			lru = LRU_BASE
		} else {
			lru = LRU_FILE
		}
		for _, l := range []int{lru, lru + LRU_ACTIVE} {
			scanned := targets[l] - nr[l]
			nr[l] = targets[l] * (100 - percentage) / 100
			nr[l] -= min(nr[l], scanned)
		}
		scanAdjusted = true
	}
	s.BlkFinishPlug(&plug)
	sc.nrReclaimed += nrReclaimed
	if s.inactiveAnonIsLow(z) {
		s.shrinkActiveList(SWAP_CLUSTER_MAX, z, sc, LRU_ACTIVE_ANON)
	}
	s.throttleVMWriteout(sc.gfpMask)
}

// throttleVMWriteout is throttle_vm_writeout(): wait while writeback is
// far over the dirty limit.
func (s *System) throttleVMWriteout(gfp GFP) {
	s.Cover("throttle_vm_writeout")
	for {
		_, dirty := s.GlobalDirtyLimits()
		dirty += dirty / 10
		if uint64(s.GlobalPageState(NR_UNSTABLE_NFS)+s.GlobalPageState(NR_WRITEBACK)) <= dirty {
			break
		}
		s.congestionWait(BLK_RW_ASYNC, HZ/10)
		if gfp&(GFP_FS|GFP_IO) != GFP_FS|GFP_IO {
			break
		}
	}
}

// inReclaimCompaction is in_reclaim_compaction().
func inReclaimCompaction(sc *scanControl) bool {
	return sc.order != 0 && (sc.order > PAGE_ALLOC_COSTLY_ORDER || sc.priority < DEF_PRIORITY-2)
}

// shouldContinueReclaim is should_continue_reclaim(): for compaction,
// reclaim until twice the order is free or compaction can run.
func (s *System) shouldContinueReclaim(z *Zone, nrReclaimed, nrScanned uint64, sc *scanControl) bool {
	s.Cover("should_continue_reclaim")
	if !inReclaimCompaction(sc) {
		return false
	}
	if sc.gfpMask&GFP_REPEAT != 0 {
		if nrReclaimed == 0 && nrScanned == 0 {
			return false
		}
	} else if nrReclaimed == 0 {
		return false
	}
	pagesForCompaction := uint64(2) << uint(sc.order)
	inactive := uint64(z.zonePageState(NR_INACTIVE_FILE))
	if s.nrSwapPages() > 0 {
		inactive += uint64(z.zonePageState(NR_INACTIVE_ANON))
	}
	if sc.nrReclaimed < pagesForCompaction && inactive > pagesForCompaction {
		return true
	}
	switch s.compactionSuitable(z, sc.order) {
	case COMPACT_PARTIAL, COMPACT_CONTINUE:
		return false
	}
	return true
}

// shrinkZone is shrink_zone().
func (s *System) shrinkZone(z *Zone, sc *scanControl) {
	s.Cover("shrink_zone")
	for {
		nrReclaimed, nrScanned := sc.nrReclaimed, sc.nrScanned
		sc.swappiness = s.vmSwappiness
		s.shrinkLruvec(z, sc)
		if !s.shouldContinueReclaim(z, sc.nrReclaimed-nrReclaimed, sc.nrScanned-nrScanned, sc) {
			return
		}
	}
}

// compactionReady is compaction_ready(): for costly orders, stop
// reclaiming a zone compaction could already work with.
func (s *System) compactionReady(z *Zone, sc *scanControl) bool {
	s.Cover("compaction_ready")
	if sc.order <= PAGE_ALLOC_COSTLY_ORDER {
		return false
	}
	balanceGap := min(z.lowWmarkPages(), (z.managedPages+KSWAPD_ZONE_BALANCE_GAP_RATIO-1)/KSWAPD_ZONE_BALANCE_GAP_RATIO)
	watermark := z.highWmarkPages() + balanceGap + 2<<uint(sc.order)
	ok := z.zoneWatermarkOkSafe(0, watermark, 0, 0)
	if s.compactionDeferred(z, uint(sc.order)) {
		return ok
	}
	if s.compactionSuitable(z, sc.order) == COMPACT_SKIPPED {
		return false
	}
	return ok
}

// shrinkZones is shrink_zones(): each zone of the zonelist the allocation
// could use; at lower priorities skip zones that look unreclaimable (kswapd
// polls them); returns whether reclaim stopped for compaction.
func (s *System) shrinkZones(zl *zonelist, sc *scanControl) bool {
	s.Cover("shrink_zones")
	aborted := false
	high := gfpZone(sc.gfpMask)
	for _, z := range zl.zones {
		if z.idx > high || !z.populatedZone() {
			continue
		}
		if sc.priority != DEF_PRIORITY && !z.zoneReclaimable() {
			continue
		}
		if s.compactionReady(z, sc) {
			aborted = true
			continue
		}
		s.shrinkZone(z, sc)
	}
	return aborted
}

// allUnreclaimable is all_unreclaimable().
func (s *System) allUnreclaimable(zl *zonelist, sc *scanControl) bool {
	high := gfpZone(sc.gfpMask)
	for _, z := range zl.zones {
		if z.idx <= high && z.populatedZone() && z.zoneReclaimable() {
			return false
		}
	}
	return true
}

// doTryToFreePages is do_try_to_free_pages(): from DEF_PRIORITY down to 0,
// shrink the zones until enough is reclaimed; past a scan of 1.5 times the
// target, wake the flusher and allow writepage.
func (s *System) doTryToFreePages(zl *zonelist, sc *scanControl) uint64 {
	s.Cover("do_try_to_free_pages")
	var totalScanned uint64
	aborted := false
	s.countVMEvent(ALLOCSTALL)
	for {
		sc.nrScanned = 0
		aborted = s.shrinkZones(zl, sc)
		totalScanned += sc.nrScanned
		if sc.nrReclaimed >= sc.nrToReclaim {
			break
		}
		if sc.priority < DEF_PRIORITY-2 {
			sc.mayWritepage = true
		}
		if threshold := sc.nrToReclaim + sc.nrToReclaim/2; totalScanned > threshold {
			// Write back as many pages as were just scanned; laptop
			// mode writes back everything (0).
			nr := int64(totalScanned)
			if s.dirty.LaptopMode != 0 {
				nr = 0
			}
			s.WakeupFlusherThreads(nr, WB_REASON_TRY_TO_FREE_PAGES)
			sc.mayWritepage = true
		}
		sc.priority--
		if sc.priority < 0 || aborted {
			break
		}
	}
	if sc.nrReclaimed != 0 {
		return sc.nrReclaimed
	}
	if s.oomKillerDisabled {
		return 0
	}
	if aborted {
		return 1
	}
	if !s.allUnreclaimable(zl, sc) {
		return 1
	}
	return 0
}

// GetNrDirtyPages is get_nr_dirty_pages() (fs/fs-writeback.c): dirty
// and unstable pages, plus the dirty inodes (get_nr_dirty_inodes).
//
// Model: get_nr_dirty_inodes() counts the inodes in use (nr_inodes minus
// those on the unused LRU); the model has no inode LRU and counts the
// inodes on the writeback lists.
func (s *System) GetNrDirtyPages() int64 {
	n := s.GlobalPageState(NR_FILE_DIRTY) + s.GlobalPageState(NR_UNSTABLE_NFS)
	for _, b := range s.bdis {
		if b.Flusher != nil {
			n += b.Flusher.NrDirtyInodes()
		}
	}
	return n
}

// WakeupFlusherThreads is wakeup_flusher_threads() (fs/fs-writeback.c):
// queue WB_SYNC_NONE work for nrPages pages (0: every dirty page,
// get_nr_dirty_pages) on every device with dirty inodes, whatever the
// background threshold.
func (s *System) WakeupFlusherThreads(nrPages int64, reason int) {
	s.Cover("wakeup_flusher_threads")
	if nrPages == 0 {
		nrPages = s.GetNrDirtyPages()
	}
	for _, b := range s.bdis {
		if b.Flusher == nil || !b.Flusher.HasDirtyIO() {
			continue
		}
		b.Flusher.StartWriteback(nrPages, false, reason)
	}
}

// pfmemallocWatermarkOk is pfmemalloc_watermark_ok(): free pages in the
// node's low zones above half their min watermarks; otherwise wake kswapd.
func (s *System) pfmemallocWatermarkOk(nd *Node) bool {
	s.Cover("pfmemalloc_watermark_ok")
	var reserve, free uint64
	for i := 0; i <= ZONE_NORMAL; i++ {
		z := &nd.zones[i]
		if !z.populatedZone() {
			continue
		}
		reserve += z.minWmarkPages()
		free += uint64(z.zonePageState(NR_FREE_PAGES))
	}
	if reserve == 0 {
		return true
	}
	ok := free > reserve/2
	if !ok && nd.kswapdWait.Len() > 0 {
		nd.classzoneIdx = min(nd.classzoneIdx, ZONE_NORMAL)
		nd.kswapdWait.WakeAll()
	}
	return ok
}

// throttleDirectReclaim is throttle_direct_reclaim(): a direct reclaimer
// waits while the node is so short of free memory that PF_MEMALLOC users
// could exhaust the reserves: killably until kswapd wakes it, or, without
// __GFP_FS, interruptibly for at most a second. A task with a fatal signal
// is not throttled, and one that got it while throttled returns true, so
// that the allocator neither reclaims nor OOM-kills for it.
//
// Model: only SIGKILL is modeled, so signal_pending is
// fatal_signal_pending.
func (s *System) throttleDirectReclaim(gfp GFP, zl *zonelist) bool {
	s.Cover("throttle_direct_reclaim")
	cur := s.current()
	if cur.Flags&sim.PF_KTHREAD != 0 || s.sched == nil || s.sched.Current() == nil {
		return false
	}
	if s.FatalSignalPending(cur) {
		return false
	}
	var nd *Node
	for _, z := range zl.zones {
		if z.idx > ZONE_NORMAL || z.idx > gfpZone(gfp) {
			continue
		}
		nd = z.node
		if s.pfmemallocWatermarkOk(nd) {
			return false
		}
		break
	}
	if nd == nil {
		return false
	}
	s.countVMEvent(PGSCAN_DIRECT_THROTTLE)
	if gfp&GFP_FS == 0 {
		s.waitEventInterruptibleTimeout(&nd.pfmemallocWait, func() bool { return s.pfmemallocWatermarkOk(nd) }, HZ)
	} else {
		s.waitEventKillable(&nd.pfmemallocWait, func() bool { return s.pfmemallocWatermarkOk(nd) })
	}
	if s.FatalSignalPending(cur) {
		s.Cover("throttle_direct_reclaim:fatal_signal")
		return true
	}
	return false
}

// waitEventKillable is wait_event_killable(): sleep in TASK_KILLABLE on q
// until cond holds or a fatal signal is pending (cond checked first, then
// the signal, before every sleep, as ___wait_event does).
func (s *System) waitEventKillable(q *sim.WaitQueue, cond func() bool) {
	cur := s.current()
	for !cond() && !s.FatalSignalPending(cur) {
		cur.WaitKillable(q)
	}
}

// waitEventInterruptibleTimeout is wait_event_interruptible_timeout() for
// timeout jiffies: as waitEventKillable, but in TASK_INTERRUPTIBLE and for
// at most timeout in all.
//
// Model: only SIGKILL is modeled, so signal_pending is
// fatal_signal_pending.
func (s *System) waitEventInterruptibleTimeout(q *sim.WaitQueue, cond func() bool, timeout int64) {
	cur := s.current()
	deadline := cur.Now() + timeout*1e9/HZ
	for !cond() && cur.Now() < deadline && !s.FatalSignalPending(cur) {
		cur.WaitTimeoutKillable(q, deadline-cur.Now())
	}
}

// tryToFreePages is try_to_free_pages(): direct reclaim for an allocation
// that failed its watermarks; returns the pages reclaimed (or 1 for
// progress without any).
func (s *System) tryToFreePages(zl *zonelist, order uint, gfp GFP) uint64 {
	s.Cover("try_to_free_pages")
	gfp = s.memallocNoioFlags(gfp)
	sc := &scanControl{
		gfpMask:      gfp,
		mayWritepage: s.dirty.LaptopMode == 0,
		nrToReclaim:  SWAP_CLUSTER_MAX,
		mayUnmap:     true,
		maySwap:      true,
		order:        int(order),
		priority:     DEF_PRIORITY,
	}
	if s.throttleDirectReclaim(gfp, zl) {
		return 1
	}
	if s.tracer != nil {
		s.emit("mm_vmscan_direct_reclaim_begin", "order=%d may_writepage=%d gfp_flags=%s", order, b2i(sc.mayWritepage), showGFPFlags(gfp))
	}
	n := s.doTryToFreePages(zl, sc)
	if s.tracer != nil {
		s.emit("mm_vmscan_direct_reclaim_end", "nr_reclaimed=%d", n)
	}
	return n
}

// ageActiveAnon is age_active_anon().
func (s *System) ageActiveAnon(z *Zone, sc *scanControl) {
	if s.totalSwapPages() == 0 {
		return
	}
	if s.inactiveAnonIsLow(z) {
		s.shrinkActiveList(SWAP_CLUSTER_MAX, z, sc, LRU_ACTIVE_ANON)
	}
}

// zoneBalanced is zone_balanced(): above the high watermark plus gap (and,
// for order > 0, suitable for compaction).
func (s *System) zoneBalanced(z *Zone, order int, balanceGap uint64, classzoneIdx int) bool {
	if !z.zoneWatermarkOkSafe(uint(order), z.highWmarkPages()+balanceGap, classzoneIdx, 0) {
		return false
	}
	if order != 0 && s.compactionSuitable(z, order) == COMPACT_SKIPPED {
		return false
	}
	return true
}

// pgdatBalanced is pgdat_balanced(): every usable zone balanced (order 0),
// or a quarter of the node's pages in balanced zones (order > 0).
func (s *System) pgdatBalanced(nd *Node, order int, classzoneIdx int) bool {
	s.Cover("pgdat_balanced")
	var managed, balanced uint64
	for i := 0; i <= classzoneIdx; i++ {
		z := &nd.zones[i]
		if !z.populatedZone() {
			continue
		}
		managed += z.managedPages
		if !z.zoneReclaimable() {
			balanced += z.managedPages
			continue
		}
		if s.zoneBalanced(z, order, 0, i) {
			balanced += z.managedPages
		} else if order == 0 {
			return false
		}
	}
	if order != 0 {
		return balanced >= managed>>2
	}
	return true
}

// prepareKswapdSleep is prepare_kswapd_sleep().
func (s *System) prepareKswapdSleep(nd *Node, order int, remaining bool, classzoneIdx int) bool {
	s.Cover("prepare_kswapd_sleep")
	if remaining {
		return false
	}
	if nd.pfmemallocWait.Len() > 0 {
		nd.pfmemallocWait.WakeAll()
		return false
	}
	return s.pgdatBalanced(nd, order, classzoneIdx)
}

// kswapdShrinkZone is kswapd_shrink_zone(): reclaim the zone towards its
// high watermark plus a balance gap. Only a zone it actually shrinks adds
// its nr_to_reclaim to *nrAttempted.
//
// Model: no slab shrinkers (shrink_slab); lowmem_pressure
// (buffer_heads_over_limit on a highmem zone) is always false, as x86-64
// has no highmem.
func (s *System) kswapdShrinkZone(z *Zone, classzoneIdx int, sc *scanControl, nrAttempted *uint64) bool {
	s.Cover("kswapd_shrink_zone")
	testorder := sc.order
	sc.nrToReclaim = max(SWAP_CLUSTER_MAX, z.highWmarkPages())
	if sc.order != 0 && s.compactionSuitable(z, sc.order) != COMPACT_SKIPPED {
		testorder = 0
	}
	balanceGap := min(z.lowWmarkPages(), (z.managedPages+KSWAPD_ZONE_BALANCE_GAP_RATIO-1)/KSWAPD_ZONE_BALANCE_GAP_RATIO)
	if s.zoneBalanced(z, testorder, balanceGap, classzoneIdx) {
		return true
	}
	s.shrinkZone(z, sc)
	*nrAttempted += sc.nrToReclaim
	z.clearZoneFlag(ZONE_WRITEBACK)
	if z.zoneReclaimable() && s.zoneBalanced(z, testorder, 0, classzoneIdx) {
		z.clearZoneFlag(ZONE_CONGESTED)
		z.clearZoneFlag(ZONE_TAIL_LRU_DIRTY)
	}
	return sc.nrScanned >= sc.nrToReclaim
}

// balancePgdat is balance_pgdat(): kswapd's main loop over priorities,
// finding the highest unbalanced zone and reclaiming it and the zones
// below, until the node is balanced. Returns the order it balanced for,
// and leaves in *classzoneIdx the last end_zone (0 if no zone needed
// reclaim on the first pass), which kswapd then sleeps on.
//
// Model: no memcg soft limit reclaim, no freezer; the buffer_heads_over_limit
// check forces end_zone only for a highmem zone, which x86-64 has not.
func (s *System) balancePgdat(nd *Node, order int, classzoneIdx *int) int {
	s.Cover("balance_pgdat")
	sc := &scanControl{gfpMask: GFP_KERNEL, priority: DEF_PRIORITY, mayUnmap: true, maySwap: true,
		mayWritepage: s.dirty.LaptopMode == 0, order: order}
	s.countVMEvent(PAGEOUTRUN)
	endZone := 0 // kept across passes, as v3.16's end_zone is
	for {
		var nrAttempted uint64
		raisePriority := true
		needsCompaction := order > 0
		sc.nrReclaimed = 0
		found := false
		for i := nd.nrZones - 1; i >= 0; i-- {
			z := &nd.zones[i]
			if !z.populatedZone() {
				continue
			}
			if sc.priority != DEF_PRIORITY && !z.zoneReclaimable() {
				continue
			}
			s.ageActiveAnon(z, sc)
			if !s.zoneBalanced(z, order, 0, 0) {
				endZone = i
				found = true
				break
			}
			z.clearZoneFlag(ZONE_CONGESTED)
			z.clearZoneFlag(ZONE_TAIL_LRU_DIRTY)
		}
		if !found {
			*classzoneIdx = endZone
			return order
		}
		for i := 0; i <= endZone; i++ {
			z := &nd.zones[i]
			if z.populatedZone() && needsCompaction && z.zoneWatermarkOk(uint(order), z.lowWmarkPages(), *classzoneIdx, 0) {
				needsCompaction = false
			}
		}
		if sc.priority < DEF_PRIORITY-2 {
			sc.mayWritepage = true
		}
		for i := 0; i <= endZone; i++ {
			z := &nd.zones[i]
			if !z.populatedZone() {
				continue
			}
			if sc.priority != DEF_PRIORITY && !z.zoneReclaimable() {
				continue
			}
			sc.nrScanned = 0
			if s.kswapdShrinkZone(z, endZone, sc, &nrAttempted) {
				raisePriority = false
			}
		}
		if nd.pfmemallocWait.Len() > 0 && s.pfmemallocWatermarkOk(nd) {
			nd.pfmemallocWait.WakeAll()
		}
		if order != 0 && sc.nrReclaimed >= 2<<uint(order) {
			order = 0
			sc.order = 0
		}
		if needsCompaction && sc.nrReclaimed > nrAttempted {
			s.compactPgdat(nd, order)
		}
		if raisePriority || sc.nrReclaimed == 0 {
			sc.priority--
		}
		if sc.priority < 1 || s.pgdatBalanced(nd, order, *classzoneIdx) {
			*classzoneIdx = endZone
			return order
		}
	}
}

// setPgdatPercpuThreshold is set_pgdat_percpu_threshold().
func (s *System) setPgdatPercpuThreshold(nd *Node, normal bool) {
	s.Cover("set_pgdat_percpu_threshold")
	for j := 0; j < MAX_NR_ZONES; j++ {
		z := &nd.zones[j]
		if !z.populatedZone() || z.percpuDriftMark == 0 {
			continue
		}
		t := s.calculatePressureThreshold(z)
		if normal {
			t = s.calculateNormalThreshold(z)
		}
		for cpu := range z.pageset {
			z.pageset[cpu].statThreshold = int8(t)
		}
	}
}

// kswapdTryToSleep is kswapd_try_to_sleep(): nap for HZ/10 if balanced,
// then sleep until woken if still balanced.
func (s *System) kswapdTryToSleep(t *sim.Task, nd *Node, order, classzoneIdx int) {
	s.Cover("kswapd_try_to_sleep")
	remaining := false
	nd.kswapdIdle = true
	defer func() { nd.kswapdIdle = false }()
	if s.prepareKswapdSleep(nd, order, false, classzoneIdx) {
		remaining = t.WaitTimeout(&nd.kswapdWait, 1e9/10)
	}
	if s.prepareKswapdSleep(nd, order, remaining, classzoneIdx) {
		if s.tracer != nil {
			s.emit("mm_vmscan_kswapd_sleep", "nid=%d", nd.ID)
		}
		s.setPgdatPercpuThreshold(nd, true)
		// Compaction's skip hints are flushed as kswapd sleeps
		// (reset_isolation_suitable, compaction.go).
		s.resetIsolationSuitable(nd)
		t.Wait(&nd.kswapdWait)
		s.setPgdatPercpuThreshold(nd, false)
	} else if remaining {
		s.countVMEvent(KSWAPD_LOW_WMARK_HIT_QUICKLY)
	} else {
		s.countVMEvent(KSWAPD_HIGH_WMARK_HIT_QUICKLY)
	}
}

// KswapdRun is kswapd_run(): start the node's kswapd thread.
func (s *System) KswapdRun(nid int) {
	nd := s.nodes[nid]
	nd.kswapdStarted = true
	s.sched.Spawn(fmt.Sprintf("kswapd%d", nid), sim.PF_KTHREAD, func(t *sim.Task) {
		s.kswapd(t, nd)
	})
}

// kswapd is kswapd(): PF_MEMALLOC|PF_SWAPWRITE|PF_KSWAPD, then forever:
// take the order and classzone the allocators asked for, sleep if the node
// is balanced for them, else balance_pgdat.
func (s *System) kswapd(t *sim.Task, nd *Node) {
	s.Cover("kswapd")
	t.Flags |= sim.PF_MEMALLOC | sim.PF_SWAPWRITE | sim.PF_KSWAPD
	order, newOrder := 0, 0
	balancedOrder := 0
	classzoneIdx := nd.nrZones - 1
	newClasszoneIdx := classzoneIdx
	balancedClasszoneIdx := classzoneIdx
	for {
		if balancedClasszoneIdx >= newClasszoneIdx && balancedOrder == newOrder {
			newOrder = int(nd.kswapdMaxOrder)
			newClasszoneIdx = nd.classzoneIdx
			nd.kswapdMaxOrder = 0
			nd.classzoneIdx = nd.nrZones - 1
		}
		if order < newOrder || classzoneIdx > newClasszoneIdx {
			order = newOrder
			classzoneIdx = newClasszoneIdx
		} else {
			s.kswapdTryToSleep(t, nd, balancedOrder, balancedClasszoneIdx)
			order = int(nd.kswapdMaxOrder)
			classzoneIdx = nd.classzoneIdx
			newOrder, newClasszoneIdx = order, classzoneIdx
			nd.kswapdMaxOrder = 0
			nd.classzoneIdx = nd.nrZones - 1
		}
		if s.tracer != nil {
			s.emit("mm_vmscan_kswapd_wake", "nid=%d order=%d", nd.ID, order)
		}
		balancedClasszoneIdx = classzoneIdx
		balancedOrder = s.balancePgdat(nd, order, &balancedClasszoneIdx)
	}
}

// wakeupKswapd is wakeup_kswapd(): record the order and classzone kswapd
// should balance for, and wake it unless the zone is already balanced.
func (s *System) wakeupKswapd(z *Zone, order uint, classzoneIdx int) {
	s.Cover("wakeup_kswapd")
	if !z.populatedZone() {
		return
	}
	nd := z.node
	if nd.kswapdMaxOrder < order {
		nd.kswapdMaxOrder = order
		nd.classzoneIdx = min(nd.classzoneIdx, classzoneIdx)
	}
	if nd.kswapdWait.Len() == 0 {
		return
	}
	if s.zoneBalanced(z, int(order), 0, 0) {
		return
	}
	if s.tracer != nil {
		s.emit("mm_vmscan_wakeup_kswapd", "nid=%d zid=%d order=%d", nd.ID, z.idx, order)
	}
	nd.kswapdWait.WakeAll()
}

// ReclaimPage pushes one swap-backed page (anon or shmem) through the
// steps shrink_page_list takes for it: isolate it from its LRU, clear its
// references (page_check_references' rmap walk, as if found unreferenced),
// give an anon page swap (add_to_swap), unmap it (try_to_unmap with
// TTU_UNMAP), write it (pageout), and once the write has completed and the
// page is clean, remove it from the cache (__remove_mapping) and free it.
// It must run in a task, since it waits for the write. It returns whether
// the page was freed; otherwise the page is back on its LRU.
//
// Model: kswapd and direct reclaim arrive with reclaim; until then this
// stands in for them, so that tests and programs can put a chosen page in
// swap. A page found on the active list is deactivated first, as
// shrink_active_list would.
func (s *System) ReclaimPage(pfn uint64) bool {
	p := &s.pages[pfn]
	if !p.PageSwapBacked() || p.PageUnevictable() {
		return false
	}
	s.LRUAddDrainAll()
	if !s.isolateLRUPage(pfn) {
		return false
	}
	p.clearFlag(PG_active)
	keep := func(locked bool) bool {
		if locked {
			s.unlockPage(pfn)
		}
		s.putbackLRUPage(pfn)
		return false
	}
	if !s.trylockPage(pfn) {
		return keep(false)
	}
	if p.PageWriteback() {
		return keep(true)
	}
	s.pageReferenced(pfn, true)
	if p.PageAnon() && !p.PageSwapCache() {
		if !s.addToSwap(pfn) {
			return keep(true)
		}
	}
	m := s.pageMapping(pfn)
	if p.mapcount > 0 && m != nil {
		if r := s.tryToUnmap(pfn, TTU_UNMAP); r != SWAP_SUCCESS {
			if r == SWAP_MLOCK && p.PageSwapCache() {
				s.tryToFreeSwap(pfn) // cull_mlocked
			}
			return keep(true)
		}
	}
	if p.PageDirty() {
		switch s.pageout(pfn, m, &scanControl{gfpMask: GFP_KERNEL}) {
		case PAGE_KEEP, PAGE_ACTIVATE:
			return keep(true)
		case PAGE_SUCCESS:
			// Reclaim would find the page again once written; wait.
			s.WaitOnPageWriteback(pfn)
			s.lockPage(pfn)
			if p.PageWriteback() || p.PageDirty() || p.mapcount > 0 {
				return keep(true)
			}
			m = s.pageMapping(pfn)
		}
	}
	if m == nil || !s.__removeMapping(m, pfn, true) {
		return keep(true)
	}
	p.clearFlag(PG_locked) // __clear_page_locked
	s.FreeHotColdPageList([]uint64{pfn}, true)
	return true
}

// KswapdIdle reports whether every node's kswapd is in its sleep, holding
// no isolated pages: the state in which a full invariant check is exact.
func (s *System) KswapdIdle() bool {
	for _, nd := range s.nodes {
		if nd.kswapdStarted && !nd.kswapdIdle {
			return false
		}
	}
	return true
}
