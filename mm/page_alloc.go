// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"fmt"
	"math/bits"

	"pagesim/klog"
	"pagesim/sim"
)

// This file models mm/page_alloc.c of v3.16: the buddy allocator, the
// per-CPU page lists, watermarks and reserves, and __alloc_pages_nodemask
// with its slow path. Functions keep their kernel names (leading
// underscores included) so that call traces read like the kernel's.

// Source locations of the checks this file makes, for reports.
const (
	srcPageAlloc = "mm/page_alloc.c"
)

// ---------------------------------------------------------------------------
// Freeing

// badPage is bad_page(): report a page in a state it must not be in, rate
// limited to a burst of 60 reports a minute, then reset its mapcount so that
// a stale PageBuddy cannot do more harm, and taint the kernel.
func (s *System) badPage(pfn uint64, reason string, badFlags uint64) {
	s.Cover("bad_page")
	p := &s.pages[pfn]
	now := s.jiffies()
	if s.badPageShown == 60 {
		if now < s.badPageResume {
			s.badPageUnshown++
			goto out
		}
		if s.badPageUnshown != 0 {
			s.logf(klog.KernAlert, "BUG: Bad page state: %d messages suppressed\n", s.badPageUnshown)
			s.badPageUnshown = 0
		}
		s.badPageShown = 0
	}
	if s.badPageShown == 0 {
		s.badPageResume = now + 60*HZ
	}
	s.badPageShown++
	s.logf(klog.KernAlert, "BUG: Bad page state in process %s  pfn:%05x\n", s.current().Comm, pfn)
	s.dumpPageBadflags(pfn, reason, badFlags)
	s.printModules()
	s.dumpStack(0)
out:
	p.pageMapcountReset()
	s.addTaint(klog.TaintBadPage)
	if s.hist != nil {
		s.hist.add(s, pfn, "bad_page: "+reason)
	}
}

// badState is the test free_pages_check() and check_new_page() share: the
// reason a page is not as it should be (mapped, in a mapping, _count other
// than count, a flag of mask set), "" when it is. As in the kernel, a later
// test's reason replaces an earlier one's.
func (p *Page) badState(count int32, countReason string, mask uint64, flagsReason string) (reason string, badFlags uint64) {
	if p.mapcount != 0 {
		reason = "nonzero mapcount"
	}
	if p.mapping != 0 {
		reason = "non-NULL mapping"
	}
	if p.count != count {
		reason = countReason
	}
	if p.flags&mask != 0 {
		reason, badFlags = flagsReason, mask
	}
	return reason, badFlags
}

// freePagesCheck is free_pages_check(): a page being freed must have no
// mapcount, no mapping, no references and none of PAGE_FLAGS_CHECK_AT_FREE.
// It returns true when the page is bad (and must not be freed).
func (s *System) freePagesCheck(pfn uint64) bool {
	s.CoverPage("free_pages_check", pfn)
	p := &s.pages[pfn]
	reason, badFlags := p.badState(0, "nonzero _count", PAGE_FLAGS_CHECK_AT_FREE, "PAGE_FLAGS_CHECK_AT_FREE flag(s) set")
	if reason != "" {
		s.badPage(pfn, reason, badFlags)
		return true
	}
	p.pageCpupidResetLast()
	p.flags &^= PAGE_FLAGS_CHECK_AT_PREP
	return false
}

// freePagesPrepare is free_pages_prepare(): trace, drop an anon mapping,
// check every subpage.
func (s *System) freePagesPrepare(pfn uint64, order uint) bool {
	s.Cover("free_pages_prepare")
	s.traceMmPageFree(pfn, order)
	p := &s.pages[pfn]
	if p.PageAnon() {
		p.mapping = 0
	}
	bad := false
	for i := uint64(0); i < 1<<order; i++ {
		if s.freePagesCheck(pfn + i) {
			bad = true
		}
	}
	if !bad {
		s.clearAllocated(pfn, order)
	} else {
		s.markLeaked(pfn, order)
	}
	return !bad
}

// __findBuddyIndex is __find_buddy_index().
func __findBuddyIndex(pageIdx uint64, order uint) uint64 { return pageIdx ^ 1<<order }

// pageIsBuddy is page_is_buddy(): buddy is free, of this order, in the same
// zone.
func (s *System) pageIsBuddy(pfn, buddy uint64, order uint) bool {
	s.Cover("page_is_buddy")
	if !s.pfnValid(buddy) {
		return false
	}
	b := &s.pages[buddy]
	if b.PageBuddy() && b.pageOrder() == order {
		s.vmBugOnPage(b.count != 0, buddy, "page_count(buddy) != 0", srcPageAlloc, 524)
		p := &s.pages[pfn]
		if p.pageZonenum() != b.pageZonenum() || p.pageToNid() != b.pageToNid() {
			return false
		}
		return true
	}
	return false
}

// __freeOnePage is __free_one_page(): merge the block with its free buddies
// as far as possible, then put it at the head of its free list, or at the
// tail when the next-higher buddy is free too (it will likely merge soon).
func (z *Zone) __freeOnePage(pfn uint64, order uint, migratetype int) {
	z.sys.Cover("__free_one_page")
	s := z.sys
	if s.pages[pfn].PageCompound() {
		if s.destroyCompoundPage(pfn, order) != 0 {
			return
		}
	}
	pageIdx := pfn & (1<<MAX_ORDER - 1)
	base := pfn - pageIdx
	s.vmBugOnPage(pageIdx&(1<<order-1) != 0, pfn, "page_idx & ((1 << order) - 1)", srcPageAlloc, 584)
	s.vmBugOnPage(z.badRange(pfn), pfn, "bad_range(zone, page)", srcPageAlloc, 585)

	var buddyIdx uint64
	for order < MAX_ORDER-1 {
		buddyIdx = __findBuddyIndex(pageIdx, order)
		buddy := base + buddyIdx
		if !s.pageIsBuddy(base+pageIdx, buddy, order) {
			break
		}
		s.listDel(uint32(buddy))
		z.freeArea[order].nrFree--
		s.pages[buddy].rmvPageOrder()
		pageIdx &= buddyIdx
		order++
	}
	pfn = base + pageIdx
	s.pages[pfn].setPageOrder(order)

	// pfn_valid_within() is always true without CONFIG_HOLES_IN_ZONE;
	// pageIsBuddy checks that the higher buddy's frame exists.
	if order < MAX_ORDER-2 {
		combined := buddyIdx & pageIdx
		higherBuddy := __findBuddyIndex(combined, order+1)
		if s.pageIsBuddy(base+combined, base+higherBuddy, order+1) {
			s.listAddTail(uint32(pfn), z.freeArea[order].freeList[migratetype])
			z.freeArea[order].nrFree++
			return
		}
	}
	s.listAdd(uint32(pfn), z.freeArea[order].freeList[migratetype])
	z.freeArea[order].nrFree++
}

// freePcppagesBulk is free_pcppages_bulk(): give count pages from the pcp
// lists back to the buddy allocator, round-robin over the lists, taking
// more from fuller lists, oldest (tail) first.
func (z *Zone) freePcppagesBulk(count int, pcp *perCPUPages) {
	z.sys.Cover("free_pcppages_bulk")
	s := z.sys
	migratetype := 0
	batchFree := 0
	toFree := count
	z.pagesScanned = 0
	for toFree > 0 {
		var list ListHead
		for {
			batchFree++
			migratetype++
			if migratetype == MIGRATE_PCPTYPES {
				migratetype = 0
			}
			list = pcp.lists[migratetype]
			if !s.listEmpty(list) {
				break
			}
		}
		if batchFree == MIGRATE_PCPTYPES {
			batchFree = toFree
		}
		for {
			pfn := s.listLast(list)
			s.listDel(pfn)
			mt := s.pages[pfn].freepageMigratetype()
			// The MOVABLE list may hold MIGRATE_RESERVE pages.
			z.__freeOnePage(uint64(pfn), 0, mt)
			s.traceMmPagePcpuDrain(uint64(pfn), 0, mt)
			z.__modZonePageState(NR_FREE_PAGES, 1)
			toFree--
			batchFree--
			if toFree == 0 || batchFree == 0 || s.listEmpty(list) {
				break
			}
		}
	}
}

// freeOnePage is free_one_page().
func (z *Zone) freeOnePage(pfn uint64, order uint, migratetype int) {
	z.pagesScanned = 0
	z.__freeOnePage(pfn, order, migratetype)
	z.__modZoneFreepageState(int64(1)<<order, migratetype)
}

