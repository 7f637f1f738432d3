// SPDX-License-Identifier: GPL-2.0-only

package mm

// Invariants of the page cache and writeback:
//   - every page in an address_space's tree points back to it: mapping and
//     index match, the page is in use (not free), and the tree's count
//     equals nrpages;
//   - a page's DIRTY and WRITEBACK tags follow PG_dirty and PG_writeback
//     (a dirty page is tagged dirty, unless its mapping is never written
//     back (shmem: __set_page_dirty_no_writeback does not tag); a page
//     under writeback is tagged writeback; neither tag is set without its
//     flag);
//   - NR_FILE_PAGES (swap-cache pages included), NR_FILE_DIRTY (dirty pages of mappings that account
//     dirtying) and NR_WRITEBACK equal a recount;
//   - PageSwapBacked holds for every anon page and for no page of a mapping
//     whose backing device is not swap-backed.
func (s *System) checkPageCacheInvariants(bad func(format string, args ...any)) {
	var filePages, fileDirty, writeback [MAX_NR_ZONES * (1 << NODES_SHIFT)]int64
	zi := func(pfn uint64) int {
		p := &s.pages[pfn]
		return p.pageToNid()*MAX_NR_ZONES + p.pageZonenum()
	}
	var items []RadixItem
	for _, m := range s.mappings {
		if m == nil {
			continue
		}
		var n uint64
		items = m.tree.GangLookup(items[:0], 0, int(m.tree.Count())+1)
		for _, it := range items {
			if RadixTreeExceptionalEntry(it.Entry) {
				continue
			}
			n++
			pfn := RadixEntryToPFN(it.Entry)
			p := &s.pages[pfn]
			if p.mapping != m.handle() || p.index != it.Index {
				bad("page cache of mapping %d index %d holds pfn %#x whose mapping %d index %d disagree",
					m.id, it.Index, pfn, p.mapping>>1, p.index)
				continue
			}
			if p.count <= 0 || p.PageBuddy() {
				bad("page cache of mapping %d index %d holds free pfn %#x", m.id, it.Index, pfn)
			}
			if p.PageSwapBacked() && m.BDI.Capabilities&BDI_CAP_SWAP_BACKED == 0 {
				bad("pfn %#x of file mapping %d is PageSwapBacked", pfn, m.id)
			}
			if p.PageDirty() != m.tree.TagGet(it.Index, PAGECACHE_TAG_DIRTY) && p.PageDirty() && m.mappingCapWriteback() {
				bad("dirty pfn %#x (mapping %d index %d) lacks the DIRTY tag", pfn, m.id, it.Index)
			}
			// A clean page may keep its DIRTY tag in v3.16: cancel_dirty_page
			// (try_to_free_buffers, truncate) clears PG_dirty alone, and
			// write_cache_pages skips such a page; clear_page_dirty_for_io
			// leaves the tag to set_page_writeback. Only the converse is
			// wrong.
			if p.PageWriteback() != m.tree.TagGet(it.Index, PAGECACHE_TAG_WRITEBACK) {
				bad("pfn %#x writeback %v but WRITEBACK tag %v", pfn, p.PageWriteback(), !p.PageWriteback())
			}
			filePages[zi(pfn)]++
			if p.PageDirty() && m.mappingCapAccountDirty() {
				fileDirty[zi(pfn)]++
			}
		}
		if n != m.nrpages {
			bad("mapping %d nrpages %d but its tree holds %d pages", m.id, m.nrpages, n)
		}
	}
	// swap hook: swap-cache pages count in NR_FILE_PAGES too
	// (invariants_swap.go checks the swap cache's tree itself).
	if sc := s.swapperSpace; sc != nil {
		for _, it := range sc.tree.GangLookup(items[:0], 0, int(sc.tree.Count())+1) {
			if !RadixTreeExceptionalEntry(it.Entry) {
				filePages[zi(RadixEntryToPFN(it.Entry))]++
			}
		}
	}
	for _, z := range s.zones {
		if !z.populatedZone() {
			continue
		}
		for pfn := z.zoneStartPFN; pfn < z.zoneEndPFN(); pfn++ {
			if s.pfnValid(pfn) && s.pages[pfn].PageWriteback() {
				writeback[zi(pfn)]++
			}
		}
		i := z.node.ID*MAX_NR_ZONES + z.idx
		if got := z.zonePageStateRaw(NR_FILE_PAGES); got != filePages[i] {
			bad("%s NR_FILE_PAGES %d but the page cache holds %d of its pages", z.Name, got, filePages[i])
		}
		if got := z.zonePageStateRaw(NR_FILE_DIRTY); got != fileDirty[i] {
			bad("%s NR_FILE_DIRTY %d but %d cached pages are dirty", z.Name, got, fileDirty[i])
		}
		if got := z.zonePageStateRaw(NR_WRITEBACK); got != writeback[i] {
			bad("%s NR_WRITEBACK %d but %d pages are under writeback", z.Name, got, writeback[i])
		}
	}
}
