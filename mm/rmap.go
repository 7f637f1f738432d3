// SPDX-License-Identifier: GPL-2.0-only

package mm

import "fmt"

// mm/rmap.c: the reverse map. Anonymous pages point (page->mapping with
// PAGE_MAPPING_ANON) at an anon_vma, whose chains name every VMA that may
// map them; page->index is their offset in those VMAs.

// newAnonVMA is anon_vma_alloc(): refcount 1, its own root.
//
// Model: the anon_vma and anon_vma_chain slab caches are not modeled; their
// objects cost no page frames here.
func (s *System) newAnonVMA() *AnonVMA {
	av := &AnonVMA{id: uint32(len(s.anonVmas)), refcount: 1}
	av.root = av
	s.anonVmas = append(s.anonVmas, av)
	return av
}

// anonVMAMapping is the page->mapping value for an anon_vma.
func (av *AnonVMA) mapping() uint32 { return av.id<<1 | PAGE_MAPPING_ANON }

// pageAnonVMA is page_anon_vma().
func (s *System) pageAnonVMA(p *Page) *AnonVMA {
	if !p.PageAnon() {
		return nil
	}
	return s.anonVmas[p.mapping>>1]
}

// anonVMAChainLink is anon_vma_chain_link().
func anonVMAChainLink(vma *VMArea, av *AnonVMA) {
	avc := &anonVMAChain{vma: vma, anonVma: av}
	// list_add: the newest link heads the VMA's chain.
	vma.anonVmaChain = append([]*anonVMAChain{avc}, vma.anonVmaChain...)
	av.chains = append(av.chains, avc)
}

// anonVMAPrepare is anon_vma_prepare(): give the VMA an anon_vma before its
// first anonymous page.
//
// Model: find_mergeable_anon_vma (reusing a neighbour's anon_vma) is not
// modeled: every VMA gets its own.
func (s *System) anonVMAPrepare(vma *VMArea) {
	if vma.anonVma != nil {
		return
	}
	av := s.newAnonVMA()
	vma.anonVma = av
	anonVMAChainLink(vma, av)
}

// anonVMAClone is anon_vma_clone(): link dst to every anon_vma src is on,
// walking src's chain in reverse as the kernel does.
func anonVMAClone(dst, src *VMArea) {
	for i := len(src.anonVmaChain) - 1; i >= 0; i-- {
		anonVMAChainLink(dst, src.anonVmaChain[i].anonVma)
	}
}

// anonVMAFork is anon_vma_fork(): the child VMA shares the parent's
// anon_vmas (so rmap finds the COW-shared pages in both) and gets its own
// for the pages it will fault in.
func (s *System) anonVMAFork(vma, pvma *VMArea) {
	s.Cover("anon_vma_fork")
	if pvma.anonVma == nil {
		return
	}
	anonVMAClone(vma, pvma)
	av := s.newAnonVMA()
	av.root = pvma.anonVma.root
	av.root.refcount++ // get_anon_vma(anon_vma->root)
	vma.anonVma = av
	anonVMAChainLink(vma, av)
}

// unlinkAnonVMAs is unlink_anon_vmas(): drop the VMA's chains; anon_vmas
// left with no VMA lose their reference.
func (s *System) unlinkAnonVMAs(vma *VMArea) {
	s.Cover("unlink_anon_vmas")
	for _, avc := range vma.anonVmaChain {
		av := avc.anonVma
		for i, c := range av.chains {
			if c == avc {
				av.chains = append(av.chains[:i], av.chains[i+1:]...)
				break
			}
		}
		if len(av.chains) == 0 {
			s.putAnonVMA(av)
		}
	}
	vma.anonVmaChain = nil
	vma.anonVma = nil
}

// putAnonVMA is put_anon_vma(): the last reference frees it, and drops the
// reference it held on its root.
func (s *System) putAnonVMA(av *AnonVMA) {
	av.refcount--
	if av.refcount > 0 {
		return
	}
	if av.root != av {
		s.putAnonVMA(av.root)
	}
}

// __pageSetAnonRmap is __page_set_anon_rmap(): point the page at the
// VMA's anon_vma (its root unless the page is exclusive to this VMA).
func (s *System) __pageSetAnonRmap(pfn uint64, vma *VMArea, address uint64, exclusive bool) {
	s.Cover("__page_set_anon_rmap")
	p := &s.pages[pfn]
	av := vma.anonVma
	if av == nil {
		s.bug("mm/rmap.c", 919)
	}
	if p.PageAnon() {
		return
	}
	if !exclusive {
		av = av.root
	}
	p.mapping = av.mapping()
	p.index = vma.linearPageIndex(address)
}