// __freePagesOk is __free_pages_ok(): free a block of order > 0 straight to
// the buddy lists.
func (s *System) __freePagesOk(pfn uint64, order uint) {
	s.Cover("__free_pages_ok")
	if !s.freePagesPrepare(pfn, order) {
		return
	}
	z := s.pfnZone(pfn)
	mt := z.getPageblockMigratetype(pfn)
	s.countVMEvents(PGFREE, 1<<order)
	s.pages[pfn].setFreepageMigratetype(mt)
	z.freeOnePage(pfn, order, mt)
}

// freeHotColdPage is free_hot_cold_page(): an order-0 page goes onto this
// CPU's pcp list for its pageblock's migratetype (MIGRATE_RESERVE pages go
// on the movable list), at the head if hot, the tail if cold; past pcp->high
// a batch returns to the buddy lists.
func (s *System) freeHotColdPage(pfn uint64, cold bool) {
	s.Cover("free_hot_cold_page")
	z := s.pfnZone(pfn)
	if !s.freePagesPrepare(pfn, 0) {
		return
	}
	mt := z.getPageblockMigratetype(pfn)
	s.pages[pfn].setFreepageMigratetype(mt)
	s.countVMEvent(PGFREE)
	if mt >= MIGRATE_PCPTYPES {
		mt = MIGRATE_MOVABLE
	}
	pcp := &z.pageset[s.smpProcessorID()].pcp
	if !cold {
		s.listAdd(uint32(pfn), pcp.lists[mt])
	} else {
		s.listAddTail(uint32(pfn), pcp.lists[mt])
	}
	pcp.count++
	if pcp.count >= pcp.high {
		batch := pcp.batch
		z.freePcppagesBulk(batch, pcp)
		pcp.count -= batch
	}
}

// FreeHotColdPageList is free_hot_cold_page_list().
func (s *System) FreeHotColdPageList(pfns []uint64, cold bool) {
	for _, pfn := range pfns {
		s.traceMmPageFreeBatched(pfn, cold)
		s.freeHotColdPage(pfn, cold)
	}
}

// putPageTestzero is put_page_testzero(): drop a reference, report whether
// it was the last.
func (s *System) putPageTestzero(pfn uint64) bool {
	p := &s.pages[pfn]
	s.vmBugOnPage(p.count == 0, pfn, "atomic_read(&page->_count) == 0", "include/linux/mm.h", 321)
	p.count--
	return p.count == 0
}

// FreePages is __free_pages(): drop a reference to a block the allocator
// handed out; the last reference frees it.
func (s *System) FreePages(pfn uint64, order uint) {
	if s.putPageTestzero(pfn) {
		if order == 0 {
			s.freeHotColdPage(pfn, false)
		} else {
			s.__freePagesOk(pfn, order)
		}
	}
}

// freeCompoundPage is free_compound_page(), the compound destructor.
func (s *System) freeCompoundPage(pfn uint64) {
	s.__freePagesOk(pfn, s.compoundOrder(pfn))
}

// ---------------------------------------------------------------------------
// Compound pages

// compound destructor ids kept in page[1].lru.next, like the kernel's
// function pointer.
const compoundDtorFree = 1

// compoundOrder is compound_order(): page[1].lru.prev of a head page.
func (s *System) compoundOrder(pfn uint64) uint {
	if !s.pages[pfn].PageHead() {
		return 0
	}
	return uint(s.pages[pfn+1].lru.prev)
}

// prepCompoundPage is prep_compound_page().
func (s *System) prepCompoundPage(pfn uint64, order uint) {
	s.Cover("prep_compound_page")
	s.pages[pfn+1].lru.next = compoundDtorFree
	s.pages[pfn+1].lru.prev = uint32(order)
	s.pages[pfn].setFlag(PG_head)
	for i := uint64(1); i < 1<<order; i++ {
		p := &s.pages[pfn+i]
		p.count = 0
		p.private = pfn // first_page
		p.setFlag(PG_tail)
	}
}

// destroyCompoundPage is destroy_compound_page(): undo prep_compound_page,
// reporting inconsistencies through bad_page. It returns the number of
// problems found.
func (s *System) destroyCompoundPage(pfn uint64, order uint) int {
	s.Cover("destroy_compound_page")
	bad := 0
	if s.compoundOrder(pfn) != order {
		s.badPage(pfn, "wrong compound order", 0)
		bad++
	}
	s.pages[pfn].clearFlag(PG_head)
	for i := uint64(1); i < 1<<order; i++ {
		p := &s.pages[pfn+i]
		if !p.PageTail() {
			s.badPage(pfn, "PageTail not set", 0)
			bad++
		} else if p.private != pfn {
			s.badPage(pfn, "first_page not consistent", 0)
			bad++
		}
		p.clearFlag(PG_tail)
		if i == 1 {
			// The dtor and order words are the tail's lru; they are
			// not on any list.
			p.lru = links{}
		}
		p.private = 0
	}
	return bad
}

// ---------------------------------------------------------------------------
// Allocating from the buddy lists

// expand is expand(): split a block of order high down to order low, putting
// the upper halves back on the free lists of migratetype at each order.
func (z *Zone) expand(pfn uint64, low, high uint, migratetype int) {
	z.sys.Cover("expand")
	s := z.sys
	size := uint64(1) << high
	for high > low {
		high--
		size >>= 1
		s.vmBugOnPage(z.badRange(pfn+size), pfn+size, "bad_range(zone, &page[size])", srcPageAlloc, 862)
		s.listAdd(uint32(pfn+size), z.freeArea[high].freeList[migratetype])
		z.freeArea[high].nrFree++
		s.pages[pfn+size].setPageOrder(high)
	}
}

// checkNewPage is check_new_page(): a page leaving the allocator must be
// clean. It returns true when the page is bad.
func (s *System) checkNewPage(pfn uint64) bool {
	reason, badFlags := s.pages[pfn].badState(0, "nonzero _count", PAGE_FLAGS_CHECK_AT_PREP, "PAGE_FLAGS_CHECK_AT_PREP flag set")
	if reason != "" {
		s.badPage(pfn, reason, badFlags)
		return true
	}
	return false
}

// prepNewPage is prep_new_page(). It returns true when a subpage was bad,
// in which case the caller tries another page and the bad one is leaked, as
// in the kernel.
func (s *System) prepNewPage(pfn uint64, order uint, gfp GFP) bool {
	s.Cover("prep_new_page")
	for i := uint64(0); i < 1<<order; i++ {
		if s.checkNewPage(pfn + i) {
			// The block is dropped on the floor, as the kernel does.
			s.markLeaked(pfn, order)
			return true
		}
	}
	p := &s.pages[pfn]
	p.private = 0
	p.count = 1 // set_page_refcounted
	if gfp&GFP_ZERO != 0 {
		// prep_zero_page: clear every subpage's contents.
		for i := uint64(0); i < 1<<order; i++ {
			s.pages[pfn+i].data = 0
		}
	}
	if order != 0 && gfp&GFP_COMP != 0 {
		s.prepCompoundPage(pfn, order)
	}
	s.markAllocated(pfn, order)
	return false
}

// __rmqueueSmallest is __rmqueue_smallest(): the first page of the smallest
// order with a free block of this migratetype, split down to order.
func (z *Zone) __rmqueueSmallest(order uint, migratetype int) (uint64, bool) {
	z.sys.Cover("__rmqueue_smallest")
	s := z.sys
	for cur := order; cur < MAX_ORDER; cur++ {
		area := &z.freeArea[cur]
		if s.listEmpty(area.freeList[migratetype]) {
			continue
		}
		pfn := uint64(s.listFirst(area.freeList[migratetype]))
		s.listDel(uint32(pfn))
		s.pages[pfn].rmvPageOrder()
		area.nrFree--
		z.expand(pfn, order, cur, migratetype)
		s.pages[pfn].setFreepageMigratetype(migratetype)
		return pfn, true
	}
	return 0, false
}

// fallbacks is the v3.16 fallback table (CONFIG_CMA=n): the order in which
// other migratetypes' free lists are raided. MIGRATE_RESERVE ends each row
// and is handled separately by __rmqueue.
var fallbacks = [MIGRATE_TYPES][3]int{
	MIGRATE_UNMOVABLE:   {MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE, MIGRATE_RESERVE},
	MIGRATE_RECLAIMABLE: {MIGRATE_UNMOVABLE, MIGRATE_MOVABLE, MIGRATE_RESERVE},
	MIGRATE_MOVABLE:     {MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE, MIGRATE_RESERVE},
	MIGRATE_RESERVE:     {MIGRATE_RESERVE, MIGRATE_RESERVE, MIGRATE_RESERVE},
}

