// SPDX-License-Identifier: GPL-2.0-only

package mm

// mm/swap.c and include/linux/mm_inline.h: the LRU lists, the per-CPU
// pagevecs that batch additions and moves, and page release. Pages reach the
// LRU only through a pagevec, which holds a reference on each page until it
// drains; that extra reference is what makes a page just added to the LRU
// fail migrate_page_move_mapping's reference check.

// enum lru_list.
const (
	LRU_BASE   = 0
	LRU_ACTIVE = 1
	LRU_FILE   = 2

	LRU_INACTIVE_ANON = LRU_BASE
	LRU_ACTIVE_ANON   = LRU_BASE + LRU_ACTIVE
	LRU_INACTIVE_FILE = LRU_BASE + LRU_FILE
	LRU_ACTIVE_FILE   = LRU_BASE + LRU_FILE + LRU_ACTIVE
	LRU_UNEVICTABLE   = 4
	NR_LRU_LISTS      = 5
)

var lruNames = [NR_LRU_LISTS]string{"inactive_anon", "active_anon", "inactive_file", "active_file", "unevictable"}

// PAGEVEC_SIZE is the pagevec capacity.
const PAGEVEC_SIZE = 14

// zoneReclaimStat is struct zone_reclaim_stat: [0] anon, [1] file.
type zoneReclaimStat struct {
	recentRotated [2]uint64
	recentScanned [2]uint64
}

// lruvec is struct lruvec (no memcg: one per zone).
type lruvec struct {
	lists       [NR_LRU_LISTS]ListHead
	reclaimStat zoneReclaimStat
}

// pagevec is struct pagevec.
type pagevec struct {
	nr    int
	cold  bool
	pages [PAGEVEC_SIZE]uint64
}

// pagevecAdd is pagevec_add(): returns the space left.
func (pv *pagevec) pagevecAdd(pfn uint64) int {
	pv.pages[pv.nr] = pfn
	pv.nr++
	return PAGEVEC_SIZE - pv.nr
}

func (pv *pagevec) pagevecSpace() int { return PAGEVEC_SIZE - pv.nr }

// cpuPagevecs are the per-CPU pagevecs of mm/swap.c.
type cpuPagevecs struct {
	lruAdd, lruRotate, lruDeactivate, activate pagevec
}

// initLRU sets up every zone's lruvec and the per-CPU pagevecs.
func (s *System) initLRU() {
	for _, z := range s.zones {
		for l := range z.lruvec.lists {
			z.lruvec.lists[l] = s.newListHead()
		}
	}
	s.pvecs = make([]cpuPagevecs, s.cfg.CPUs)
}

// pageIsFileCache is page_is_file_cache(): not swap-backed. This decides
// which LRU a page goes on, and in shrink_page_list whether direct reclaim
// may write it (the seed's WARN comes from this returning false for a file
// page).
func (p *Page) pageIsFileCache() bool { return !p.PageSwapBacked() }

// PageIsFileCache is the exported page_is_file_cache().
func (p *Page) PageIsFileCache() bool { return p.pageIsFileCache() }

// pageLRUBaseType is page_lru_base_type().
func (p *Page) pageLRUBaseType() int {
	if p.pageIsFileCache() {
		return LRU_INACTIVE_FILE
	}
	return LRU_INACTIVE_ANON
}

// pageLRU is page_lru(): which list the page belongs on.
func (p *Page) pageLRU() int {
	if p.PageUnevictable() {
		return LRU_UNEVICTABLE
	}
	lru := p.pageLRUBaseType()
	if p.PageActive() {
		lru += LRU_ACTIVE
	}
	return lru
}

// pageOffLRU is page_off_lru(): the list the page is on, clearing
// PG_unevictable or PG_active as it leaves.
func (p *Page) pageOffLRU() int {
	if p.PageUnevictable() {
		p.clearFlag(PG_unevictable)
		return LRU_UNEVICTABLE
	}
	lru := p.pageLRUBaseType()
	if p.PageActive() {
		p.clearFlag(PG_active)
		lru += LRU_ACTIVE
	}
	return lru
}

// addPageToLRUList is add_page_to_lru_list(): at the head, counted.
func (s *System) addPageToLRUList(pfn uint64, z *Zone, lru int) {
	s.listAdd(uint32(pfn), z.lruvec.lists[lru])
	z.__modZonePageState(NR_LRU_BASE+ZoneStatItem(lru), 1)
}