// pageAddNewAnonRmap is page_add_new_anon_rmap(): a freshly allocated anon
// page gets PG_swapbacked, mapcount 1, NR_ANON_PAGES, its anon_vma, and goes
// on the active anon LRU through the pagevec (or straight to the
// unevictable list in a VM_LOCKED VMA).
func (s *System) pageAddNewAnonRmap(pfn uint64, vma *VMArea, address uint64) {
	s.Cover("page_add_new_anon_rmap")
	p := &s.pages[pfn]
	if address < vma.Start || address >= vma.End {
		s.bug("mm/rmap.c", 1027)
	}
	p.setFlag(PG_swapbacked)
	p.mapcount = 1
	s.PageZone(p).__modZonePageState(NR_ANON_PAGES, 1)
	s.__pageSetAnonRmap(pfn, vma, address, true)
	if s.hist != nil {
		s.hist.add(s, pfn, fmt.Sprintf("anon rmap: new in mm %d at %#x", vma.mm.ID, address))
	}
	s.vmBugOnPage(p.PageLRU(), pfn, "PageLRU(page)", "mm/rmap.c", 1036)
	if vma.Flags&(VM_LOCKED|VM_SPECIAL) != VM_LOCKED {
		p.setFlag(PG_active)
		s.lruCacheAdd(pfn)
		return
	}
	if !p.testSetFlag(PG_mlocked) {
		s.PageZone(p).__modZonePageState(NR_MLOCK, 1)
		s.countVMEvent(UNEVICTABLE_PGMLOCKED)
	}
	s.addPageToUnevictableList(pfn)
}

// pageAddAnonRmap is page_add_anon_rmap(): do_page_add_anon_rmap with
// exclusive 0.
func (s *System) pageAddAnonRmap(pfn uint64, vma *VMArea, address uint64) {
	s.doPageAddAnonRmap(pfn, vma, address, false) // swap hook: exclusive split out
}

// doPageAddAnonRmap is do_page_add_anon_rmap(): one more PTE maps an
// existing anon page (or a swap-cache page coming back); the first mapping
// counts in NR_ANON_PAGES and points the page at the VMA's anon_vma (its
// own one if exclusive, as do_swap_page asks for a page it may write). The
// page must be locked.
func (s *System) doPageAddAnonRmap(pfn uint64, vma *VMArea, address uint64, exclusive bool) {
	s.Cover("do_page_add_anon_rmap")
	p := &s.pages[pfn]
	p.mapcount++
	first := p.mapcount == 1
	if first {
		s.PageZone(p).__modZonePageState(NR_ANON_PAGES, 1)
	}
	s.vmBugOnPage(!p.PageLocked(), pfn, "!PageLocked(page)", "mm/rmap.c", 1006)
	if first {
		s.__pageSetAnonRmap(pfn, vma, address, exclusive)
	}
}

// pageAddFileRmap is page_add_file_rmap().
func (s *System) pageAddFileRmap(pfn uint64) {
	p := &s.pages[pfn]
	p.mapcount++
	if p.mapcount == 1 {
		s.PageZone(p).__incZoneState(NR_FILE_MAPPED)
	}
}

// pageRemoveRmap is page_remove_rmap(): one PTE fewer; the last one takes
// the page out of NR_ANON_PAGES or NR_FILE_MAPPED and clears its mlock.
func (s *System) pageRemoveRmap(pfn uint64) {
	s.CoverPage("page_remove_rmap", pfn)
	p := &s.pages[pfn]
	anon := p.PageAnon()
	p.mapcount--
	if p.mapcount != 0 {
		return
	}
	if anon {
		s.PageZone(p).__modZonePageState(NR_ANON_PAGES, -1)
	} else {
		s.PageZone(p).__decZoneState(NR_FILE_MAPPED)
	}
	if p.PageMlocked() {
		s.clearPageMlock(pfn)
	}
}

// clearPageMlock is clear_page_mlock() (mm/mlock.c): the page's last
// mlocked mapping went away.
func (s *System) clearPageMlock(pfn uint64) {
	s.Cover("clear_page_mlock")
	p := &s.pages[pfn]
	if !p.testClearFlag(PG_mlocked) {
		return
	}
	s.PageZone(p).__modZonePageState(NR_MLOCK, -1)
	s.countVMEvent(UNEVICTABLE_PGCLEARED)
	if !s.isolateLRUPage(pfn) {
		if p.PageUnevictable() {
			s.countVMEvent(UNEVICTABLE_PGSTRANDED)
		}
		return
	}
	s.putbackLRUPage(pfn)
}

// rmapOne is rmap_walk_control.rmap_one: returns SWAP_AGAIN to go on.
type rmapOne func(v *VMArea, address uint64) int