// moveFreepages is move_freepages(): move every free block in [start, end]
// to migratetype's lists; returns the pages moved.
func (z *Zone) moveFreepages(start, end uint64, migratetype int) int {
	z.sys.Cover("move_freepages")
	s := z.sys
	moved := 0
	for pfn := start; pfn <= end; {
		if !s.pfnValid(pfn) {
			pfn++
			continue
		}
		p := &s.pages[pfn]
		s.vmBugOnPage(p.pageToNid() != z.node.ID, pfn, "page_to_nid(page) != zone_to_nid(zone)", srcPageAlloc, 1016)
		if !p.PageBuddy() {
			pfn++
			continue
		}
		order := p.pageOrder()
		s.listMove(uint32(pfn), z.freeArea[order].freeList[migratetype])
		p.setFreepageMigratetype(migratetype)
		pfn += 1 << order
		moved += 1 << order
	}
	return moved
}

// moveFreepagesBlock is move_freepages_block(): the pageblock around pfn,
// not crossing the zone's ends.
func (z *Zone) moveFreepagesBlock(pfn uint64, migratetype int) int {
	z.sys.Cover("move_freepages_block")
	start := pfn &^ (pageblockNrPages - 1)
	end := start + pageblockNrPages - 1
	startPage := start
	if !z.zoneSpansPFN(start) {
		startPage = pfn
	}
	if !z.zoneSpansPFN(end) {
		return 0
	}
	return z.moveFreepages(startPage, end, migratetype)
}

// changePageblockRange is change_pageblock_range().
func (z *Zone) changePageblockRange(pfn uint64, startOrder uint, migratetype int) {
	for n := 1 << (startOrder - pageblockOrder); n > 0; n-- {
		z.setPageblockMigratetype(pfn, migratetype)
		pfn += pageblockNrPages
	}
}

// tryToStealFreepages is try_to_steal_freepages(): when falling back, take
// whole pageblocks for large blocks; for at least half a pageblock, or for
// reclaimable allocations, move the block's free pages over and claim the
// block if more than half of it was free. Returns the type the split-off
// pages will carry.
func (z *Zone) tryToStealFreepages(pfn uint64, startType, fallbackType int) int {
	z.sys.Cover("try_to_steal_freepages")
	s := z.sys
	cur := s.pages[pfn].pageOrder()
	if cur >= pageblockOrder {
		z.changePageblockRange(pfn, cur, startType)
		return startType
	}
	if cur >= pageblockOrder/2 || startType == MIGRATE_RECLAIMABLE || s.pageGroupByMobilityDisabled {
		pages := z.moveFreepagesBlock(pfn, startType)
		if pages >= 1<<(pageblockOrder-1) || s.pageGroupByMobilityDisabled {
			z.setPageblockMigratetype(pfn, startType)
			return startType
		}
	}
	return fallbackType
}

// __rmqueueFallback is __rmqueue_fallback(): the largest free block of
// another type, in fallback-table order, stealing as the rules allow.
func (z *Zone) __rmqueueFallback(order uint, startMigratetype int) (uint64, bool) {
	z.sys.Cover("__rmqueue_fallback")
	s := z.sys
	for cur := int(MAX_ORDER - 1); cur >= int(order); cur-- {
		area := &z.freeArea[cur]
		for _, mt := range fallbacks[startMigratetype] {
			if mt == MIGRATE_RESERVE {
				break
			}
			if s.listEmpty(area.freeList[mt]) {
				continue
			}
			pfn := uint64(s.listFirst(area.freeList[mt]))
			area.nrFree--
			newType := z.tryToStealFreepages(pfn, startMigratetype, mt)
			if newType == startMigratetype {
				s.Cover("__rmqueue_fallback:steal")
			} else {
				s.Cover("__rmqueue_fallback:borrow")
			}
			s.listDel(uint32(pfn))
			s.pages[pfn].rmvPageOrder()
			z.expand(pfn, order, uint(cur), newType)
			s.pages[pfn].setFreepageMigratetype(newType)
			s.traceMmPageAllocExtfrag(pfn, order, uint(cur), startMigratetype, mt, newType)
			return pfn, true
		}
	}
	return 0, false
}

// __rmqueue is __rmqueue(): the preferred lists, then fallback, then
// MIGRATE_RESERVE rather than fail.
func (z *Zone) __rmqueue(order uint, migratetype int) (uint64, bool) {
	z.sys.Cover("__rmqueue")
	for {
		pfn, ok := z.__rmqueueSmallest(order, migratetype)
		if !ok && migratetype != MIGRATE_RESERVE {
			pfn, ok = z.__rmqueueFallback(order, migratetype)
			if !ok {
				migratetype = MIGRATE_RESERVE
				continue
			}
		}
		z.sys.traceMmPageAllocZoneLocked(pfn, ok, order, migratetype)
		return pfn, ok
	}
}

// rmqueueBulk is rmqueue_bulk(): up to count order-0 pages onto list, each
// after the previous one so that the list runs in physical order.
func (z *Zone) rmqueueBulk(order uint, count int, list ListHead, migratetype int, cold bool) int {
	z.sys.Cover("rmqueue_bulk")
	s := z.sys
	at := uint32(list)
	i := 0
	for ; i < count; i++ {
		pfn, ok := z.__rmqueue(order, migratetype)
		if !ok {
			break
		}
		if !cold {
			s.listAddAfter(uint32(pfn), at)
		} else {
			s.listInsert(uint32(pfn), s.node(at).prev, at)
		}
		at = uint32(pfn)
	}
	z.__modZonePageState(NR_FREE_PAGES, -int64(i)<<order)
	return i
}

// drainPages is drain_pages(): empty one CPU's pcp lists in every zone.
func (s *System) drainPages(cpu int) {
	s.Cover("drain_pages")
	for _, z := range s.zones {
		if !z.populatedZone() {
			continue
		}
		pcp := &z.pageset[cpu].pcp
		if pcp.count != 0 {
			z.freePcppagesBulk(pcp.count, pcp)
			pcp.count = 0
		}
	}
}

// drainLocalPages is drain_local_pages().
func (s *System) drainLocalPages() { s.drainPages(s.smpProcessorID()) }

// DrainAllPages is drain_all_pages(): every CPU with pcp pages drains them
// (the kernel sends IPIs; the model runs each CPU's drain in turn).
func (s *System) DrainAllPages() {
	s.Cover("drain_all_pages")
	for cpu := 0; cpu < s.NrCPUs(); cpu++ {
		has := false
		for _, z := range s.zones {
			if z.populatedZone() && z.pageset[cpu].pcp.count != 0 {
				has = true
				break
			}
		}
		if has {
			restore := s.onCPU(cpu)
			s.drainPages(cpu)
			restore()
		}
	}
}

// splitPage is split_page(): make each subpage of a non-compound block
// separately freeable.
func (s *System) splitPage(pfn uint64, order uint) {
	s.vmBugOnPage(s.pages[pfn].PageCompound(), pfn, "PageCompound(page)", srcPageAlloc, 1469)
	s.vmBugOnPage(s.pages[pfn].count == 0, pfn, "!page_count(page)", srcPageAlloc, 1470)
	for i := uint64(1); i < 1<<order; i++ {
		s.pages[pfn+i].count = 1
	}
	s.clearAllocated(pfn, order)
}

// __isolateFreePage is __isolate_free_page(): take a free block off the
// buddy lists if the zone stays above its low watermark; blocks of at least
// half a pageblock turn their pageblocks MIGRATE_MOVABLE.
func (s *System) __isolateFreePage(pfn uint64, order uint) uint64 {
	s.Cover("__isolate_free_page")
	p := &s.pages[pfn]
	if !p.PageBuddy() {
		s.bug(srcPageAlloc, 1492)
	}
	z := s.PageZone(p)
	mt := z.getPageblockMigratetype(pfn)
	watermark := z.lowWmarkPages() + 1<<order
	if !z.zoneWatermarkOk(0, watermark, 0, 0) {
		return 0
	}
	z.__modZoneFreepageState(-(int64(1) << order), mt)
	s.listDel(uint32(pfn))
	z.freeArea[order].nrFree--
	p.rmvPageOrder()
	if order >= pageblockOrder-1 {
		end := pfn + 1<<order - 1
		for b := pfn; b < end; b += pageblockNrPages {
			z.setPageblockMigratetype(b, MIGRATE_MOVABLE)
		}
	}
	return 1 << order
}

// SplitFreePage is split_free_page(): isolate a free block and split it into
// order-0 pages, each with one reference. Returns the number of pages, 0
// when the watermark check refused.
func (s *System) SplitFreePage(pfn uint64) uint64 {
	s.Cover("split_free_page")
	order := s.pages[pfn].pageOrder()
	n := s.__isolateFreePage(pfn, order)
	if n == 0 {
		return 0
	}
	s.pages[pfn].count = 1
	s.splitPage(pfn, order)
	return n
}

