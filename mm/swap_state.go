// SPDX-License-Identifier: GPL-2.0-only

package mm

import "pagesim/klog"

// mm/swap_state.c: the swap cache. A page on its way to or from swap sits
// in the swapper address_space, indexed by its swp_entry_t value, with
// PG_swapcache set and page->private holding the entry; the cache holds a
// reference and the slot's swap_map has SWAP_HAS_CACHE. Swap-in goes
// through here (read_swap_cache_async, swapin_readahead) and so does
// swap-out (add_to_swap).
//
// Model, for the whole file: v3.16 has one swapper address_space per swap
// type (swapper_spaces[], chosen by swap_address_space(entry)); the model
// keeps them in one address_space, System.swapperSpace, whose tree is
// indexed by the full entry value, type bits included, so the lookups are
// the same. Radix-tree preloading cannot fail, so add_to_swap_cache never
// returns -ENOMEM; memcg is not modeled.

// SwapCacheInfo is swap_cache_info: what show_swap_cache_info prints.
type SwapCacheInfo struct {
	AddTotal, DelTotal, FindSuccess, FindTotal uint64
}

// swapAops is swap_aops: the swapper address_space's operations.
type swapAops struct{}

// Writepage is swap_aops.writepage: swap_writepage.
func (swapAops) Writepage(s *System, pfn uint64, wbc *WritebackControl) int {
	return s.swapWritepage(pfn, wbc)
}

// Readpage: swap_aops has no ->readpage (swap-in goes through
// swap_readpage directly); calling it is a NULL pointer in the kernel.
func (swapAops) Readpage(s *System, pfn uint64) int {
	// model-only check: the kernel would call a NULL ->readpage.
	s.bug("mm/swap_state.c", 28)
	return 0
}

// SetPageDirty is swap_aops.set_page_dirty: swap_set_page_dirty.
func (swapAops) SetPageDirty(s *System, pfn uint64) bool { return s.swapSetPageDirty(pfn) }

// newSwapperSpace builds swapper_spaces with swap_backing_dev_info. The
// swap cache is not in the mapping registry: no page's ->mapping names it
// (page_mapping() finds it through PG_swapcache).
func (s *System) newSwapperSpace() *AddressSpace {
	bdi := &BackingDevInfo{Name: "swap", Capabilities: BDI_CAP_NO_ACCT_AND_WRITEBACK | BDI_CAP_SWAP_BACKED}
	m := &AddressSpace{sys: s, Ops: swapAops{}, BDI: bdi}
	m.tree.SetSlab(s.radixSlab)
	return m
}

// totalSwapcachePages is total_swapcache_pages().
func (s *System) totalSwapcachePages() uint64 {
	if s.swapperSpace == nil {
		return 0
	}
	return s.swapperSpace.nrpages
}

// SwapCacheStats returns swap_cache_info and total_swapcache_pages().
func (s *System) SwapCacheStats() (SwapCacheInfo, uint64) {
	return s.swap.cacheInfo, s.totalSwapcachePages()
}

// showSwapCacheInfo is show_swap_cache_info(), part of show_mem().
func (s *System) showSwapCacheInfo() {
	ci := s.swap.cacheInfo
	s.logf(klog.KernDefault, "%d pages in swap cache\n", s.totalSwapcachePages())
	s.logf(klog.KernDefault, "Swap cache stats: add %d, delete %d, find %d/%d\n", ci.AddTotal, ci.DelTotal, ci.FindSuccess, ci.FindTotal)
	s.logf(klog.KernDefault, "Free swap  = %dkB\n", s.swap.nrSwapPages<<(PAGE_SHIFT-10))
	s.logf(klog.KernDefault, "Total swap = %dkB\n", s.swap.totalSwapPages<<(PAGE_SHIFT-10))
}

// __addToSwapCache is __add_to_swap_cache(): like adding to the page
// cache, but PG_swapcache and page->private name the slot instead of
// mapping and index. The page is locked and swap-backed.
func (s *System) __addToSwapCache(pfn uint64, entry swpEntry) int {
	s.Cover("__add_to_swap_cache")
	p := &s.pages[pfn]
	s.vmBugOnPage(!p.PageLocked(), pfn, "!PageLocked(page)", "mm/swap_state.c", 88)
	s.vmBugOnPage(p.PageSwapCache(), pfn, "PageSwapCache(page)", "mm/swap_state.c", 89)
	s.vmBugOnPage(!p.PageSwapBacked(), pfn, "!PageSwapBacked(page)", "mm/swap_state.c", 90)
	s.GetPage(pfn)
	p.setFlag(PG_swapcache)
	p.private = entry.val()
	m := s.swapperSpace
	if err := m.tree.Insert(entry.val(), PFNToRadixEntry(pfn)); err != nil {
		// Only the holder of SWAP_HAS_CACHE adds, so never -EEXIST.
		s.bug("mm/swap_state.c", 113)
	}
	m.nrpages++
	s.PageZone(p).__incZoneState(NR_FILE_PAGES)
	s.swap.cacheInfo.AddTotal++
	if s.hist != nil {
		s.hist.add(s, pfn, "added to swap cache")
	}
	return 0
}