// rmapWalk is rmap_walk(): call one for every VMA that may map the page,
// through its anon_vma or its mapping's i_mmap, until one returns other
// than SWAP_AGAIN or done says to stop. invalid, if set, skips VMAs.
func (s *System) rmapWalk(pfn uint64, one rmapOne, invalid func(v *VMArea) bool, done func() bool) int {
	p := &s.pages[pfn]
	if p.PageAnon() {
		return s.rmapWalkAnon(pfn, one, invalid, done)
	}
	return s.rmapWalkFile(pfn, one, invalid, done)
}

// rmapWalkAnon is rmap_walk_anon(): the VMAs chained to the page's
// anon_vma whose range covers page->index.
func (s *System) rmapWalkAnon(pfn uint64, one rmapOne, invalid func(v *VMArea) bool, done func() bool) int {
	// rwc->anon_lock is page_lock_anon_vma_read for these walkers: nothing
	// to walk once the page is unmapped.
	return s.rmapWalkAnonVMA(pfn, s.pageLockAnonVMARead(pfn), one, invalid, done)
}

// rmapWalkAnonVMA walks the chains of av (rmap_walk_anon's loop).
func (s *System) rmapWalkAnonVMA(pfn uint64, av *AnonVMA, one rmapOne, invalid func(v *VMArea) bool, done func() bool) int {
	ret := SWAP_AGAIN
	if av == nil {
		return ret
	}
	idx := s.pages[pfn].index
	for _, avc := range append([]*anonVMAChain(nil), av.chains...) {
		v := avc.vma
		address, ok := v.vmaAddress(idx)
		if !ok {
			continue
		}
		if invalid != nil && invalid(v) {
			continue
		}
		ret = one(v, address)
		if ret != SWAP_AGAIN || (done != nil && done()) {
			break
		}
	}
	return ret
}

// rmapWalkFile is rmap_walk_file(): the VMAs in the mapping's i_mmap that
// cover page->index.
func (s *System) rmapWalkFile(pfn uint64, one rmapOne, invalid func(v *VMArea) bool, done func() bool) int {
	s.Cover("rmap_walk_file")
	ret := SWAP_AGAIN
	if !s.pages[pfn].PageLocked() {
		s.bug("mm/rmap.c", 1689) // VM_BUG_ON, not VM_BUG_ON_PAGE: no dump_page
	}
	m := s.pageMapping(pfn)
	if m == nil {
		return ret
	}
	idx := s.pages[pfn].index
	for _, v := range append([]*VMArea(nil), m.iMmap...) {
		address, ok := v.vmaAddress(idx)
		if !ok {
			continue
		}
		if invalid != nil && invalid(v) {
			continue
		}
		ret = one(v, address)
		if ret != SWAP_AGAIN || (done != nil && done()) {
			break
		}
	}
	return ret
}

// pageReferenced is page_referenced(): how many mappings found the page's
// young bit set (clearing them), and the union of their VMA flags; a
// VM_LOCKED mapping stops the walk and is reported in the flags.
func (s *System) pageReferenced(pfn uint64, isLocked bool) (referenced int, vmFlags uint64) {
	s.Cover("page_referenced")
	p := &s.pages[pfn]
	if p.mapcount <= 0 || p.mapping == 0 {
		return 0, 0
	}
	weLocked := false
	if !isLocked && !p.PageAnon() {
		if !s.trylockPage(pfn) {
			return 1, 0
		}
		weLocked = true
	}
	mapcount := p.mapcount
	s.rmapWalk(pfn, func(v *VMArea, address uint64) int {
		ptep := s.pageCheckAddress(pfn, v.mm, address)
		if ptep == nil {
			return SWAP_AGAIN
		}
		if v.Flags&VM_LOCKED != 0 {
			vmFlags |= VM_LOCKED
			return SWAP_FAIL
		}
		if ptep.young() {
			*ptep = ptep.mkold() // ptep_clear_flush_young_notify
			if v.Flags&VM_SEQ_READ == 0 {
				referenced++
				vmFlags |= v.Flags
			}
		}
		mapcount--
		if mapcount == 0 {
			return SWAP_SUCCESS
		}
		return SWAP_AGAIN
	}, nil, nil)
	if weLocked {
		s.unlockPage(pfn)
	}
	return referenced, vmFlags
}

// pageMkclean is page_mkclean(): write-protect and clean every shared
// mapping of a locked file page, so the next write faults and dirties it
// again; reports whether any PTE was dirty or writable.
func (s *System) pageMkclean(pfn uint64) bool {
	s.Cover("page_mkclean")
	p := &s.pages[pfn]
	if !p.PageLocked() {
		s.bug("mm/rmap.c", 868)
	}
	if p.mapcount <= 0 || s.pageMapping(pfn) == nil {
		return false
	}
	cleaned := 0
	s.rmapWalk(pfn, func(v *VMArea, address uint64) int {
		ptep := s.pageCheckAddress(pfn, v.mm, address)
		if ptep != nil && (ptep.dirty() || ptep.write()) {
			*ptep = ptep.wrprotect().mkclean()
			cleaned++
		}
		return SWAP_AGAIN
	}, func(v *VMArea) bool { return v.Flags&VM_SHARED == 0 }, nil)
	return cleaned > 0
}