// bufferedRmqueue is buffered_rmqueue(): order-0 pages come from this CPU's
// pcp list (refilled by a batch when empty), hot from the head and cold from
// the tail; larger orders come from the buddy lists directly.
func (s *System) bufferedRmqueue(preferred, z *Zone, order uint, gfp GFP, migratetype int) (uint64, bool) {
	s.Cover("buffered_rmqueue")
	cold := gfp&GFP_COLD != 0
	for {
		var pfn uint64
		if order == 0 {
			pcp := &z.pageset[s.smpProcessorID()].pcp
			list := pcp.lists[migratetype]
			if s.listEmpty(list) {
				pcp.count += z.rmqueueBulk(0, pcp.batch, list, migratetype, cold)
				if s.listEmpty(list) {
					return 0, false
				}
			}
			if cold {
				pfn = uint64(s.listLast(list))
			} else {
				pfn = uint64(s.listFirst(list))
			}
			s.listDel(uint32(pfn))
			pcp.count--
		} else {
			if gfp&GFP_NOFAIL != 0 {
				s.warnOnOnce(order > 1, srcPageAlloc, 1601)
			}
			var ok bool
			pfn, ok = z.__rmqueue(order, migratetype)
			if !ok {
				return 0, false
			}
			z.__modZoneFreepageState(-(int64(1) << order), s.pages[pfn].freepageMigratetype())
		}
		z.__modZonePageState(NR_ALLOC_BATCH, -(int64(1) << order))
		s.countZoneVMEvents(PGALLOC_NORMAL, z, 1<<order)
		s.zoneStatistics(preferred, z, gfp)
		s.vmBugOnPage(z.badRange(pfn), pfn, "bad_range(zone, page)", srcPageAlloc, 1618)
		if s.prepNewPage(pfn, order, gfp) {
			continue
		}
		return pfn, true
	}
}

// zoneStatistics is zone_statistics(): the NUMA hit/miss counters.
func (s *System) zoneStatistics(preferred, z *Zone, gfp GFP) {
	s.Cover("zone_statistics")
	if z.node == preferred.node {
		z.__incZoneState(NUMA_HIT)
	} else {
		z.__incZoneState(NUMA_MISS)
		preferred.__incZoneState(NUMA_FOREIGN)
	}
	local := s.numaNodeID()
	if gfp&GFP_OTHER_NODE != 0 {
		local = preferred.node.ID
	}
	if z.node.ID == local {
		z.__incZoneState(NUMA_LOCAL)
	} else {
		z.__incZoneState(NUMA_OTHER)
	}
}

// ---------------------------------------------------------------------------
// Watermarks

// __zoneWatermarkOk is __zone_watermark_ok(): after this allocation, free
// pages must stay above mark plus the lowmem reserve for classzone, and at
// each lower order enough must remain in larger blocks, the requirement
// halving per order. ALLOC_HIGH and ALLOC_HARDER lower the mark.
func (z *Zone) __zoneWatermarkOk(order uint, mark uint64, classzoneIdx int, allocFlags int, freePages int64) bool {
	z.sys.Cover("__zone_watermark_ok")
	min := int64(mark)
	lowmemReserve := int64(z.lowmemReserve[classzoneIdx])
	freePages -= 1<<order - 1
	if allocFlags&ALLOC_HIGH != 0 {
		min -= min / 2
	}
	if allocFlags&ALLOC_HARDER != 0 {
		min -= min / 4
	}
	if freePages <= min+lowmemReserve {
		return false
	}
	for o := uint(0); o < order; o++ {
		freePages -= int64(z.freeArea[o].nrFree) << o
		min >>= 1
		if freePages <= min {
			return false
		}
	}
	return true
}

// zoneWatermarkOk is zone_watermark_ok(), on the folded NR_FREE_PAGES.
func (z *Zone) zoneWatermarkOk(order uint, mark uint64, classzoneIdx int, allocFlags int) bool {
	return z.__zoneWatermarkOk(order, mark, classzoneIdx, allocFlags, z.zonePageState(NR_FREE_PAGES))
}

// ZoneWatermarkOk is the exported zone_watermark_ok.
func (z *Zone) ZoneWatermarkOk(order uint, mark uint64, classzoneIdx int, allocFlags int) bool {
	return z.zoneWatermarkOk(order, mark, classzoneIdx, allocFlags)
}

// zoneWatermarkOkSafe is zone_watermark_ok_safe(): below the drift mark,
// include the per-CPU differentials.
func (z *Zone) zoneWatermarkOkSafe(order uint, mark uint64, classzoneIdx int, allocFlags int) bool {
	free := z.zonePageState(NR_FREE_PAGES)
	if z.percpuDriftMark != 0 && free < int64(z.percpuDriftMark) {
		free = z.zonePageStateSnapshot(NR_FREE_PAGES)
	}
	return z.__zoneWatermarkOk(order, mark, classzoneIdx, allocFlags, free)
}

// ---------------------------------------------------------------------------
// The zonelist cache (CONFIG_NUMA)

// zonelistCache is struct zonelist_cache: a bitmap of zones recently found
// full, zapped once a second.
type zonelistCache struct {
	fullzones    []bool
	lastFullZap  int64
	zoneToNodeID []int
}

// zlcSetup is zlc_setup(): clear the full-zones bitmap if it is over a
// second old.
func (s *System) zlcSetup(zl *zonelist) {
	if s.jiffies()-zl.zlc.lastFullZap > HZ {
		for i := range zl.zlc.fullzones {
			zl.zlc.fullzones[i] = false
		}
		zl.zlc.lastFullZap = s.jiffies()
	}
}

// zlcZoneWorthTrying is zlc_zone_worth_trying(): every node is allowed
// (no cpusets), so only the full bit matters.
func (zl *zonelist) zlcZoneWorthTrying(i int) bool { return !zl.zlc.fullzones[i] }

// zlcMarkZoneFull is zlc_mark_zone_full().
func (zl *zonelist) zlcMarkZoneFull(i int) { zl.zlc.fullzones[i] = true }

// zlcClearZonesFull is zlc_clear_zones_full().
func (zl *zonelist) zlcClearZonesFull() {
	for i := range zl.zlc.fullzones {
		zl.zlc.fullzones[i] = false
	}
}

// zonelist is struct zonelist: zone references in preference order, with
// the zonelist cache for ZONELIST_FALLBACK.
type zonelist struct {
	zones []*Zone
	zlc   *zonelistCache
}

// zoneLocal is zone_local().
func zoneLocal(local, z *Zone) bool { return local.node == z.node }

// zoneAllowsReclaim is zone_allows_reclaim(): distance below
// RECLAIM_DISTANCE (30); every node pagesim builds is within 20.
func zoneAllowsReclaim(local, z *Zone) bool { return true }

// ---------------------------------------------------------------------------
// The allocator proper

// getPageFromFreelist is get_page_from_freelist(): walk the zonelist up to
// highZoneidx for a zone that passes its watermark, and take a page from it.
//
// Model: there are no cpusets and zone_reclaim_mode is 0, so a zone below its
// watermark is simply full.
func (s *System) getPageFromFreelist(gfp GFP, order uint, zl *zonelist, highZoneidx int,
	allocFlags int, preferred *Zone, classzoneIdx int, migratetype int) (uint64, bool) {
	zlcActive, didZlcSetup := false, false
	considerZoneDirty := allocFlags&ALLOC_WMARK_LOW != 0 && gfp&GFP_WRITE != 0
	for {
		var pfn uint64
		ok := false
		for i, z := range zl.zones {
			if z.idx > highZoneidx {
				continue
			}
			if zlcActive && !zl.zlcZoneWorthTrying(i) {
				continue
			}
			if allocFlags&ALLOC_FAIR != 0 {
				if !zoneLocal(preferred, z) {
					continue
				}
				if z.zonePageState(NR_ALLOC_BATCH) <= 0 {
					continue
				}
			}
			// A page cache page about to be written comes from a zone
			// within its share of the dirty limit.
			if considerZoneDirty && !z.zoneDirtyOk() {
				continue
			}
			mark := z.watermark[allocFlags&ALLOC_WMARK_MASK]
			if !z.zoneWatermarkOk(order, mark, classzoneIdx, allocFlags) {
				if allocFlags&ALLOC_NO_WATERMARKS == 0 {
					if !didZlcSetup && len(s.nodes) > 1 {
						s.zlcSetup(zl)
						zlcActive = true
						didZlcSetup = true
					}
					// zone_reclaim_mode == 0: this zone is full.
					if zlcActive {
						zl.zlcMarkZoneFull(i)
					}
					continue
				}
			}
			pfn, ok = s.bufferedRmqueue(preferred, z, order, gfp, migratetype)
			if ok {
				break
			}
			if zlcActive {
				zl.zlcMarkZoneFull(i)
			}
		}
		if !ok && zlcActive {
			// Disable the cache for a second scan.
			zlcActive = false
			continue
		}
		if ok {
			s.pages[pfn].setPfmemalloc(allocFlags&ALLOC_NO_WATERMARKS != 0)
		}
		return pfn, ok
	}
}