// addToSwapCache is add_to_swap_cache(): radix_tree_maybe_preload, then
// __add_to_swap_cache.
func (s *System) addToSwapCache(pfn uint64, entry swpEntry, gfp GFP) int {
	return s.__addToSwapCache(pfn, entry)
}

// __deleteFromSwapCache is __delete_from_swap_cache(): out of the swap
// cache's tree, PG_swapcache and page->private cleared, NR_FILE_PAGES
// dropped. The caller drops the slot's SWAP_HAS_CACHE and the cache's
// reference.
func (s *System) __deleteFromSwapCache(pfn uint64) {
	s.Cover("__delete_from_swap_cache")
	p := &s.pages[pfn]
	s.vmBugOnPage(!p.PageLocked(), pfn, "!PageLocked(page)", "mm/swap_state.c", 144)
	s.vmBugOnPage(!p.PageSwapCache(), pfn, "!PageSwapCache(page)", "mm/swap_state.c", 145)
	s.vmBugOnPage(p.PageWriteback(), pfn, "PageWriteback(page)", "mm/swap_state.c", 146)
	m := s.swapperSpace
	m.tree.Delete(p.private) // radix_tree_delete clears the tags too
	p.private = 0
	p.clearFlag(PG_swapcache)
	m.nrpages--
	s.PageZone(p).__decZoneState(NR_FILE_PAGES)
	s.swap.cacheInfo.DelTotal++
	if s.hist != nil {
		s.hist.add(s, pfn, "deleted from swap cache")
	}
}

// addToSwap is add_to_swap(): give a locked, up-to-date anon page a swap
// slot and put it in the swap cache, dirty (it has yet to be written).
// It returns false when swap is full.
//
// Model: transparent huge pages are not modeled, so no split is needed.
func (s *System) addToSwap(pfn uint64) bool {
	s.CoverPage("add_to_swap", pfn)
	p := &s.pages[pfn]
	s.vmBugOnPage(!p.PageLocked(), pfn, "!PageLocked(page)", "mm/swap_state.c", 170)
	s.vmBugOnPage(!p.testFlag(PG_uptodate), pfn, "!PageUptodate(page)", "mm/swap_state.c", 171)
	entry, ok := s.getSwapPage()
	if !ok {
		return false
	}
	if s.addToSwapCache(pfn, entry, GFP_HIGH|GFP_NOMEMALLOC|GFP_NOWARN) == 0 {
		p.setFlag(PG_dirty) // SetPageDirty
		return true
	}
	s.swapcacheFree(entry)
	return false
}

// deleteFromSwapCache is delete_from_swap_cache(): for a locked page known
// to be in the swap cache; the caller keeps a reference.
func (s *System) deleteFromSwapCache(pfn uint64) {
	entry := swpEntryFromVal(s.pages[pfn].private)
	s.__deleteFromSwapCache(pfn)
	s.swapcacheFree(entry)
	s.PutPage(pfn)
}

// freeSwapCache is free_swap_cache(): an unmapped swap-cache page whose
// lock is free gives up its swap if nothing else needs it.
func (s *System) freeSwapCache(pfn uint64) {
	p := &s.pages[pfn]
	if p.PageSwapCache() && p.mapcount <= 0 && s.trylockPage(pfn) {
		s.tryToFreeSwap(pfn)
		s.unlockPage(pfn)
	}
}

// freePageAndSwapCache is free_page_and_swap_cache().
func (s *System) freePageAndSwapCache(pfn uint64) {
	s.freeSwapCache(pfn)
	s.PutPage(pfn)
}

// freePagesAndSwapCache is free_pages_and_swap_cache(): drain this CPU's
// pagevecs, then, a pagevec's worth at a time, free the swap of the pages
// that no longer need it and release them.
func (s *System) freePagesAndSwapCache(pfns []uint64) {
	s.Cover("free_pages_and_swap_cache")
	s.LRUAddDrain()
	for i := 0; i < len(pfns); i += PAGEVEC_SIZE {
		j := min(i+PAGEVEC_SIZE, len(pfns))
		for _, pfn := range pfns[i:j] {
			s.freeSwapCache(pfn)
		}
		s.releasePages(pfns[i:j], false)
	}
}

// lookupSwapCache is lookup_swap_cache(): the cached page of an entry,
// with a reference; a hit on a page read ahead counts for readahead.
func (s *System) lookupSwapCache(entry swpEntry) (uint64, bool) {
	s.Cover("lookup_swap_cache")
	pfn, ok := s.FindGetPage(s.swapperSpace, entry.val())
	if ok {
		s.swap.cacheInfo.FindSuccess++
		if s.pages[pfn].testClearFlag(PG_readahead) {
			s.swap.readaheadHits++
		}
	}
	s.swap.cacheInfo.FindTotal++
	return pfn, ok
}

// LookupSwapCache is the exported lookup_swap_cache() for a swap type and
// offset.
func (s *System) LookupSwapCache(typ int, offset uint64) (uint64, bool) {
	return s.lookupSwapCache(swpEntry{Type: typ, Offset: offset})
}