// delPageFromLRUList is del_page_from_lru_list().
func (s *System) delPageFromLRUList(pfn uint64, z *Zone, lru int) {
	s.listDel(uint32(pfn))
	z.__modZonePageState(NR_LRU_BASE+ZoneStatItem(lru), -1)
}

// GetPage is get_page(): take a reference on a page that already has one.
func (s *System) GetPage(pfn uint64) {
	p := &s.pages[pfn]
	s.vmBugOnPage(p.count <= 0, pfn, "atomic_read(&page->_count) <= 0", "include/linux/mm.h", 509)
	p.count++
}

// getPageUnlessZero is get_page_unless_zero().
func (s *System) getPageUnlessZero(pfn uint64) bool {
	p := &s.pages[pfn]
	if p.count == 0 {
		return false
	}
	p.count++
	return true
}

// __pageCacheRelease is __page_cache_release(): take the page off the LRU
// before it is freed.
func (s *System) __pageCacheRelease(pfn uint64) {
	p := &s.pages[pfn]
	if p.PageLRU() {
		z := s.PageZone(p)
		p.clearFlag(PG_lru)
		s.delPageFromLRUList(pfn, z, p.pageOffLRU())
	}
}

// __putSinglePage is __put_single_page().
func (s *System) __putSinglePage(pfn uint64) {
	s.__pageCacheRelease(pfn)
	s.freeHotColdPage(pfn, false)
}

// PutPage is put_page() (page_cache_release): drop a reference; the last
// one takes the page off the LRU and frees it.
//
// Model: transparent huge pages are not modeled, so a compound page here is
// a __GFP_COMP kernel allocation whose head is put; tails are never put on
// their own.
func (s *System) PutPage(pfn uint64) {
	s.Cover("put_page")
	p := &s.pages[pfn]
	if p.PageCompound() {
		if s.putPageTestzero(pfn) {
			s.__pageCacheRelease(pfn)
			s.freeCompoundPage(pfn)
		}
		return
	}
	if s.putPageTestzero(pfn) {
		s.__putSinglePage(pfn)
	}
}

// releasePages is release_pages(): put each page; the ones whose count
// drops to zero leave the LRU and are freed as a batch, in reverse order
// of the array as list_add builds the batch.
func (s *System) releasePages(pfns []uint64, cold bool) {
	s.Cover("release_pages")
	// Callers pass a pagevec's worth (PAGEVEC_SIZE) or so: a buffer on
	// the stack spares a heap allocation per batch on the exit path.
	var buf [PAGEVEC_SIZE]uint64
	toFree := buf[:0]
	for _, pfn := range pfns {
		p := &s.pages[pfn]
		if p.PageCompound() {
			s.PutPage(pfn)
			continue
		}
		if !s.putPageTestzero(pfn) {
			continue
		}
		if p.PageLRU() {
			z := s.PageZone(p)
			p.clearFlag(PG_lru)
			s.delPageFromLRUList(pfn, z, p.pageOffLRU())
		}
		p.clearFlag(PG_active)
		toFree = append(toFree, pfn)
	}
	// list_add puts each page at the head: the list runs newest first.
	for i, j := 0, len(toFree)-1; i < j; i, j = i+1, j-1 {
		toFree[i], toFree[j] = toFree[j], toFree[i]
	}
	s.FreeHotColdPageList(toFree, cold)
}

// pagevecLRUMoveFn is pagevec_lru_move_fn(): apply fn to each page, then
// drop the pagevec's references.
func (s *System) pagevecLRUMoveFn(pv *pagevec, fn func(pfn uint64, z *Zone)) {
	for i := 0; i < pv.nr; i++ {
		pfn := pv.pages[i]
		fn(pfn, s.pfnZone(pfn))
	}
	s.releasePages(pv.pages[:pv.nr], pv.cold)
	pv.nr, pv.cold = 0, false
}

// updatePageReclaimStat is update_page_reclaim_stat().
func (z *Zone) updatePageReclaimStat(file bool, rotated bool) {
	i := b2i(file)
	z.lruvec.reclaimStat.recentScanned[i]++
	if rotated {
		z.lruvec.reclaimStat.recentRotated[i]++
	}
}