// gfpToAllocFlags is gfp_to_alloc_flags(): how far below the watermarks an
// allocation in the slow path may go.
func (s *System) gfpToAllocFlags(gfp GFP) int {
	s.Cover("gfp_to_alloc_flags")
	allocFlags := ALLOC_WMARK_MIN | ALLOC_CPUSET
	atomic := gfp&(GFP_WAIT|GFP_NO_KSWAPD) == 0
	allocFlags |= int(gfp & GFP_HIGH)
	if atomic {
		if gfp&GFP_NOMEMALLOC == 0 {
			allocFlags |= ALLOC_HARDER
		}
		allocFlags &^= ALLOC_CPUSET
	}
	if gfp&GFP_NOMEMALLOC == 0 {
		cur := s.current()
		if gfp&GFP_MEMALLOC != 0 {
			allocFlags |= ALLOC_NO_WATERMARKS
		} else if cur.Flags&sim.PF_MEMALLOC != 0 || s.tifMemdie(cur) {
			allocFlags |= ALLOC_NO_WATERMARKS
		}
	}
	return allocFlags
}

// resetAllocBatches is reset_alloc_batches(): refill the fairness batches of
// the local zones.
func (s *System) resetAllocBatches(zl *zonelist, highZoneidx int, preferred *Zone) {
	for _, z := range zl.zones {
		if z.idx > highZoneidx || !zoneLocal(preferred, z) {
			continue
		}
		z.modZonePageState(NR_ALLOC_BATCH,
			int64(z.highWmarkPages())-int64(z.lowWmarkPages())-z.vmStat[NR_ALLOC_BATCH])
	}
}

// wakeAllKswapds is wake_all_kswapds().
func (s *System) wakeAllKswapds(order uint, zl *zonelist, highZoneidx int, preferred *Zone) {
	for _, z := range zl.zones {
		if z.idx <= highZoneidx {
			s.wakeupKswapd(z, order, preferred.idx)
		}
	}
}

// __allocPagesHighPriority is __alloc_pages_high_priority(): ignore
// watermarks; __GFP_NOFAIL waits for writeback and tries again.
func (s *System) __allocPagesHighPriority(gfp GFP, order uint, zl *zonelist, highZoneidx int,
	preferred *Zone, classzoneIdx int, migratetype int) (uint64, bool) {
	for {
		pfn, ok := s.getPageFromFreelist(gfp, order, zl, highZoneidx, ALLOC_NO_WATERMARKS, preferred, classzoneIdx, migratetype)
		if ok || gfp&GFP_NOFAIL == 0 {
			return pfn, ok
		}
		s.waitIffCongested(preferred, BLK_RW_ASYNC, HZ/50)
	}
}

// shouldAllocRetry is should_alloc_retry().
func shouldAllocRetry(gfp GFP, order uint, didSomeProgress, pagesReclaimed uint64) bool {
	if gfp&GFP_NORETRY != 0 {
		return false
	}
	if gfp&GFP_NOFAIL != 0 {
		return true
	}
	if order <= PAGE_ALLOC_COSTLY_ORDER {
		return true
	}
	if gfp&GFP_REPEAT != 0 && pagesReclaimed < 1<<order {
		return true
	}
	return false
}

// __allocPagesMayOom is __alloc_pages_may_oom(): one last try at the high
// watermark (someone else may have been killed meanwhile), then the OOM
// killer, unless the allocation is one the OOM killer must not serve.
func (s *System) __allocPagesMayOom(gfp GFP, order uint, zl *zonelist, highZoneidx int,
	preferred *Zone, classzoneIdx int, migratetype int) (uint64, bool) {
	if !s.tryToSetZonelistOom(zl) {
		s.scheduleTimeoutUninterruptible(1)
		return 0, false
	}
	defer s.clearZonelistOom(zl)
	pfn, ok := s.getPageFromFreelist(gfp|GFP_HARDWALL, order, zl, highZoneidx,
		ALLOC_WMARK_HIGH|ALLOC_CPUSET, preferred, classzoneIdx, migratetype)
	if ok {
		return pfn, ok
	}
	if gfp&GFP_NOFAIL == 0 {
		if order > PAGE_ALLOC_COSTLY_ORDER || highZoneidx < ZONE_NORMAL || gfp&GFP_THISNODE_ != 0 {
			return 0, false
		}
	}
	s.outOfMemory(zl, gfp, order)
	return 0, false
}

// __allocPagesDirectCompact is __alloc_pages_direct_compact(): for order > 0,
// unless compaction is deferred, compact with PF_MEMALLOC set and retry.
func (s *System) __allocPagesDirectCompact(gfp GFP, order uint, zl *zonelist, highZoneidx int,
	allocFlags int, preferred *Zone, classzoneIdx int, migratetype int, mode MigrateMode,
	contended, deferred *bool, didSomeProgress *uint64) (uint64, bool) {
	if order == 0 {
		return 0, false
	}
	if s.compactionDeferred(preferred, order) {
		*deferred = true
		return 0, false
	}
	cur := s.current()
	cur.Flags |= sim.PF_MEMALLOC
	*didSomeProgress = s.tryToCompactPages(zl, order, gfp, mode, contended)
	cur.Flags &^= sim.PF_MEMALLOC
	if *didSomeProgress != COMPACT_SKIPPED {
		s.drainPages(s.smpProcessorID())
		pfn, ok := s.getPageFromFreelist(gfp, order, zl, highZoneidx, allocFlags&^ALLOC_NO_WATERMARKS,
			preferred, classzoneIdx, migratetype)
		if ok {
			preferred.compactBlockskipFlush = false // compaction.go hook
			s.compactionDeferReset(preferred, order, true)
			s.countVMEvent(COMPACTSUCCESS)
			return pfn, true
		}
		s.countVMEvent(COMPACTFAIL)
		if mode != MIGRATE_ASYNC {
			s.deferCompaction(preferred, order)
		}
		s.condResched()
	}
	return 0, false
}

// __performReclaim is __perform_reclaim(): direct reclaim runs with
// PF_MEMALLOC set on the allocating task, so that its own allocations dip
// into the reserves and it never recurses into reclaim.
func (s *System) __performReclaim(gfp GFP, order uint, zl *zonelist) uint64 {
	s.condResched()
	cur := s.current()
	cur.Flags |= sim.PF_MEMALLOC
	progress := s.tryToFreePages(zl, order, gfp)
	cur.Flags &^= sim.PF_MEMALLOC
	s.condResched()
	return progress
}

// __allocPagesDirectReclaim is __alloc_pages_direct_reclaim(): reclaim, then
// retry, draining the pcp lists once if the retry fails.
func (s *System) __allocPagesDirectReclaim(gfp GFP, order uint, zl *zonelist, highZoneidx int,
	allocFlags int, preferred *Zone, classzoneIdx int, migratetype int, didSomeProgress *uint64) (uint64, bool) {
	*didSomeProgress = s.__performReclaim(gfp, order, zl)
	if *didSomeProgress == 0 {
		return 0, false
	}
	if zl.zlc != nil {
		zl.zlcClearZonesFull()
	}
	drained := false
	for {
		pfn, ok := s.getPageFromFreelist(gfp, order, zl, highZoneidx, allocFlags&^ALLOC_NO_WATERMARKS,
			preferred, classzoneIdx, migratetype)
		if !ok && !drained {
			s.DrainAllPages()
			drained = true
			continue
		}
		return pfn, ok
	}
}

