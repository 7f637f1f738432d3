// SPDX-License-Identifier: GPL-2.0-only

package mm

// mm/truncate.c: removing pages from the page cache when a file shrinks or
// goes away.

// DoInvalidatepage is do_invalidatepage(): let the filesystem drop the
// page's private data for the byte range.
func (s *System) DoInvalidatepage(pfn uint64, offset, length int) {
	m := s.pageMapping(pfn)
	if op, ok := m.Ops.(InvalidatePageOp); ok {
		op.InvalidatePage(s, pfn, offset, length)
	}
}

// cancelDirtyPage is cancel_dirty_page().
func (s *System) cancelDirtyPage(pfn uint64) {
	p := &s.pages[pfn]
	if p.testClearFlag(PG_dirty) {
		if m := s.pageMapping(pfn); m != nil && m.mappingCapAccountDirty() {
			s.pfnZone(pfn).modZonePageState(NR_FILE_DIRTY, -1)
			s.decBdiStat(m.BDI, BDI_RECLAIMABLE)
		}
	}
}

// truncateCompletePage is truncate_complete_page().
func (s *System) truncateCompletePage(m *AddressSpace, pfn uint64) {
	s.Cover("truncate_complete_page")
	p := &s.pages[pfn]
	if p.mapping != m.handle() {
		return
	}
	if p.flags&PAGE_FLAGS_PRIVATE != 0 {
		s.DoInvalidatepage(pfn, 0, PAGE_SIZE)
	}
	s.cancelDirtyPage(pfn)
	p.clearFlag(PG_mappedtodisk)
	s.DeleteFromPageCache(pfn)
}

// truncateInodePage is truncate_inode_page(): unmap a mapped page first.
func (s *System) truncateInodePage(m *AddressSpace, pfn uint64) {
	if s.pages[pfn].mapcount > 0 {
		s.UnmapMappingRange(m, int64(s.pages[pfn].index)<<PAGE_SHIFT, PAGE_SIZE, false)
	}
	s.truncateCompletePage(m, pfn)
}

// TruncatePagecache is truncate_pagecache(): unmap the file's mappings
// beyond newsize (private COW copies too), drop the pages, and unmap again
// for pages faulted in meanwhile.
func (s *System) TruncatePagecache(m *AddressSpace, newsize int64) {
	holebegin := (newsize + PAGE_SIZE - 1) &^ (PAGE_SIZE - 1)
	s.UnmapMappingRange(m, holebegin, 0, true)
	s.TruncateInodePages(m, newsize)
	s.UnmapMappingRange(m, holebegin, 0, true)
}

// lookupEntries is pagevec_lookup_entries(): up to n entries from index,
// with a reference on each page.
func (s *System) lookupEntries(m *AddressSpace, index uint64, n int) []RadixItem {
	items := m.tree.GangLookup(nil, index, n)
	for _, it := range items {
		if !RadixTreeExceptionalEntry(it.Entry) {
			s.GetPage(RadixEntryToPFN(it.Entry))
		}
	}
	return items
}

// releaseEntries is pagevec_remove_exceptionals() + pagevec_release().
func (s *System) releaseEntries(items []RadixItem) {
	s.Cover("pagevec_remove_exceptionals")
	var pfns []uint64
	for _, it := range items {
		if !RadixTreeExceptionalEntry(it.Entry) {
			pfns = append(pfns, RadixEntryToPFN(it.Entry))
		}
	}
	s.LRUAddDrain()
	s.releasePages(pfns, false)
}

// clearExceptionalEntry is clear_exceptional_entry(): drop a shadow entry.
func (s *System) clearExceptionalEntry(m *AddressSpace, index uint64, entry uint64) {
	if e, ok := m.tree.Lookup(index); ok && e == entry {
		m.tree.Delete(index)
		m.nrshadows--
	}
}