// try_to_unmap flags, enum ttu_flags (include/linux/rmap.h).
const (
	TTU_UNMAP           = 1
	TTU_MIGRATION       = 2
	TTU_MUNLOCK         = 4
	TTU_IGNORE_MLOCK    = 1 << 8
	TTU_IGNORE_ACCESS   = 1 << 9
	TTU_IGNORE_HWPOISON = 1 << 10
)

// tryToUnmapOne is try_to_unmap_one() (swap): unmap the page from one VMA.
// A VM_LOCKED VMA mlocks the page instead (SWAP_MLOCK); a young PTE, unless
// TTU_IGNORE_ACCESS, keeps it (SWAP_FAIL). Otherwise the PTE is cleared,
// its dirty bit goes to the page, and an anon page leaves its swap entry
// (a new swap reference, MM_ANONPAGES to MM_SWAPENTS) or, for migration,
// a migration entry; a file page just goes (MM_FILEPAGES). The mapping's
// page reference is dropped.
//
// Model: hwpoison, pte_unused (s390) and mmu notifiers are not modeled;
// mmap_sem is not modeled, so the VM_LOCKED recheck always runs.
func (s *System) tryToUnmapOne(pfn uint64, v *VMArea, address uint64, flags int) int {
	s.Cover("try_to_unmap_one")
	m := v.mm
	p := &s.pages[pfn]
	ptep := s.pageCheckAddress(pfn, m, address)
	if ptep == nil {
		return SWAP_AGAIN
	}
	if flags&TTU_IGNORE_MLOCK == 0 {
		if v.Flags&VM_LOCKED != 0 {
			// out_mlock
			if v.Flags&VM_LOCKED != 0 {
				s.mlockVMAPage(pfn)
				return SWAP_MLOCK
			}
			return SWAP_AGAIN
		}
		if flags&TTU_MUNLOCK != 0 {
			return SWAP_AGAIN
		}
	}
	if flags&TTU_IGNORE_ACCESS == 0 && ptep.young() {
		*ptep = ptep.mkold() // ptep_clear_flush_young_notify
		return SWAP_FAIL
	}
	pteval := *ptep
	*ptep = 0 // ptep_clear_flush
	if pteval.dirty() {
		s.setPageDirty(pfn)
	}
	switch {
	case p.PageAnon():
		entry := swpEntryFromVal(p.private)
		if p.PageSwapCache() {
			if s.swapDuplicate(entry) < 0 {
				*ptep = pteval
				return SWAP_FAIL
			}
			s.mmlistAdd(m, nil) // swapoff must find m: onto init_mm.mmlist
			m.rss[MM_ANONPAGES]--
			m.rss[MM_SWAPENTS]++
		} else {
			if flags&TTU_MIGRATION == 0 {
				s.bug("mm/rmap.c", 1233)
			}
			// make_migration_entry
			entry = swpEntry{Type: SWP_MIGRATION_READ, Offset: pfn}
			if pteval.write() {
				entry.Type = SWP_MIGRATION_WRITE
			}
		}
		*ptep = swpEntryToPte(entry)
	case flags&TTU_MIGRATION != 0:
		entry := swpEntry{Type: SWP_MIGRATION_READ, Offset: pfn}
		if pteval.write() {
			entry.Type = SWP_MIGRATION_WRITE
		}
		*ptep = swpEntryToPte(entry)
	default:
		m.rss[MM_FILEPAGES]--
	}
	s.pageRemoveRmap(pfn)
	s.PutPage(pfn)
	return SWAP_AGAIN
}

// tryToUnmap is try_to_unmap(): unmap the locked page from every VMA the
// reverse map finds, stopping once it is unmapped or a VMA refuses.
// SWAP_SUCCESS if no mapping is left, else SWAP_AGAIN, SWAP_FAIL or
// SWAP_MLOCK.
//
// Model: nonlinear file VMAs are not modeled; exec's temporary stack VMA
// (invalid_migration_vma) never exists.
func (s *System) tryToUnmap(pfn uint64, flags int) int {
	s.CoverPage("try_to_unmap", pfn)
	p := &s.pages[pfn]
	ret := s.rmapWalk(pfn, func(v *VMArea, address uint64) int {
		return s.tryToUnmapOne(pfn, v, address, flags)
	}, nil, func() bool { return p.mapcount <= 0 })
	if ret != SWAP_MLOCK && p.mapcount <= 0 {
		ret = SWAP_SUCCESS
	}
	return ret
}