// warnAllocFailed is warn_alloc_failed() as __alloc_pages_slowpath's
// nopage path calls it (no format of its own): unless __GFP_NOWARN or
// nopage_rs says no, the failure line, the stack and show_mem. A caller
// that may use memory outside its cpuset (TIF_MEMDIE, PF_MEMALLOC or
// PF_EXITING without __GFP_NOMEMALLOC) or cannot sleep sees every node.
//
// Model: debug_guardpage_minorder() is 0 (CONFIG_DEBUG_PAGEALLOC=n);
// should_suppress_show_mem() is false (NODES_SHIFT 6 is not above 8);
// nothing allocates in interrupt context.
func (s *System) warnAllocFailed(gfp GFP, order uint) {
	if gfp&GFP_NOWARN != 0 || !s.ratelimitNopage() {
		return
	}
	filter := uint(SHOW_MEM_FILTER_NODES)
	cur := s.current()
	if gfp&GFP_NOMEMALLOC == 0 && (s.tifMemdie(cur) || cur.Flags&(sim.PF_MEMALLOC|sim.PF_EXITING) != 0) {
		filter &^= SHOW_MEM_FILTER_NODES
	}
	if gfp&GFP_WAIT == 0 {
		filter &^= SHOW_MEM_FILTER_NODES
	}
	s.logf(klog.KernWarning, "%s: page allocation failure: order:%d, mode:0x%x\n", cur.Comm, order, uint32(gfp))
	s.dumpStack(0)
	s.showMem(filter)
}

// __allocPagesSlowpath is __alloc_pages_slowpath(): wake kswapd, retry at
// the min watermark, then (if the caller may sleep) direct compaction,
// direct reclaim, the OOM killer, and retry as should_alloc_retry says.
func (s *System) __allocPagesSlowpath(gfp GFP, order uint, zl *zonelist, highZoneidx int,
	preferred *Zone, classzoneIdx int, migratetype int) (uint64, bool) {
	wait := gfp&GFP_WAIT != 0
	var pagesReclaimed, didSomeProgress uint64
	migrationMode := MIGRATE_ASYNC
	deferredCompaction, contendedCompaction := false, false

	if order >= MAX_ORDER {
		s.warnOnOnce(gfp&GFP_NOWARN == 0, srcPageAlloc, 2522)
		return 0, false
	}
	if gfp&GFP_THISNODE == GFP_THISNODE {
		goto nopage
	}
	s.Cover("__alloc_pages_slowpath:enter")
	if order > 0 {
		s.Cover("__alloc_pages_slowpath:high_order")
	}
restart:
	if gfp&GFP_NO_KSWAPD == 0 {
		s.wakeAllKswapds(order, zl, highZoneidx, preferred)
	}
	{
		allocFlags := s.gfpToAllocFlags(gfp)
		if allocFlags&ALLOC_CPUSET == 0 {
			// first_zones_zonelist: the true preferred zone.
			for _, z := range zl.zones {
				if z.idx <= highZoneidx {
					preferred = z
					classzoneIdx = z.idx
					break
				}
			}
		}
	rebalance:
		pfn, ok := s.getPageFromFreelist(gfp, order, zl, highZoneidx, allocFlags&^ALLOC_NO_WATERMARKS,
			preferred, classzoneIdx, migratetype)
		if ok {
			s.Cover("__alloc_pages_slowpath:min_watermark_ok")
			return pfn, true
		}
		if allocFlags&ALLOC_NO_WATERMARKS != 0 {
			zl = s.nodeZonelist(s.numaNodeID(), gfp)
			if pfn, ok := s.__allocPagesHighPriority(gfp, order, zl, highZoneidx, preferred, classzoneIdx, migratetype); ok {
				s.Cover("__alloc_pages_slowpath:no_watermarks")
				return pfn, true
			}
		}
		if !wait {
			s.Cover("__alloc_pages_slowpath:atomic_fail")
			s.warnOnOnce(gfp&GFP_NOFAIL != 0, srcPageAlloc, 2592)
			goto nopage
		}
		cur := s.current()
		if cur.Flags&sim.PF_MEMALLOC != 0 {
			s.Cover("__alloc_pages_slowpath:memalloc_nopage")
			goto nopage
		}
		if s.tifMemdie(cur) && gfp&GFP_NOFAIL == 0 {
			goto nopage
		}
		if pfn, ok := s.__allocPagesDirectCompact(gfp, order, zl, highZoneidx, allocFlags, preferred,
			classzoneIdx, migratetype, migrationMode, &contendedCompaction, &deferredCompaction,
			&didSomeProgress); ok {
			s.Cover("__alloc_pages_slowpath:compact_async_ok")
			return pfn, true
		}
		if gfp&GFP_NO_KSWAPD == 0 || cur.Flags&sim.PF_KTHREAD != 0 {
			migrationMode = MIGRATE_SYNC_LIGHT
		}
		if (deferredCompaction || contendedCompaction) && gfp&GFP_NO_KSWAPD != 0 {
			goto nopage
		}
		if pfn, ok := s.__allocPagesDirectReclaim(gfp, order, zl, highZoneidx, allocFlags, preferred,
			classzoneIdx, migratetype, &didSomeProgress); ok {
			s.Cover("__alloc_pages_slowpath:reclaim_ok")
			return pfn, true
		}
		if didSomeProgress == 0 && oomGfpAllowed(gfp) {
			if s.oomKillerDisabled {
				goto nopage
			}
			s.Cover("__alloc_pages_slowpath:may_oom")
			if pfn, ok := s.__allocPagesMayOom(gfp, order, zl, highZoneidx, preferred, classzoneIdx, migratetype); ok {
				return pfn, true
			}
			if gfp&GFP_NOFAIL == 0 {
				if order > PAGE_ALLOC_COSTLY_ORDER {
					goto nopage
				}
				if highZoneidx < ZONE_NORMAL {
					goto nopage
				}
			}
			goto restart
		}
		pagesReclaimed += didSomeProgress
		if shouldAllocRetry(gfp, order, didSomeProgress, pagesReclaimed) {
			s.Cover("__alloc_pages_slowpath:retry")
			s.waitIffCongested(preferred, BLK_RW_ASYNC, HZ/50)
			goto rebalance
		}
		if pfn, ok := s.__allocPagesDirectCompact(gfp, order, zl, highZoneidx, allocFlags, preferred,
			classzoneIdx, migratetype, migrationMode, &contendedCompaction, &deferredCompaction,
			&didSomeProgress); ok {
			s.Cover("__alloc_pages_slowpath:compact_sync_ok")
			return pfn, true
		}
	}
nopage:
	s.Cover("__alloc_pages_slowpath:nopage")
	s.warnAllocFailed(gfp, order)
	return 0, false
}

// oomGfpAllowed is oom_gfp_allowed(): only __GFP_FS allocations without
// __GFP_NORETRY may invoke the OOM killer.
func oomGfpAllowed(gfp GFP) bool { return gfp&GFP_FS != 0 && gfp&GFP_NORETRY == 0 }

// __allocPagesNodemask is __alloc_pages_nodemask(), "the heart of the zoned
// buddy allocator": a fair pass over the local zones at the low watermark,
// a second pass without fairness, then the slow path.
func (s *System) __allocPagesNodemask(gfp GFP, order uint, zl *zonelist) (uint64, bool) {
	s.Cover("__alloc_pages_nodemask")
	highZoneidx := gfpZone(gfp)
	if highZoneidx < 0 {
		s.bug("include/linux/gfp.h", 261)
	}
	migratetype := s.allocflagsToMigratetype(gfp)
	allocFlags := ALLOC_WMARK_LOW | ALLOC_CPUSET | ALLOC_FAIR
	var preferred *Zone
	for _, z := range zl.zones {
		if z.idx <= highZoneidx {
			preferred = z
			break
		}
	}
	if preferred == nil {
		return 0, false
	}
	classzoneIdx := preferred.idx
	for {
		pfn, ok := s.getPageFromFreelist(gfp|GFP_HARDWALL, order, zl, highZoneidx, allocFlags,
			preferred, classzoneIdx, migratetype)
		if !ok {
			if allocFlags&ALLOC_FAIR != 0 {
				s.resetAllocBatches(zl, highZoneidx, preferred)
				allocFlags &^= ALLOC_FAIR
				continue
			}
			gfp = s.memallocNoioFlags(gfp)
			pfn, ok = s.__allocPagesSlowpath(gfp, order, zl, highZoneidx, preferred, classzoneIdx, migratetype)
		}
		s.traceMmPageAlloc(pfn, ok, order, gfp, migratetype)
		if ok && s.hist != nil {
			s.hist.add(s, pfn, fmt.Sprintf("alloc order:%d gfp:%s comm:%s pid:%d", order, gfpString(gfp), s.current().Comm, s.current().PID))
		}
		return pfn, ok
	}
}

// memallocNoioFlags is memalloc_noio_flags(): a PF_MEMALLOC_NOIO task's
// allocations drop __GFP_IO and __GFP_FS.
func (s *System) memallocNoioFlags(gfp GFP) GFP {
	if s.current().Flags&sim.PF_MEMALLOC_NOIO != 0 {
		gfp &^= GFP_IO | GFP_FS
	}
	return gfp
}