// readSwapCacheAsync is read_swap_cache_async(): the entry's page, from
// the swap cache or newly allocated, added and submitted for reading
// (locked until the read completes). It fails when the entry is no longer
// in use or no page could be allocated.
func (s *System) readSwapCacheAsync(entry swpEntry, gfp GFP, v *VMArea, addr uint64) (uint64, bool) {
	s.Cover("read_swap_cache_async")
	var newPFN uint64
	haveNew := false
	var found uint64
	ok := false
	for {
		if found, ok = s.FindGetPage(s.swapperSpace, entry.val()); ok {
			break
		}
		if !haveNew {
			if newPFN, haveNew = s.allocPageVMA(gfp, v, addr); !haveNew {
				break
			}
		}
		err := s.swapcachePrepare(entry)
		if err == errnoEEXIST {
			// Someone else is adding this entry's page: let them.
			s.condResched()
			continue
		}
		if err != 0 {
			break
		}
		p := &s.pages[newPFN]
		p.setFlag(PG_locked) // __set_page_locked
		p.setFlag(PG_swapbacked)
		if s.__addToSwapCache(newPFN, entry) == 0 {
			s.lruCacheAddAnon(newPFN)
			s.swapReadpage(newPFN)
			return newPFN, true
		}
		p.clearFlag(PG_swapbacked)
		p.clearFlag(PG_locked)
		s.swapcacheFree(entry)
	}
	if haveNew {
		s.PutPage(newPFN)
	}
	return found, ok
}

// swapinNrPages is swapin_nr_pages(): how many pages to read around
// offset: more after readahead hits, one for random access, never
// shrinking by more than half at a time, at most 1 << page_cluster.
func (s *System) swapinNrPages(offset uint64) uint64 {
	s.Cover("swapin_nr_pages")
	sw := &s.swap
	maxPages := uint64(1) << sw.pageCluster
	if maxPages <= 1 {
		return 1
	}
	pages := uint64(sw.readaheadHits) + 2
	sw.readaheadHits = 0
	if pages == 2 {
		// No hits to judge by: check for an adjacent offset instead.
		if offset != sw.prevOffset+1 && offset != sw.prevOffset-1 {
			pages = 1
		}
		sw.prevOffset = offset
	} else {
		roundup := uint64(4)
		for roundup < pages {
			roundup <<= 1
		}
		pages = roundup
	}
	pages = min(pages, maxPages)
	if lastRA := uint64(sw.lastReadaheadPages) / 2; pages < lastRA {
		pages = lastRA
	}
	sw.lastReadaheadPages = int64(pages)
	return pages
}

// swapinReadahead is swapin_readahead(): read the aligned cluster of
// slots around the entry (the header slot excepted) under a block plug,
// marking the others PG_readahead, then return the entry's own page.
func (s *System) swapinReadahead(entry swpEntry, gfp GFP, v *VMArea, addr uint64) (uint64, bool) {
	s.Cover("swapin_readahead")
	entryOffset := entry.Offset
	if mask := s.swapinNrPages(entryOffset) - 1; mask != 0 {
		start := entryOffset &^ mask
		end := entryOffset | mask
		if start == 0 {
			start++ // the first page is the swap header
		}
		var plug BlkPlug
		s.BlkStartPlug(&plug)
		for off := start; off <= end; off++ {
			pfn, ok := s.readSwapCacheAsync(swpEntry{Type: entry.Type, Offset: off}, gfp, v, addr)
			if !ok {
				continue
			}
			if off != entryOffset {
				s.pages[pfn].setFlag(PG_readahead) // SetPageReadahead
			}
			s.PutPage(pfn)
		}
		s.BlkFinishPlug(&plug)
		s.LRUAddDrain()
	}
	return s.readSwapCacheAsync(entry, gfp, v, addr)
}

// lockPageOrRetry is lock_page_or_retry() (include/linux/pagemap.h) with
// __lock_page_or_retry() (mm/filemap.c): take the page lock, or, for a
// fault that may be retried, wait for the lock to be released and tell
// the caller to retry (false). FAULT_FLAG_RETRY_NOWAIT returns at once.
// With FAULT_FLAG_KILLABLE the waits are killable: a fatal signal ends
// them, and a lock not taken for it is false too.
//
// Model: mmap_sem is not modeled (nothing is dropped).
func (s *System) lockPageOrRetry(pfn uint64, m *MMStruct, flags int) bool {
	s.Cover("lock_page_or_retry")
	if s.trylockPage(pfn) {
		return true
	}
	if flags&FAULT_FLAG_ALLOW_RETRY != 0 {
		if flags&FAULT_FLAG_RETRY_NOWAIT != 0 {
			return false
		}
		if flags&FAULT_FLAG_KILLABLE != 0 {
			s.waitOnPageLockedKillable(pfn)
		} else {
			s.WaitOnPageLocked(pfn)
		}
		return false
	}
	if flags&FAULT_FLAG_KILLABLE != 0 {
		return s.lockPageKillable(pfn) == 0
	}
	s.lockPage(pfn)
	return true
}