// TruncateInodePagesRange is truncate_inode_pages_range(): a first pass
// takes the pages it can lock without waiting and that are not under
// writeback; the partial pages at either end are zeroed where cut; a second
// pass waits for every page left.
func (s *System) TruncateInodePagesRange(m *AddressSpace, lstart, lend int64) {
	s.Cover("truncate_inode_pages_range")
	if m.nrpages == 0 && m.nrshadows == 0 {
		return
	}
	partialStart := lstart & (PAGE_SIZE - 1)
	partialEnd := (lend + 1) & (PAGE_SIZE - 1)
	start := uint64(lstart+PAGE_SIZE-1) >> PAGE_SHIFT
	end := ^uint64(0)
	if lend != -1 {
		end = uint64(lend+1) >> PAGE_SHIFT
	}
	index := start
	for index < end {
		items := s.lookupEntries(m, index, int(min(end-index, PAGEVEC_SIZE)))
		if len(items) == 0 {
			break
		}
		for _, it := range items {
			index = it.Index
			if index >= end {
				break
			}
			if RadixTreeExceptionalEntry(it.Entry) {
				s.clearExceptionalEntry(m, index, it.Entry)
				continue
			}
			pfn := RadixEntryToPFN(it.Entry)
			if !s.trylockPage(pfn) {
				continue
			}
			if s.pages[pfn].PageWriteback() {
				s.unlockPage(pfn)
				continue
			}
			s.truncateInodePage(m, pfn)
			s.unlockPage(pfn)
		}
		s.releaseEntries(items)
		s.condResched()
		index++
	}
	zeroTail := func(idx uint64, from, to int64) {
		pfn, ok := s.FindGetPage(m, idx)
		if !ok {
			return
		}
		s.lockPage(pfn)
		s.WaitOnPageWriteback(pfn)
		s.zeroUserSegment(pfn, from, to)
		if s.pages[pfn].flags&PAGE_FLAGS_PRIVATE != 0 {
			s.DoInvalidatepage(pfn, int(from), int(to-from))
		}
		s.unlockPage(pfn)
		s.PutPage(pfn)
	}
	if partialStart != 0 {
		top := int64(PAGE_SIZE)
		if start > end {
			top = partialEnd
			partialEnd = 0
		}
		zeroTail(start-1, partialStart, top)
	}
	if partialEnd != 0 {
		zeroTail(end, 0, partialEnd)
	}
	if start >= end {
		return
	}
	index = start
	for {
		s.condResched()
		items := s.lookupEntries(m, index, int(min(end-index, PAGEVEC_SIZE)))
		if len(items) == 0 {
			if index == start {
				break
			}
			index = start
			continue
		}
		if index == start && items[0].Index >= end {
			s.releaseEntries(items)
			break
		}
		for _, it := range items {
			index = it.Index
			if index >= end {
				index = start - 1
				break
			}
			if RadixTreeExceptionalEntry(it.Entry) {
				s.clearExceptionalEntry(m, index, it.Entry)
				continue
			}
			pfn := RadixEntryToPFN(it.Entry)
			s.lockPage(pfn)
			s.WaitOnPageWriteback(pfn)
			s.truncateInodePage(m, pfn)
			s.unlockPage(pfn)
		}
		s.releaseEntries(items)
		index++
	}
}

// zeroUserSegment is zero_user_segment(): [from, to) of the page becomes
// zeroes (ZeroSegmentToken).
func (s *System) zeroUserSegment(pfn uint64, from, to int64) {
	s.pages[pfn].data = ZeroSegmentToken(s.pages[pfn].data, from, to)
}

// ZeroSegmentToken is the content token of a page that held old after
// [from, to) of it is zeroed: a write of ZeroToken, except that zeroes
// over zeroes change nothing. A page of zeroes (token 0: a hole, a fresh
// page) stays 0, and zeroing the same range again leaves the token as it
// is: the result carries the range in its low 32 bits (a marker byte and
// the range), so truncate_pagecache's zeroing and block_truncate_page's
// of the same tail give one token however they interleave.
func ZeroSegmentToken(old uint64, from, to int64) uint64 {
	if old == 0 {
		return 0
	}
	tag := zeroTagMarker<<24 | uint64(from&0xfff)<<12 | uint64((to-1)&0xfff)
	if old&0xffffffff == tag {
		return old
	}
	return MixToken(old, ZeroToken(from, to))&^0xffffffff | tag
}

// zeroTagMarker marks a token whose last change was zeroing a range.
const zeroTagMarker = 0xa5

// ZeroToken is the token of a write of zeroes over [from, to) of a page,
// mixed into its content as any write is (MixToken).
func ZeroToken(from, to int64) uint64 { return uint64(from)<<32 | uint64(to) | 1<<63 }

// TruncateInodePages is truncate_inode_pages(mapping, lstart).
func (s *System) TruncateInodePages(m *AddressSpace, lstart int64) {
	s.TruncateInodePagesRange(m, lstart, -1)
}

// invalidateInodePage is invalidate_inode_page(): drop a clean, unmapped,
// idle page from the page cache (its buffers first).
func (s *System) invalidateInodePage(m *AddressSpace, pfn uint64) bool {
	s.Cover("invalidate_inode_page")
	p := &s.pages[pfn]
	if p.mapping != m.handle() || p.PageDirty() || p.PageWriteback() || p.mapcount > 0 {
		return false
	}
	if p.flags&PAGE_FLAGS_PRIVATE != 0 && !s.tryToReleasePage(pfn, 0) {
		return false
	}
	// remove_mapping -> __remove_mapping: only if nobody else holds it
	// (the cache's reference and ours).
	if p.count != 2 || p.PageDirty() {
		return false
	}
	s.__deleteFromPageCache(pfn, 0)
	s.PutPage(pfn) // the cache's reference
	return true
}

// InvalidateMappingPages is invalidate_mapping_pages(), what
// vm.drop_caches=1 does per inode: drop every page that is clean, unmapped
// and not locked; return how many went.
func (s *System) InvalidateMappingPages(m *AddressSpace, start, end uint64) uint64 {
	s.Cover("invalidate_mapping_pages")
	var count uint64
	index := start
	for index <= end {
		items := s.lookupEntries(m, index, int(min(end-index, PAGEVEC_SIZE-1))+1)
		if len(items) == 0 {
			break
		}
		for _, it := range items {
			index = it.Index
			if index > end {
				break
			}
			if RadixTreeExceptionalEntry(it.Entry) {
				s.clearExceptionalEntry(m, index, it.Entry)
				continue
			}
			pfn := RadixEntryToPFN(it.Entry)
			if !s.trylockPage(pfn) {
				continue
			}
			ret := s.invalidateInodePage(m, pfn)
			s.unlockPage(pfn)
			if ret {
				count++
			} else {
				// A hint that the page is of no further interest.
				s.deactivatePage(pfn)
			}
		}
		s.releaseEntries(items)
		s.condResched()
		index++
	}
	return count
}