// nodeZonelist is node_zonelist(): the fallback list, or the this-node list
// for __GFP_THISNODE.
func (s *System) nodeZonelist(nid int, gfp GFP) *zonelist {
	if gfp&GFP_THISNODE_ != 0 {
		return &s.nodes[nid].zonelists[1]
	}
	return &s.nodes[nid].zonelists[0]
}

// AllocPagesNode is alloc_pages_node(nid, gfp, order); nid < 0 means the
// current CPU's node (numa_node_id()), as alloc_pages() without a
// mempolicy does. It returns the PFN of the first page.
func (s *System) AllocPagesNode(nid int, gfp GFP, order uint) (uint64, bool) {
	if nid < 0 {
		nid = s.numaNodeID()
	}
	return s.__allocPagesNodemask(gfp, order, s.nodeZonelist(nid, gfp))
}

// AllocPages is alloc_pages(gfp, order) for a task without a mempolicy.
func (s *System) AllocPages(gfp GFP, order uint) (uint64, bool) {
	return s.AllocPagesNode(-1, gfp, order)
}

// ---------------------------------------------------------------------------
// Zonelists

// buildAllZonelists is build_all_zonelists(): choose node or zone order,
// build each node's fallback and this-node lists, and decide whether
// grouping by mobility is worth it.
func (s *System) buildAllZonelists() {
	s.Cover("build_all_zonelists")
	s.zonelistOrderNode = s.defaultZonelistOrderNode()
	for _, nd := range s.nodes {
		s.buildZonelists(nd)
	}
	// vm_total_pages = nr_free_pagecache_pages(): managed pages of every
	// zone up to ZONE_MOVABLE in node 0's zonelist.
	var total uint64
	for _, z := range s.nodes[0].zonelists[0].zones {
		if z.managedPages > z.highWmarkPages() {
			total += z.managedPages - z.highWmarkPages()
		}
	}
	s.pageGroupByMobilityDisabled = total < pageblockNrPages*MIGRATE_TYPES
	order := "Zone"
	if s.zonelistOrderNode {
		order = "Node"
	}
	grouping := "on"
	if s.pageGroupByMobilityDisabled {
		grouping = "off"
	}
	s.logf(klog.KernInfo, "Built %d zonelists in %s order, mobility grouping %s.  Total pages: %d\n",
		len(s.nodes), order, grouping, total)
	if len(s.nodes) > 1 {
		s.logf(klog.KernInfo, "Policy zone: %s\n", zoneNames[s.policyZone()])
	}
}

// policyZone is policy_zone: the highest populated zone below ZONE_MOVABLE.
func (s *System) policyZone() int {
	pz := ZONE_DMA
	for _, z := range s.zones {
		if z.populatedZone() && z.idx < ZONE_MOVABLE && z.idx > pz {
			pz = z.idx
		}
	}
	return pz
}

// defaultZonelistOrderNode is default_zonelist_order() == ZONELIST_ORDER_NODE.
func (s *System) defaultZonelistOrderNode() bool {
	s.Cover("default_zonelist_order")
	var low, total uint64
	for _, nd := range s.nodes {
		for j := 0; j < MAX_NR_ZONES; j++ {
			z := &nd.zones[j]
			if z.populatedZone() {
				if j < ZONE_NORMAL {
					low += z.managedPages
				}
				total += z.managedPages
			} else if j == ZONE_NORMAL {
				return true
			}
		}
	}
	if low == 0 || low > total/2 {
		return true
	}
	for _, nd := range s.nodes {
		var l, t uint64
		for j := 0; j < MAX_NR_ZONES; j++ {
			z := &nd.zones[j]
			if z.populatedZone() {
				if j < ZONE_NORMAL {
					l += z.presentPages
				}
				t += z.presentPages
			}
		}
		if l != 0 && l > t*70/100 {
			return true
		}
	}
	return false
}

// Node distances as pagesim's SRAT gives them.
const (
	LOCAL_DISTANCE  = 10
	REMOTE_DISTANCE = 20
)

func nodeDistance(a, b int) int {
	if a == b {
		return LOCAL_DISTANCE
	}
	return REMOTE_DISTANCE
}

// findNextBestNode is find_next_best_node(): the nearest unused node,
// preferring nodes after this one and without CPUs, then by load.
func (s *System) findNextBestNode(node int, used []bool) int {
	s.Cover("find_next_best_node")
	if !used[node] {
		used[node] = true
		return node
	}
	const maxNumnodes = 1 << NODES_SHIFT
	maxNodeLoad := len(s.nodes)
	best, minVal := -1, int(^uint(0)>>1)
	for n := range s.nodes {
		if used[n] {
			continue
		}
		val := nodeDistance(node, n)
		if n < node {
			val++
		}
		val++ // PENALTY_FOR_NODE_WITH_CPUS: every pagesim node has CPUs
		val *= maxNodeLoad * maxNumnodes
		val += s.nodeLoad[n]
		if val < minVal {
			minVal, best = val, n
		}
	}
	if best >= 0 {
		used[best] = true
	}
	return best
}

// buildZonelists is build_zonelists() with build_zonelists_node(): zones of
// each node from highest to lowest, nodes nearest first (node order), or
// zone types highest first across nodes (zone order).
func (s *System) buildZonelists(nd *Node) {
	s.Cover("build_zonelists")
	used := make([]bool, len(s.nodes))
	load := len(s.nodes)
	prev := nd.ID
	var order []int
	var fallback []*Zone
	addNode := func(list []*Zone, n *Node) []*Zone {
		for j := MAX_NR_ZONES - 1; j >= 0; j-- {
			if z := &n.zones[j]; z.populatedZone() {
				list = append(list, z)
			}
		}
		return list
	}
	for {
		n := s.findNextBestNode(nd.ID, used)
		if n < 0 {
			break
		}
		if nodeDistance(nd.ID, n) != nodeDistance(nd.ID, prev) {
			s.nodeLoad[n] = load
		}
		prev = n
		load--
		if s.zonelistOrderNode {
			fallback = addNode(fallback, s.nodes[n])
		} else {
			order = append(order, n)
		}
	}
	if !s.zonelistOrderNode {
		for j := MAX_NR_ZONES - 1; j >= 0; j-- {
			for _, n := range order {
				if z := &s.nodes[n].zones[j]; z.populatedZone() {
					fallback = append(fallback, z)
				}
			}
		}
	}
	nd.zonelists[0] = zonelist{zones: fallback, zlc: &zonelistCache{fullzones: make([]bool, len(fallback))}}
	nd.zonelists[1] = zonelist{zones: addNode(nil, nd)}
}

// ---------------------------------------------------------------------------
// Watermarks and reserves

// nrFreeZonePages is nr_free_zone_pages(): managed pages above the high
// watermark in every zone up to offset in this CPU's node's zonelist.
func (s *System) nrFreeZonePages(offset int) uint64 {
	s.Cover("nr_free_zone_pages")
	var sum uint64
	for _, z := range s.nodeZonelist(s.numaNodeID(), GFP_KERNEL).zones {
		if z.idx > offset {
			continue
		}
		if z.managedPages > z.highWmarkPages() {
			sum += z.managedPages - z.highWmarkPages()
		}
	}
	return sum
}

// nrFreeBufferPages is nr_free_buffer_pages(): the pages GFP_USER could use.
func (s *System) nrFreeBufferPages() uint64 { return s.nrFreeZonePages(gfpZone(GFP_USER)) }

// nrFreePagecachePages is nr_free_pagecache_pages().
func (s *System) nrFreePagecachePages() uint64 {
	return s.nrFreeZonePages(gfpZone(GFP_HIGHUSER_MOVABLE))
}

// initPerZoneWmarkMin is init_per_zone_wmark_min(): min_free_kbytes =
// sqrt(lowmem_kbytes * 16), clamped to [128, 65536] unless the user set a
// larger value; then the watermarks, stat thresholds, lowmem reserves and
// inactive ratios.
func (s *System) initPerZoneWmarkMin() {
	s.Cover("init_per_zone_wmark_min")
	lowmemKbytes := s.nrFreeBufferPages() * (PAGE_SIZE >> 10)
	newMin := int(intSqrt(lowmemKbytes * 16))
	if newMin > s.userMinFreeKbytes {
		s.minFreeKbytes = min(max(newMin, 128), 65536)
	} else {
		s.minFreeKbytes = s.userMinFreeKbytes
		s.logf(klog.KernWarning, "min_free_kbytes is not updated to %d because user defined value %d is preferred\n",
			newMin, s.userMinFreeKbytes)
	}
	s.setupPerZoneWmarks()
	s.refreshZoneStatThresholds()
	s.setupPerZoneLowmemReserve()
	s.setupPerZoneInactiveRatio()
}