// __pagevecLRUAddFn is __pagevec_lru_add_fn(): PG_lru on, onto its list.
func (s *System) __pagevecLRUAddFn(pfn uint64, z *Zone) {
	s.Cover("__pagevec_lru_add_fn")
	p := &s.pages[pfn]
	file, active := p.pageIsFileCache(), p.PageActive()
	lru := p.pageLRU()
	s.vmBugOnPage(p.PageLRU(), pfn, "PageLRU(page)", "mm/swap.c", 994)
	p.setFlag(PG_lru)
	s.addPageToLRUList(pfn, z, lru)
	z.updatePageReclaimStat(file, active)
	if s.tracer != nil {
		s.emit("mm_lru_insertion", "page=%016x pfn=%d lru=%d flags=%s", pagePtr(pfn), pfn, lru, traceLRUFlags(p))
	}
	if s.hist != nil {
		s.hist.add(s, pfn, "lru add: "+lruNames[lru])
	}
}

// __pagevecLRUAdd is __pagevec_lru_add().
func (s *System) __pagevecLRUAdd(pv *pagevec) {
	s.pagevecLRUMoveFn(pv, s.__pagevecLRUAddFn)
}

// __lruCacheAdd is __lru_cache_add(): the pagevec takes a reference and
// drains when full.
func (s *System) __lruCacheAdd(pfn uint64) {
	pv := &s.pvecs[s.smpProcessorID()].lruAdd
	s.GetPage(pfn)
	if pv.pagevecSpace() == 0 {
		s.__pagevecLRUAdd(pv)
	}
	pv.pagevecAdd(pfn)
}

// lruCacheAdd is lru_cache_add().
func (s *System) lruCacheAdd(pfn uint64) {
	p := &s.pages[pfn]
	s.vmBugOnPage(p.PageActive() && p.PageUnevictable(), pfn, "PageActive(page) && PageUnevictable(page)", "mm/swap.c", 669)
	s.vmBugOnPage(p.PageLRU(), pfn, "PageLRU(page)", "mm/swap.c", 670)
	s.__lruCacheAdd(pfn)
}

// lruCacheAddAnon is lru_cache_add_anon().
func (s *System) lruCacheAddAnon(pfn uint64) {
	s.pages[pfn].clearFlag(PG_active)
	s.__lruCacheAdd(pfn)
}

// lruCacheAddFile is lru_cache_add_file().
func (s *System) lruCacheAddFile(pfn uint64) {
	s.pages[pfn].clearFlag(PG_active)
	s.__lruCacheAdd(pfn)
}

// addPageToUnevictableList is add_page_to_unevictable_list().
func (s *System) addPageToUnevictableList(pfn uint64) {
	p := &s.pages[pfn]
	p.clearFlag(PG_active)
	p.setFlag(PG_unevictable)
	p.setFlag(PG_lru)
	s.addPageToLRUList(pfn, s.PageZone(p), LRU_UNEVICTABLE)
}

// pagevecMoveTail is pagevec_move_tail(): rotate inactive pages to the tail.
func (s *System) pagevecMoveTail(pv *pagevec) {
	s.Cover("pagevec_move_tail")
	moved := uint64(0)
	s.pagevecLRUMoveFn(pv, func(pfn uint64, z *Zone) {
		p := &s.pages[pfn]
		if p.PageLRU() && !p.PageActive() && !p.PageUnevictable() {
			s.listMoveTail(uint32(pfn), z.lruvec.lists[p.pageLRUBaseType()])
			moved++
		}
	})
	s.countVMEvents(PGROTATED, moved)
}

// rotateReclaimablePage is rotate_reclaimable_page(): a page reclaim wanted
// whose writeback just finished goes to the tail of the inactive list, to be
// reclaimed next.
func (s *System) rotateReclaimablePage(pfn uint64) {
	s.Cover("rotate_reclaimable_page")
	p := &s.pages[pfn]
	if !p.PageLocked() && !p.PageDirty() && !p.PageActive() && !p.PageUnevictable() && p.PageLRU() {
		s.GetPage(pfn)
		pv := &s.pvecs[s.smpProcessorID()].lruRotate
		if pv.pagevecAdd(pfn) == 0 {
			s.pagevecMoveTail(pv)
		}
	}
}

// __activatePage is __activate_page().
func (s *System) __activatePage(pfn uint64, z *Zone) {
	s.Cover("__activate_page")
	p := &s.pages[pfn]
	if p.PageLRU() && !p.PageActive() && !p.PageUnevictable() {
		file := p.pageIsFileCache()
		lru := p.pageLRUBaseType()
		s.delPageFromLRUList(pfn, z, lru)
		p.setFlag(PG_active)
		s.addPageToLRUList(pfn, z, lru+LRU_ACTIVE)
		if s.tracer != nil {
			s.emit("mm_lru_activate", "page=%016x pfn=%d", pagePtr(pfn), pfn)
		}
		s.countVMEvent(PGACTIVATE)
		z.updatePageReclaimStat(file, true)
	}
}

