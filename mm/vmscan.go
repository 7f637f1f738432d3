// SPDX-License-Identifier: GPL-2.0-only

package mm

// mm/vmscan.c: the allocator's entry points into reclaim. LRU lists, kswapd
// and the shrink_* functions are built on the page cache and anonymous
// memory (issues 3 and 4); until then no page can be on an LRU list, so
// reclaim has nothing it could scan.

// wakeupKswapd is wakeup_kswapd(): record the order and classzone kswapd
// should balance for, and wake it if the zone is not balanced.
//
// Model: no kswapd thread runs yet, so nothing waits on kswapd_wait and,
// as in the kernel when the queue is empty, the wake-up returns early.
func (s *System) wakeupKswapd(z *Zone, order uint, classzoneIdx int) {
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
}

// tryToFreePages is try_to_free_pages(): direct reclaim for an allocation
// that failed its watermarks. It returns the pages reclaimed.
//
// Model: do_try_to_free_pages counts the stall; with no LRU lists and no
// shrinkers modeled yet there is nothing to scan, so it reclaims nothing.
// Issue 4 replaces the body with shrink_zones and the rest of vmscan.c.
func (s *System) tryToFreePages(zl *zonelist, order uint, gfp GFP) uint64 {
	s.countVMEvent(ALLOCSTALL)
	return 0
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

// pageout() results, enum pageout_t.
const (
	PAGE_KEEP     = iota // failed to write page out, page is locked
	PAGE_ACTIVATE        // move page to the active list, page is locked
	PAGE_SUCCESS         // sent for writeback, page is unlocked
	PAGE_CLEAN           // page is clean and locked
)

// isPageCacheFreeable is is_page_cache_freeable(): only the isolating
// caller, the cache and any buffers hold the page.
func (s *System) isPageCacheFreeable(pfn uint64) bool {
	p := &s.pages[pfn]
	return p.count-b2i32(p.flags&PAGE_FLAGS_PRIVATE != 0) == 2
}

// pageout is pageout() (swap): reclaim's write of a dirty, locked page
// through ->writepage with for_reclaim set and PG_reclaim, so that the
// page goes to the tail of the inactive list when the write completes.
//
// Model: may_write_to_queue always says yes (the swap and shmem backing
// devices are never congested, as the kernel's comment says of
// swap_backing_dev_info); orphaned pages with buffers are not modeled.
func (s *System) pageout(pfn uint64, m *AddressSpace) int {
	p := &s.pages[pfn]
	if !s.isPageCacheFreeable(pfn) {
		return PAGE_KEEP
	}
	if m == nil {
		return PAGE_KEEP
	}
	if !s.ClearPageDirtyForIO(pfn) {
		return PAGE_CLEAN
	}
	wbc := &WritebackControl{SyncMode: WB_SYNC_NONE, NrToWrite: SWAP_CLUSTER_MAX, RangeStart: 0, RangeEnd: LLONG_MAX, ForReclaim: true}
	p.setFlag(PG_reclaim) // SetPageReclaim
	res := m.Ops.Writepage(s, pfn, wbc)
	if res < 0 {
		// handle_write_error
		s.lockPage(pfn)
		if s.pageMapping(pfn) == m {
			m.Flags |= AS_EIO
		}
		s.unlockPage(pfn)
	}
	if res == AOP_WRITEPAGE_ACTIVATE {
		p.clearFlag(PG_reclaim)
		return PAGE_ACTIVATE
	}
	if !p.PageWriteback() {
		p.clearFlag(PG_reclaim) // synchronous write or broken a_ops
	}
	s.PageZone(p).modZonePageState(NR_VMSCAN_WRITE, 1)
	return PAGE_SUCCESS
}

// SWAP_CLUSTER_MAX is the reclaim batch (include/linux/swap.h).
const SWAP_CLUSTER_MAX = 32

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
		switch s.pageout(pfn, m) {
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