// SetMinFreeKbytes is the vm.min_free_kbytes sysctl handler.
func (s *System) SetMinFreeKbytes(kb int) error {
	if kb < 0 {
		return fmt.Errorf("EINVAL")
	}
	s.minFreeKbytes = kb
	s.userMinFreeKbytes = kb
	s.setupPerZoneWmarks()
	return nil
}

// setupPerZoneWmarks is __setup_per_zone_wmarks(): each zone's min is its
// share of min_free_kbytes in proportion to its managed pages; low and high
// are min plus a quarter and a half of that share. The fairness batch is
// high - low, and the MIGRATE_RESERVE blocks follow the new min.
func (s *System) setupPerZoneWmarks() {
	s.Cover("__setup_per_zone_wmarks")
	pagesMin := uint64(s.minFreeKbytes) >> (PAGE_SHIFT - 10)
	var lowmemPages uint64
	for _, z := range s.zones {
		lowmemPages += z.managedPages
	}
	for _, z := range s.zones {
		tmp := pagesMin * z.managedPages / lowmemPages
		z.watermark[WMARK_MIN] = tmp
		z.watermark[WMARK_LOW] = z.minWmarkPages() + tmp>>2
		z.watermark[WMARK_HIGH] = z.minWmarkPages() + tmp>>1
		z.__modZonePageState(NR_ALLOC_BATCH,
			int64(z.highWmarkPages())-int64(z.lowWmarkPages())-z.zonePageState(NR_ALLOC_BATCH))
		z.setupZoneMigrateReserve()
	}
	s.calculateTotalreservePages()
}

// setupPerZoneLowmemReserve is setup_per_zone_lowmem_reserve(): a lower
// zone keeps back from allocations that could have used zone j the managed
// pages of the zones between, divided by the lower zone's ratio.
func (s *System) setupPerZoneLowmemReserve() {
	s.Cover("setup_per_zone_lowmem_reserve")
	for _, nd := range s.nodes {
		for j := 0; j < MAX_NR_ZONES; j++ {
			z := &nd.zones[j]
			managed := z.managedPages
			z.lowmemReserve[j] = 0
			for idx := j; idx > 0; {
				idx--
				if s.lowmemReserveRatio[idx] < 1 {
					s.lowmemReserveRatio[idx] = 1
				}
				lower := &nd.zones[idx]
				lower.lowmemReserve[j] = managed / uint64(s.lowmemReserveRatio[idx])
				managed += lower.managedPages
			}
		}
	}
	s.calculateTotalreservePages()
}

// calculateTotalreservePages is calculate_totalreserve_pages(): per zone the
// largest lowmem reserve plus the high watermark, capped at managed; that is
// also the zone's dirty_balance_reserve.
func (s *System) calculateTotalreservePages() {
	s.Cover("calculate_totalreserve_pages")
	var total uint64
	for _, z := range s.zones {
		var m uint64
		for j := z.idx; j < MAX_NR_ZONES; j++ {
			m = max(m, z.lowmemReserve[j])
		}
		m += z.highWmarkPages()
		m = min(m, z.managedPages)
		total += m
		z.dirtyBalanceReserve = m
	}
	s.dirtyBalanceReserve = total
	s.totalreservePages = total
}

// setupPerZoneInactiveRatio is setup_per_zone_inactive_ratio(): the target
// active:inactive anon ratio, sqrt(10 * zone size in GiB), at least 1.
func (s *System) setupPerZoneInactiveRatio() {
	s.Cover("setup_per_zone_inactive_ratio")
	for _, z := range s.zones {
		gb := z.managedPages >> (30 - PAGE_SHIFT)
		if gb != 0 {
			z.inactiveRatio = intSqrt(10 * gb)
		} else {
			z.inactiveRatio = 1
		}
	}
}

// pageblockIsReserved is pageblock_is_reserved().
func (s *System) pageblockIsReserved(start, end uint64) bool {
	for pfn := start; pfn < end; pfn++ {
		if !s.pfnValid(pfn) || s.pages[pfn].PageReserved() {
			return true
		}
	}
	return false
}

// setupZoneMigrateReserve is setup_zone_migrate_reserve(): mark enough
// movable pageblocks MIGRATE_RESERVE to cover the min watermark, at most
// two, skipping blocks with reserved pages; give back surplus reserve
// blocks.
func (z *Zone) setupZoneMigrateReserve() {
	z.sys.Cover("setup_zone_migrate_reserve")
	s := z.sys
	start := (z.zoneStartPFN + pageblockNrPages - 1) &^ (pageblockNrPages - 1)
	end := z.zoneEndPFN()
	reserve := int((z.minWmarkPages() + pageblockNrPages - 1) / pageblockNrPages)
	reserve = min(2, reserve)
	old := z.nrMigrateReserveBlock
	if reserve == old {
		return
	}
	z.nrMigrateReserveBlock = reserve
	for pfn := start; pfn < end; pfn += pageblockNrPages {
		if !s.pfnValid(pfn) {
			continue
		}
		if s.pages[pfn].pageToNid() != z.node.ID {
			continue
		}
		bmt := z.getPageblockMigratetype(pfn)
		if reserve > 0 {
			if s.pageblockIsReserved(pfn, min(pfn+pageblockNrPages, end)) {
				continue
			}
			if bmt == MIGRATE_RESERVE {
				reserve--
				continue
			}
			if bmt == MIGRATE_MOVABLE {
				z.setPageblockMigratetype(pfn, MIGRATE_RESERVE)
				z.moveFreepagesBlock(pfn, MIGRATE_RESERVE)
				reserve--
				continue
			}
		} else if old == 0 {
			break
		}
		if bmt == MIGRATE_RESERVE {
			z.setPageblockMigratetype(pfn, MIGRATE_MOVABLE)
			z.moveFreepagesBlock(pfn, MIGRATE_MOVABLE)
		}
	}
}

// ---------------------------------------------------------------------------
// Reports

// dumpPageBadflags is dump_page_badflags().
func (s *System) dumpPageBadflags(pfn uint64, reason string, badFlags uint64) {
	s.Cover("dump_page_badflags")
	p := &s.pages[pfn]
	s.logf(klog.KernAlert, "page:%016x count:%d mapcount:%d mapping:%s index:%#x\n",
		VMEMMAP_START+pfn*SizeofStructPage, p.count, p.mapcount, s.mappingString(p.mapping), p.index)
	s.dumpPageFlags(p.flags)
	if reason != "" {
		s.logf(klog.KernAlert, "page dumped because: %s\n", reason)
	}
	if p.flags&badFlags != 0 {
		s.logf(klog.KernAlert, "bad because of flags:\n")
		s.dumpPageFlags(p.flags & badFlags)
	}
}

// dumpPageFlags is dump_page_flags().
func (s *System) dumpPageFlags(flags uint64) {
	s.logf(klog.KernAlert, "page flags: %s(%s)\n", hex0x(flags), FlagNames(flags))
}

// DumpPage is dump_page().
func (s *System) DumpPage(pfn uint64, reason string) { s.dumpPageBadflags(pfn, reason, 0) }

// mappingString prints page->mapping as %p does: "          (null)" for
// NULL, else a kernel address standing for the address_space or anon_vma
// (with PAGE_MAPPING_ANON in the low bit).
func (s *System) mappingString(m uint32) string {
	if m == 0 {
		return "          (null)"
	}
	const directMap = 0xffff880000000000
	return fmt.Sprintf("%016x", uint64(directMap)+uint64(m&^PAGE_MAPPING_ANON)*0x100+uint64(m&PAGE_MAPPING_ANON))
}

// gfpString renders GFP flags for page history.
func gfpString(g GFP) string { return fmt.Sprintf("0x%x", uint32(g)) }

func trailingZeros64(x uint64) int { return bits.TrailingZeros64(x) }

// markLeaked records a block bad_page took out of circulation. The kernel
// keeps no such record; the invariant checker needs it to tell these frames
// from lost ones.
func (s *System) markLeaked(pfn uint64, order uint) {
	if s.badLeaked == nil {
		s.badLeaked = map[uint64]bool{}
	}
	for i := uint64(0); i < 1<<order; i++ {
		s.badLeaked[pfn+i] = true
	}
}

// BadPageLeaked tells whether bad_page took the frame out of circulation.
func (s *System) BadPageLeaked(pfn uint64) bool { return s.isBadLeaked(pfn) }

// isBadLeaked is the map lookup, skipped while nothing leaked (almost
// always): the invariant checker asks for every frame.
func (s *System) isBadLeaked(pfn uint64) bool { return len(s.badLeaked) != 0 && s.badLeaked[pfn] }