// activatePage is activate_page() (CONFIG_SMP: through a pagevec).
func (s *System) activatePage(pfn uint64) {
	s.Cover("activate_page")
	p := &s.pages[pfn]
	if p.PageLRU() && !p.PageActive() && !p.PageUnevictable() {
		pv := &s.pvecs[s.smpProcessorID()].activate
		s.GetPage(pfn)
		if pv.pagevecAdd(pfn) == 0 {
			s.pagevecLRUMoveFn(pv, s.__activatePage)
		}
	}
}

// __lruCacheActivatePage is __lru_cache_activate_page(): a page still in
// this CPU's lru_add pagevec is marked active so it lands on the active list.
func (s *System) __lruCacheActivatePage(pfn uint64) {
	pv := &s.pvecs[s.smpProcessorID()].lruAdd
	for i := pv.nr - 1; i >= 0; i-- {
		if pv.pages[i] == pfn {
			s.pages[pfn].setFlag(PG_active)
			break
		}
	}
}

// MarkPageAccessed is mark_page_accessed(): inactive,unreferenced ->
// inactive,referenced -> active,unreferenced.
//
// Model: workingset_activation() only feeds the workingset refault
// statistics, which arrive with reclaim.
func (s *System) MarkPageAccessed(pfn uint64) {
	s.Cover("mark_page_accessed")
	p := &s.pages[pfn]
	if !p.PageActive() && !p.PageUnevictable() && p.testFlag(PG_referenced) {
		if p.PageLRU() {
			s.activatePage(pfn)
		} else {
			s.__lruCacheActivatePage(pfn)
		}
		p.clearFlag(PG_referenced)
	} else if !p.testFlag(PG_referenced) {
		p.setFlag(PG_referenced)
	}
}

// lruDeactivateFn is lru_deactivate_fn(): an unmapped page being
// invalidated moves to the inactive list; a clean one to its tail, a dirty
// or writeback one gets PG_reclaim to be rotated when writeback ends.
func (s *System) lruDeactivateFn(pfn uint64, z *Zone) {
	s.Cover("lru_deactivate_fn")
	p := &s.pages[pfn]
	if !p.PageLRU() || p.PageUnevictable() || p.mapcount > 0 {
		return
	}
	active := p.PageActive()
	file := p.pageIsFileCache()
	lru := p.pageLRUBaseType()
	s.delPageFromLRUList(pfn, z, lru+b2i(active))
	p.clearFlag(PG_active)
	p.clearFlag(PG_referenced)
	s.addPageToLRUList(pfn, z, lru)
	if p.PageWriteback() || p.PageDirty() {
		p.setFlag(PG_reclaim)
	} else {
		s.listMoveTail(uint32(pfn), z.lruvec.lists[lru])
		s.countVMEvent(PGROTATED)
	}
	if active {
		s.countVMEvent(PGDEACTIVATE)
	}
	z.updatePageReclaimStat(file, false)
}

// deactivatePage is deactivate_page().
func (s *System) deactivatePage(pfn uint64) {
	s.Cover("deactivate_page")
	if s.pages[pfn].PageUnevictable() {
		return
	}
	if s.getPageUnlessZero(pfn) {
		pv := &s.pvecs[s.smpProcessorID()].lruDeactivate
		if pv.pagevecAdd(pfn) == 0 {
			s.pagevecLRUMoveFn(pv, s.lruDeactivateFn)
		}
	}
}

// lruAddDrainCPU is lru_add_drain_cpu().
func (s *System) lruAddDrainCPU(cpu int) {
	s.Cover("lru_add_drain_cpu")
	pv := &s.pvecs[cpu]
	if pv.lruAdd.nr != 0 {
		s.__pagevecLRUAdd(&pv.lruAdd)
	}
	if pv.lruRotate.nr != 0 {
		s.pagevecMoveTail(&pv.lruRotate)
	}
	if pv.lruDeactivate.nr != 0 {
		s.pagevecLRUMoveFn(&pv.lruDeactivate, s.lruDeactivateFn)
	}
	if pv.activate.nr != 0 {
		s.pagevecLRUMoveFn(&pv.activate, s.__activatePage)
	}
}

// LRUAddDrain is lru_add_drain(): this CPU's pagevecs.
func (s *System) LRUAddDrain() { s.lruAddDrainCPU(s.smpProcessorID()) }

// LRUAddDrainAll is lru_add_drain_all(): every CPU with pending pagevecs
// drains them on that CPU (the kernel queues work on each and waits).
func (s *System) LRUAddDrainAll() {
	s.Cover("lru_add_drain_all")
	for cpu := range s.pvecs {
		pv := &s.pvecs[cpu]
		if pv.lruAdd.nr != 0 || pv.lruRotate.nr != 0 || pv.lruDeactivate.nr != 0 || pv.activate.nr != 0 {
			restore := s.onCPU(cpu)
			s.lruAddDrainCPU(cpu)
			restore()
		}
	}
}

// pageEvictable is page_evictable(): not mlocked, mapping not unevictable.
func (s *System) pageEvictable(pfn uint64) bool {
	p := &s.pages[pfn]
	return !s.mappingUnevictable(p) && !p.PageMlocked()
}

// mappingUnevictable is mapping_unevictable(page_mapping(page)): the
// address_space has AS_UNEVICTABLE (ramfs, SHM_LOCK).
//
// Model: no modeled address_space sets AS_UNEVICTABLE yet.
func (s *System) mappingUnevictable(p *Page) bool { return false }

// isolateLRUPage is isolate_lru_page() (mm/vmscan.c): take a page off its
// LRU with an extra reference. Returns false (-EBUSY) if it was not on one.
func (s *System) isolateLRUPage(pfn uint64) bool {
	s.Cover("isolate_lru_page")
	p := &s.pages[pfn]
	s.vmBugOnPage(p.count == 0, pfn, "!page_count(page)", "mm/vmscan.c", 1336)
	if !p.PageLRU() {
		return false
	}
	z := s.PageZone(p)
	lru := p.pageLRU()
	s.GetPage(pfn)
	p.clearFlag(PG_lru)
	s.delPageFromLRUList(pfn, z, lru)
	return true
}

// putbackLRUPage is putback_lru_page() (mm/vmscan.c): return an isolated
// page to the right list and drop the isolation reference.
func (s *System) putbackLRUPage(pfn uint64) {
	s.CoverPage("putback_lru_page", pfn)
	p := &s.pages[pfn]
	wasUnevictable := p.PageUnevictable()
	s.vmBugOnPage(p.PageLRU(), pfn, "PageLRU(page)", "mm/vmscan.c", 644)
	var isUnevictable bool
	for {
		p.clearFlag(PG_unevictable)
		if s.pageEvictable(pfn) {
			isUnevictable = false
			s.lruCacheAdd(pfn)
		} else {
			isUnevictable = true
			s.addPageToUnevictableList(pfn)
		}
		if isUnevictable && s.pageEvictable(pfn) {
			if s.isolateLRUPage(pfn) {
				s.PutPage(pfn)
				continue
			}
		}
		break
	}
	if wasUnevictable && !isUnevictable {
		s.countVMEvent(UNEVICTABLE_PGRESCUED)
	} else if !wasUnevictable && isUnevictable {
		s.countVMEvent(UNEVICTABLE_PGCULLED)
	}
	s.PutPage(pfn)
}

// traceLRUFlags is trace_pagemap_flags() as mm_lru_insertion prints it:
// M(apped), a(non) or f(ile), s(wapcache), b (swap-backed), d (mapped to
// disk), B(uffers), each position a space when clear.
func traceLRUFlags(p *Page) string {
	pick := func(c bool, y, n byte) byte {
		if c {
			return y
		}
		return n
	}
	return string([]byte{
		pick(p.mapcount > 0, 'M', ' '),
		pick(p.PageAnon(), 'a', 'f'),
		pick(p.PageSwapCache(), 's', ' '),
		pick(p.PageSwapBacked(), 'b', ' '),
		pick(p.testFlag(PG_mappedtodisk), 'd', ' '),
		pick(p.flags&PAGE_FLAGS_PRIVATE != 0, 'B', ' '),
	})
}

// swapSetup is swap_setup(): the swap cache's address_space and backing
// device, and page_cluster, the log2 of the swap-in readahead window (2
// below 16 MiB of RAM, else 3: 8 pages).
func (s *System) swapSetup() {
	s.swapperSpace = s.newSwapperSpace()
	s.swap.readaheadHits = 4 // swapin_readahead_hits starts at 4
	if megs := s.totalramPages >> (20 - PAGE_SHIFT); megs < 16 {
		s.swap.pageCluster = 2
	} else {
		s.swap.pageCluster = 3
	}
}
