// SPDX-License-Identifier: GPL-2.0-only

package mm

import "pagesim/klog"

// mm/shmem.c: tmpfs files. A shmem inode's pages live in its page cache,
// PageSwapBacked and on the anon LRU, counted in NR_SHMEM; under memory
// pressure ->writepage moves a page to the swap cache and leaves its swap
// entry, as an exceptional entry, in the file's radix tree where the page
// was; the next access swaps it back in.
//
// Model, for the whole file: NUMA mempolicies (shmem_alloc_page's pseudo
// VMA) are the default local policy; size accounting against overcommit
// (shmem_acct_size/shmem_acct_block, VM_NORESERVE) always passes; the
// tmpfs inode limit, xattrs, fallocate, splice, shared anonymous mappings
// (shmem_zero_setup) and the SysV SHM_LOCK path are not modeled;
// shmem_swaplist_mutex and info->lock are not modeled.

func init() {
	// The shmem_aops methods stand for function pointers: no frame.
	for _, f := range []string{"Writepage", "Readpage", "SetPageDirty", "WriteBegin", "WriteEnd"} {
		klog.HideFunc("pagesim/mm.(*shmemAops)." + f)
	}
}

// sgp_type: what shmem_getpage_gfp is asked for.
const (
	SGP_READ   = iota // don't exceed i_size, don't allocate a page
	SGP_CACHE         // don't exceed i_size, may allocate a page
	SGP_DIRTY         // like SGP_CACHE, but set the new page dirty
	SGP_WRITE         // may exceed i_size, may allocate a !Uptodate page
	SGP_FALLOC        // like SGP_WRITE, but make the existing page Uptodate
)

// BLOCKS_PER_PAGE is PAGE_SIZE in 512-byte i_blocks units.
const BLOCKS_PER_PAGE = PAGE_SIZE / 512

// MAX_LFS_FILESIZE on a 64-bit kernel.
const MAX_LFS_FILESIZE = LLONG_MAX

// ShmemSbInfo is struct shmem_sb_info: a tmpfs mount's block limit
// (size=, 0 for none) and the blocks in use.
type ShmemSbInfo struct {
	maxBlocks  int64
	usedBlocks int64
}

// NewShmemSbInfo is shmem_fill_super()'s sbinfo for a mount of sizeBytes
// (0: unlimited, as size=0 asks).
func NewShmemSbInfo(sizeBytes uint64) *ShmemSbInfo {
	return &ShmemSbInfo{maxBlocks: int64(sizeBytes >> PAGE_SHIFT)}
}

// UsedBlocks is sbinfo->used_blocks.
func (sb *ShmemSbInfo) UsedBlocks() int64 { return sb.usedBlocks }

// ShmemInodeInfo is struct shmem_inode_info: a shmem inode's page and
// swap counts.
type ShmemInodeInfo struct {
	sb      *ShmemSbInfo
	mapping *AddressSpace
	// flags holds VM_LOCKED (SHM_LOCK) and VM_NORESERVE.
	flags uint64
	// alloced counts the data pages, swapped those of them in swap;
	// iBlocks is inode->i_blocks.
	alloced, swapped, iBlocks int64
	onSwaplist                bool
}

// Swapped is info->swapped; Alloced info->alloced; IBlocks i_blocks.
func (info *ShmemInodeInfo) Swapped() int64 { return info.swapped }
func (info *ShmemInodeInfo) Alloced() int64 { return info.alloced }
func (info *ShmemInodeInfo) IBlocks() int64 { return info.iBlocks }

// shmemAops is shmem_aops, one per inode so that it carries SHMEM_I().
type shmemAops struct{ info *ShmemInodeInfo }

// NewShmemInodeOps is what shmem_get_inode() gives a regular tmpfs file:
// shmem_aops and its shmem_inode_info, on the mount's sbinfo.
func (s *System) NewShmemInodeOps(sb *ShmemSbInfo) AddressSpaceOps {
	return &shmemAops{info: &ShmemInodeInfo{sb: sb}}
}

// ShmemBDI is shmem_backing_dev_info: no dirty accounting, no writeback,
// swap-backed.
func (s *System) ShmemBDI() *BackingDevInfo {
	if s.swap.shmemBDI == nil {
		s.swap.shmemBDI = &BackingDevInfo{Name: "shmem", Capabilities: BDI_CAP_NO_ACCT_AND_WRITEBACK | BDI_CAP_SWAP_BACKED}
	}
	return s.swap.shmemBDI
}

// shmemI is SHMEM_I(mapping->host).
func shmemI(m *AddressSpace) *ShmemInodeInfo {
	a := m.Ops.(*shmemAops)
	a.info.mapping = m
	return a.info
}

// ShmemInfo returns SHMEM_I() of a shmem mapping, nil for others.
func (s *System) ShmemInfo(m *AddressSpace) *ShmemInodeInfo {
	if _, ok := m.Ops.(*shmemAops); !ok {
		return nil
	}
	return shmemI(m)
}

// Writepage is shmem_aops.writepage.
func (a *shmemAops) Writepage(s *System, pfn uint64, wbc *WritebackControl) int {
	return s.shmemWritepage(pfn, wbc)
}

// Readpage: shmem_aops has no ->readpage.
func (a *shmemAops) Readpage(s *System, pfn uint64) int {
	// model-only check: the kernel would call a NULL ->readpage.
	s.bug("mm/shmem.c", 2697)
	return 0
}

// SetPageDirty is shmem_aops.set_page_dirty: __set_page_dirty_no_writeback.
func (a *shmemAops) SetPageDirty(s *System, pfn uint64) bool {
	return s.__setPageDirtyNoWriteback(pfn)
}

// WriteBegin is shmem_aops.write_begin.
func (a *shmemAops) WriteBegin(s *System, m *AddressSpace, pos int64, length int) (uint64, error) {
	return s.shmemWriteBegin(m, pos, length)
}

// WriteEnd is shmem_aops.write_end.
func (a *shmemAops) WriteEnd(s *System, m *AddressSpace, pos int64, length, copied int, pfn uint64) int {
	return s.shmemWriteEnd(m, pos, length, copied, pfn)
}

// swpToRadixEntry is swp_to_radix_entry(): a swap entry as an exceptional
// radix-tree entry; radixToSwpEntry inverts it.
func swpToRadixEntry(e swpEntry) uint64 { return ExceptionalToRadixEntry(e.val()) }
func radixToSwpEntry(r uint64) swpEntry { return swpEntryFromVal(RadixEntryToExceptional(r)) }

// shmemRecalcInode is shmem_recalc_inode(): pages the VM dropped behind
// shmem's back (clean holes) are no longer allocated.
func (s *System) shmemRecalcInode(info *ShmemInodeInfo) {
	s.Cover("shmem_recalc_inode")
	freed := info.alloced - info.swapped - int64(info.mapping.nrpages)
	if freed > 0 {
		if info.sb.maxBlocks != 0 {
			info.sb.usedBlocks -= freed
		}
		info.alloced -= freed
		info.iBlocks -= freed * BLOCKS_PER_PAGE
	}
}

// shmemRadixTreeReplace is shmem_radix_tree_replace(): swap the expected
// entry at index for replacement; -ENOENT if something else is there.
func (s *System) shmemRadixTreeReplace(m *AddressSpace, index, expected, replacement uint64) int {
	s.Cover("shmem_radix_tree_replace")
	sl, ok := m.tree.LookupSlot(index)
	if !ok {
		return errnoENOENT
	}
	if item, _ := m.tree.DerefSlot(sl); item != expected {
		return errnoENOENT
	}
	m.tree.ReplaceSlot(sl, replacement)
	return 0
}

// shmemConfirmSwap is shmem_confirm_swap(): the swap entry is still where
// it was.
func (s *System) shmemConfirmSwap(m *AddressSpace, index uint64, swap swpEntry) bool {
	item, ok := m.tree.Lookup(index)
	return ok && item == swpToRadixEntry(swap)
}

// shmemAddToPageCache is shmem_add_to_page_cache(): like
// add_to_page_cache_locked, inserting the page or replacing the expected
// swap entry (expected 0: none), and counting NR_SHMEM too.
func (s *System) shmemAddToPageCache(pfn uint64, m *AddressSpace, index uint64, gfp GFP, expected uint64) int {
	s.Cover("shmem_add_to_page_cache")
	p := &s.pages[pfn]
	s.vmBugOnPage(!p.PageLocked(), pfn, "!PageLocked(page)", "mm/shmem.c", 287)
	s.vmBugOnPage(!p.PageSwapBacked(), pfn, "!PageSwapBacked(page)", "mm/shmem.c", 288)
	s.GetPage(pfn)
	p.mapping = m.handle()
	p.index = index
	var err int
	if expected == 0 {
		if m.tree.Insert(index, PFNToRadixEntry(pfn)) != nil {
			err = errnoEEXIST
		}
	} else {
		err = s.shmemRadixTreeReplace(m, index, expected, PFNToRadixEntry(pfn))
	}
	if err != 0 {
		p.mapping = 0
		s.PutPage(pfn)
		return err
	}
	m.nrpages++
	z := s.PageZone(p)
	z.__incZoneState(NR_FILE_PAGES)
	z.__incZoneState(NR_SHMEM)
	return 0
}

// shmemDeleteFromPageCache is shmem_delete_from_page_cache(): like
// delete_from_page_cache, but the swap entry radswap takes the page's
// place.
func (s *System) shmemDeleteFromPageCache(pfn uint64, radswap uint64) {
	s.Cover("shmem_delete_from_page_cache")
	p := &s.pages[pfn]
	m := s.mappings[p.mapping>>1]
	err := s.shmemRadixTreeReplace(m, p.index, PFNToRadixEntry(pfn), radswap)
	p.mapping = 0
	m.nrpages--
	z := s.PageZone(p)
	z.__decZoneState(NR_FILE_PAGES)
	z.__decZoneState(NR_SHMEM)
	s.PutPage(pfn)
	if err != 0 {
		s.bug("mm/shmem.c", 329)
	}
}

// shmemFreeSwap is shmem_free_swap(): take the swap entry out of the
// tree and free the swap (and its cache page if unused).
func (s *System) shmemFreeSwap(m *AddressSpace, index, radswap uint64) int {
	if _, ok := m.tree.DeleteItem(index, radswap); !ok {
		return errnoENOENT
	}
	s.freeSwapAndCache(radixToSwpEntry(radswap))
	return 0
}

// shmemUndoRange is shmem_undo_range() for truncation and hole punching
// (unfalloc false): free the pages and swap entries of the range, zero
// the partial pages at its ends; a first pass skips locked pages, a
// second waits for them.
func (s *System) shmemUndoRange(m *AddressSpace, lstart, lend int64) {
	s.Cover("shmem_undo_range")
	info := shmemI(m)
	start := uint64(lstart+PAGE_SIZE-1) >> PAGE_SHIFT
	end := uint64(lend+1) >> PAGE_SHIFT
	partialStart := lstart & (PAGE_SIZE - 1)
	partialEnd := (lend + 1) & (PAGE_SIZE - 1)
	var nrSwapsFreed int64
	if lend == -1 {
		end = ^uint64(0)
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
				if s.shmemFreeSwap(m, index, it.Entry) == 0 {
					nrSwapsFreed++
				}
				continue
			}
			pfn := RadixEntryToPFN(it.Entry)
			if !s.trylockPage(pfn) {
				continue
			}
			if s.pages[pfn].mapping == m.handle() {
				s.vmBugOnPage(s.pages[pfn].PageWriteback(), pfn, "PageWriteback(page)", "mm/shmem.c", 429)
				s.truncateInodePage(m, pfn)
			}
			s.unlockPage(pfn)
		}
		s.releaseEntries(items)
		s.condResched()
		index++
	}
	zero := func(idx uint64, from, to int64) {
		pfn, ok, _ := s.shmemGetpage(m, idx, SGP_READ, nil)
		if !ok {
			return
		}
		s.zeroUserSegment(pfn, from, to)
		s.SetPageDirty(pfn)
		s.unlockPage(pfn)
		s.PutPage(pfn)
	}
	if partialStart != 0 {
		top := int64(PAGE_SIZE)
		if start > end {
			top = partialEnd
			partialEnd = 0
		}
		zero(start-1, partialStart, top)
	}
	if partialEnd != 0 {
		zero(end, 0, partialEnd)
	}
	if start >= end {
		return
	}
	index = start
	for index < end {
		s.condResched()
		items := s.lookupEntries(m, index, int(min(end-index, PAGEVEC_SIZE)))
		if len(items) == 0 {
			// All gone, or a hole punch: done; a truncate restarts to
			// make sure.
			if index == start || end != ^uint64(0) {
				break
			}
			index = start
			continue
		}
		for _, it := range items {
			index = it.Index
			if index >= end {
				break
			}
			if RadixTreeExceptionalEntry(it.Entry) {
				if s.shmemFreeSwap(m, index, it.Entry) != 0 {
					// Swap was replaced by page: retry.
					index--
					break
				}
				nrSwapsFreed++
				continue
			}
			pfn := RadixEntryToPFN(it.Entry)
			s.lockPage(pfn)
			if s.pages[pfn].mapping == m.handle() {
				s.vmBugOnPage(s.pages[pfn].PageWriteback(), pfn, "PageWriteback(page)", "mm/shmem.c", 508)
				s.truncateInodePage(m, pfn)
			} else {
				// Page was replaced by swap: retry.
				s.unlockPage(pfn)
				index--
				break
			}
			s.unlockPage(pfn)
		}
		s.releaseEntries(items)
		index++
	}
	info.swapped -= nrSwapsFreed
	s.shmemRecalcInode(info)
}

// ShmemTruncateRange is shmem_truncate_range(): shmem_undo_range for a
// truncate or hole punch of [lstart, lend] (lend -1: to the end).
func (s *System) ShmemTruncateRange(m *AddressSpace, lstart, lend int64) {
	s.shmemUndoRange(m, lstart, lend)
}

// ShmemSetattrSize is the size change of shmem_setattr(), after i_size
// has been set: a shrink unmaps the cut range from every mapping (private
// COW copies too), frees it, and unmaps again.
func (s *System) ShmemSetattrSize(m *AddressSpace, oldsize, newsize int64) {
	if newsize < oldsize {
		holebegin := (newsize + PAGE_SIZE - 1) &^ (PAGE_SIZE - 1)
		s.UnmapMappingRange(m, holebegin, 0, true)
		s.ShmemTruncateRange(m, newsize, -1)
		s.UnmapMappingRange(m, holebegin, 0, true)
	}
}

// ShmemEvictInode is shmem_evict_inode(): free everything and leave the
// swap list; i_blocks must be 0 then.
func (s *System) ShmemEvictInode(m *AddressSpace) {
	s.Cover("shmem_evict_inode")
	info := shmemI(m)
	s.ShmemTruncateRange(m, 0, -1)
	if info.onSwaplist {
		s.shmemSwaplistDel(info)
	}
	if s.log != nil {
		s.log.WarnOn(info.iBlocks != 0, "mm/shmem.c", 587)
	}
}

// shmemSwaplistDel is list_del_init(&info->swaplist).
func (s *System) shmemSwaplistDel(info *ShmemInodeInfo) {
	for i, x := range s.swap.shmemSwaplist {
		if x == info {
			s.swap.shmemSwaplist = append(s.swap.shmemSwaplist[:i], s.swap.shmemSwaplist[i+1:]...)
			break
		}
	}
	info.onSwaplist = false
}

// radixTreeLocateItem is radix_tree_locate_item(): the index holding
// item, or false.
func radixTreeLocateItem(t *RadixTree, item uint64) (uint64, bool) {
	var items []RadixItem
	var index uint64
	for {
		items = t.GangLookup(items[:0], index, RADIX_TREE_MAP_SIZE)
		if len(items) == 0 {
			return 0, false
		}
		for _, it := range items {
			if it.Entry == item {
				return it.Index, true
			}
		}
		index = items[len(items)-1].Index + 1
		if index == 0 {
			return 0, false
		}
	}
}

// shmemUnuseInode is shmem_unuse_inode(): if the swap entry is in this
// inode, the swap-cache page takes its place in the page cache and the
// swap is freed. It returns 1 when the entry was found, 0 if not, or an
// error.
func (s *System) shmemUnuseInode(info *ShmemInodeInfo, swap swpEntry, pfnp *uint64) int {
	s.Cover("shmem_unuse_inode")
	m := info.mapping
	radswap := swpToRadixEntry(swap)
	index, ok := radixTreeLocateItem(&m.tree, radswap)
	if !ok {
		return 0
	}
	// Move the list head so that the next search starts here.
	for i, x := range s.swap.shmemSwaplist {
		if x == info {
			l := s.swap.shmemSwaplist
			s.swap.shmemSwaplist = append(append([]*ShmemInodeInfo(nil), l[i:]...), l[:i]...)
			break
		}
	}
	gfp := m.GFPMask
	err := 0
	if s.shmemShouldReplacePage(*pfnp, gfp) {
		err = s.shmemReplacePage(pfnp, gfp, info, index)
		if err == 0 && s.pageSwapcount(*pfnp) == 0 {
			err = errnoENOENT
		}
	}
	if err == 0 {
		err = s.shmemAddToPageCache(*pfnp, m, index, GFP_NOWAIT, radswap)
	}
	if err != errnoENOMEM {
		// Truncation only trylocks the page: clean up here if it raced.
		s.deleteFromSwapCache(*pfnp)
		s.SetPageDirty(*pfnp)
		if err == 0 {
			info.swapped--
			s.swapFree(swap)
		}
		err = 1 // not an error, but the entry was found
	}
	return err
}

// shmemUnuse is shmem_unuse(): swapoff found a shmem slot; look through
// the inodes with swap for the entry. The page is unlocked and released.
func (s *System) shmemUnuse(swap swpEntry, pfn uint64) int {
	s.Cover("shmem_unuse")
	p := &s.pages[pfn]
	errv := 0
	if p.PageSwapCache() && p.private == swap.val() {
		found := 0
		for _, info := range append([]*ShmemInodeInfo(nil), s.swap.shmemSwaplist...) {
			if !info.onSwaplist {
				continue
			}
			if info.swapped != 0 {
				found = s.shmemUnuseInode(info, swap, &pfn)
			} else {
				s.shmemSwaplistDel(info)
			}
			s.condResched()
			if found != 0 {
				break
			}
		}
		if found < 0 {
			errv = found
		}
	}
	s.unlockPage(pfn)
	s.PutPage(pfn)
	return errv
}

// shmemWritepage is shmem_writepage(): move a page from the page cache to
// the swap cache, its swap entry taking its place in the radix tree, and
// write it to swap. Without swap, for a locked inode, or outside reclaim
// the page is redirtied (and, for reclaim, kept locked and activated).
//
// Model: fallocated pages are not modeled, so a page that is not up to
// date is simply zeroed.
func (s *System) shmemWritepage(pfn uint64, wbc *WritebackControl) int {
	s.Cover("shmem_writepage")
	p := &s.pages[pfn]
	if !p.PageLocked() {
		s.bug("mm/shmem.c", 730)
	}
	m := s.mappings[p.mapping>>1]
	info := shmemI(m)
	redirty := func() int {
		s.SetPageDirty(pfn)
		if wbc.ForReclaim {
			return AOP_WRITEPAGE_ACTIVATE // return with page locked
		}
		s.unlockPage(pfn)
		return 0
	}
	if info.flags&VM_LOCKED != 0 || s.swap.totalSwapPages == 0 {
		return redirty()
	}
	if !wbc.ForReclaim {
		s.warnOnOnce(true, "mm/shmem.c", 748)
		return redirty()
	}
	if !p.testFlag(PG_uptodate) {
		p.data = 0 // clear_highpage
		p.setFlag(PG_uptodate)
	}
	swap, ok := s.getSwapPage()
	if !ok {
		return redirty()
	}
	// Join shmem_unuse()'s list before the page leaves the page cache.
	if !info.onSwaplist {
		s.swap.shmemSwaplist = append(s.swap.shmemSwaplist, info)
		info.onSwaplist = true
	}
	if s.addToSwapCache(pfn, swap, GFP_ATOMIC) == 0 {
		s.swapShmemAlloc(swap)
		s.shmemDeleteFromPageCache(pfn, swpToRadixEntry(swap))
		info.swapped++
		s.shmemRecalcInode(info)
		if p.mapcount > 0 {
			s.bug("mm/shmem.c", 810)
		}
		s.swapWritepage(pfn, wbc)
		return 0
	}
	s.swapcacheFree(swap)
	return redirty()
}

// shmemSwapin is shmem_swapin(): swapin_readahead with the inode's
// (default) policy.
func (s *System) shmemSwapin(swap swpEntry, gfp GFP, info *ShmemInodeInfo, index uint64) (uint64, bool) {
	return s.swapinReadahead(swap, gfp, nil, 0)
}

// shmemAllocPage is shmem_alloc_page(): alloc_page_vma with the inode's
// (default) policy.
func (s *System) shmemAllocPage(gfp GFP, info *ShmemInodeInfo, index uint64) (uint64, bool) {
	return s.allocPageVMA(gfp, nil, 0)
}

// shmemShouldReplacePage is shmem_should_replace_page(): the swapped-in
// page lies in a zone the mapping may not use.
func (s *System) shmemShouldReplacePage(pfn uint64, gfp GFP) bool {
	return s.pages[pfn].pageZonenum() > gfpZone(gfp)
}

// shmemReplacePage is shmem_replace_page(): copy a swap-cache page the
// mapping cannot use into one it can, in the swap cache's place.
func (s *System) shmemReplacePage(pfnp *uint64, gfp GFP, info *ShmemInodeInfo, index uint64) int {
	s.Cover("shmem_replace_page")
	oldpfn := *pfnp
	old := &s.pages[oldpfn]
	swapIndex := old.private
	newpfn, ok := s.shmemAllocPage(gfp&^(GFP_HARDWALL|GFP_THISNODE_), info, index)
	if !ok {
		return errnoENOMEM
	}
	np := &s.pages[newpfn]
	s.GetPage(newpfn)
	np.data = old.data // copy_highpage
	np.setFlag(PG_locked)
	np.setFlag(PG_uptodate)
	np.setFlag(PG_swapbacked)
	np.private = swapIndex
	np.setFlag(PG_swapcache)
	err := s.shmemRadixTreeReplace(s.swapperSpace, swapIndex, PFNToRadixEntry(oldpfn), PFNToRadixEntry(newpfn))
	if err == 0 {
		s.PageZone(np).__incZoneState(NR_FILE_PAGES)
		s.PageZone(old).__decZoneState(NR_FILE_PAGES)
		s.lruCacheAddAnon(newpfn)
		*pfnp = newpfn
	} else {
		oldpfn, old = newpfn, np
	}
	old.clearFlag(PG_swapcache)
	old.private = 0
	s.unlockPage(oldpfn)
	s.PutPage(oldpfn)
	s.PutPage(oldpfn)
	return err
}

// findLockEntry is find_lock_entry() (mm/filemap.c): the page at offset,
// locked and referenced, or the exceptional entry there.
func (s *System) findLockEntry(m *AddressSpace, offset uint64) (uint64, bool) {
	s.Cover("find_lock_entry")
	for {
		e, ok := s.findGetEntry(m, offset)
		if !ok || RadixTreeExceptionalEntry(e) {
			return e, ok
		}
		pfn := RadixEntryToPFN(e)
		s.lockPage(pfn)
		if s.pages[pfn].mapping != m.handle() {
			s.unlockPage(pfn)
			s.PutPage(pfn)
			continue
		}
		return e, true
	}
}

// shmemGetpage is shmem_getpage(): shmem_getpage_gfp with the mapping's
// gfp mask.
func (s *System) shmemGetpage(m *AddressSpace, index uint64, sgp int, faultType *int) (uint64, bool, int) {
	return s.shmemGetpageGfp(m, index, sgp, m.GFPMask, faultType)
}

// shmemGetpageGfp is shmem_getpage_gfp(): the page at index, locked and
// referenced: from the page cache, else read back from swap (the swap
// entry in the tree gives way to the page, which leaves the swap cache
// dirty and frees its swap), else newly allocated (PageSwapBacked, on the
// anon LRU). SGP_READ does not allocate (a hole returns no page).
// Returns (pfn, true, 0), (0, false, 0) for a hole, or an errno.
func (s *System) shmemGetpageGfp(m *AddressSpace, index uint64, sgp int, gfp GFP, faultType *int) (uint64, bool, int) {
	s.Cover("shmem_getpage_gfp")
	if index > uint64(MAX_LFS_FILESIZE)>>PAGE_SHIFT {
		return 0, false, -27 // -EFBIG
	}
	info := shmemI(m)
	once := false
	beyondEOF := func() bool {
		return sgp != SGP_WRITE && sgp != SGP_FALLOC && int64(index<<PAGE_SHIFT) >= m.Host.ISize()
	}
	for {
		var swap swpEntry
		var pfn uint64
		have := false
		errv := 0
		alloced := false
		e, ok := s.findLockEntry(m, index)
		if ok && RadixTreeExceptionalEntry(e) {
			swap = radixToSwpEntry(e)
		} else if ok {
			pfn, have = RadixEntryToPFN(e), true
		}
		// What follows ends in one of: success, or an error with the
		// kernel's unwinding labels (trunc, decused, failed, unlock).
		label := ""
		clear := false
		switch {
		case beyondEOF():
			errv, label = errnoEINVAL, "failed"
		default:
			if have && sgp == SGP_WRITE {
				s.MarkPageAccessed(pfn)
			}
			// A fallocated page?
			if have && !s.pages[pfn].testFlag(PG_uptodate) {
				if sgp != SGP_READ {
					clear = true
					break
				}
				s.unlockPage(pfn)
				s.PutPage(pfn)
				have = false
			}
			if have || (sgp == SGP_READ && swap.val() == 0) {
				return pfn, have, 0
			}
			if swap.val() != 0 {
				errv, label = s.shmemSwapinLocked(m, info, index, swap, sgp, gfp, faultType, &pfn, &have)
				break
			}
			if info.sb.maxBlocks != 0 {
				if info.sb.usedBlocks >= info.sb.maxBlocks {
					errv, label = -28, "failed" // -ENOSPC (unacct)
					break
				}
				info.sb.usedBlocks++
			}
			npfn, ok := s.shmemAllocPage(gfp, info, index)
			if !ok {
				errv, label = errnoENOMEM, "decused"
				break
			}
			np := &s.pages[npfn]
			np.setFlag(PG_swapbacked) // __SetPageSwapBacked
			np.setFlag(PG_locked)     // __set_page_locked
			pfn, have = npfn, true
			if sgp == SGP_WRITE {
				np.setFlag(PG_referenced) // init_page_accessed
			}
			if err := s.shmemAddToPageCache(npfn, m, index, gfp, 0); err != 0 {
				errv, label = err, "decused"
				break
			}
			s.lruCacheAddAnon(npfn)
			info.alloced++
			info.iBlocks += BLOCKS_PER_PAGE
			s.shmemRecalcInode(info)
			alloced = true
			if sgp == SGP_FALLOC {
				sgp = SGP_WRITE
			}
			clear = true
		}
		if label == "" && clear {
			// clear: the SGP_WRITE caller clears what its write does not
			// fill; everyone else gets a zeroed, up-to-date page.
			if sgp != SGP_WRITE {
				s.pages[pfn].data = 0 // clear_highpage
				s.pages[pfn].setFlag(PG_uptodate)
			}
			if sgp == SGP_DIRTY {
				s.SetPageDirty(pfn)
			}
		}
		if label == "" {
			// Perhaps the file has been truncated since we checked.
			if !beyondEOF() {
				return pfn, true, 0
			}
			errv, label = errnoEINVAL, "failed"
			if alloced {
				label = "trunc"
			}
		}
		switch label {
		case "trunc":
			s.pages[pfn].clearFlag(PG_dirty)
			s.DeleteFromPageCache(pfn)
			info.alloced--
			info.iBlocks -= BLOCKS_PER_PAGE
			fallthrough
		case "decused":
			if info.sb.maxBlocks != 0 {
				info.sb.usedBlocks--
			}
			fallthrough
		case "failed":
			if swap.val() != 0 && errv != errnoEINVAL && !s.shmemConfirmSwap(m, index, swap) {
				errv = errnoEEXIST
			}
		}
		// unlock:
		if have {
			s.unlockPage(pfn)
			s.PutPage(pfn)
		}
		if errv == -28 && !once {
			once = true
			s.shmemRecalcInode(info)
			continue
		}
		if errv == errnoEEXIST {
			continue
		}
		return 0, false, errv
	}
}

// shmemSwapinLocked is the swap half of shmem_getpage_gfp(): read the
// entry's page (a major fault if it was not cached), lock it, check that
// it still stands for the entry, and move it from the swap cache into the
// page cache. On success *pfn is the locked page and label is ""; else
// the errno and the label to unwind from.
func (s *System) shmemSwapinLocked(m *AddressSpace, info *ShmemInodeInfo, index uint64, swap swpEntry, sgp int, gfp GFP, faultType *int, pfn *uint64, have *bool) (int, string) {
	page, ok := s.lookupSwapCache(swap)
	if !ok {
		if faultType != nil {
			*faultType |= VM_FAULT_MAJOR
		}
		if page, ok = s.shmemSwapin(swap, gfp, info, index); !ok {
			return errnoENOMEM, "failed"
		}
	}
	*pfn, *have = page, true
	s.lockPage(page)
	p := &s.pages[page]
	if !p.PageSwapCache() || p.private != swap.val() || !s.shmemConfirmSwap(m, index, swap) {
		return errnoEEXIST, "unlock" // try again
	}
	if !p.testFlag(PG_uptodate) {
		return -5, "failed" // -EIO
	}
	s.WaitOnPageWriteback(page)
	if s.shmemShouldReplacePage(page, gfp) {
		if err := s.shmemReplacePage(pfn, gfp, info, index); err != 0 {
			return err, "failed"
		}
		page = *pfn
	}
	if err := s.shmemAddToPageCache(page, m, index, gfp, swpToRadixEntry(swap)); err != 0 {
		// Truncated or hole-punched since the swap was confirmed.
		s.deleteFromSwapCache(page)
		return err, "failed"
	}
	info.swapped--
	s.shmemRecalcInode(info)
	if sgp == SGP_WRITE {
		s.MarkPageAccessed(page)
	}
	s.deleteFromSwapCache(page)
	s.SetPageDirty(page)
	s.swapFree(swap)
	return 0, ""
}

// shmemWriteBegin is shmem_write_begin(): the page at pos, locked, to
// copy into.
//
// Model: data tokens stand for whole-page contents; a page that is not up
// to date gets the token of zeroes here, standing for shmem_write_end's
// zeroing of whatever the copy does not fill.
func (s *System) shmemWriteBegin(m *AddressSpace, pos int64, length int) (uint64, error) {
	s.Cover("shmem_write_begin")
	pfn, _, err := s.shmemGetpage(m, uint64(pos)>>PAGE_SHIFT, SGP_WRITE, nil)
	if err != 0 {
		return 0, errnoError(err)
	}
	if !s.pages[pfn].testFlag(PG_uptodate) {
		s.pages[pfn].data = 0
	}
	return pfn, nil
}

// iSizeWriter is the host's i_size_write().
type iSizeWriter interface{ SetISize(int64) }

// shmemWriteEnd is shmem_write_end(): grow i_size, mark the page up to
// date and dirty, unlock and release it.
func (s *System) shmemWriteEnd(m *AddressSpace, pos int64, length, copied int, pfn uint64) int {
	s.Cover("shmem_write_end")
	if end := pos + int64(copied); end > m.Host.ISize() {
		if w, ok := m.Host.(iSizeWriter); ok {
			w.SetISize(end)
		}
	}
	p := &s.pages[pfn]
	if !p.testFlag(PG_uptodate) {
		p.setFlag(PG_uptodate)
	}
	s.SetPageDirty(pfn)
	s.unlockPage(pfn)
	s.PutPage(pfn)
	return copied
}

// ShmemFileRead is shmem_file_read_iter(): page by page up to i_size,
// shmem_getpage(SGP_READ) (swapping in what is in swap), a hole reading
// as the zero page; a page read from its start is marked accessed. It
// returns each copy's page index and content token (PageRead): i_size is
// read for each page without i_mutex, so a read that a truncate stopped
// inside a page goes on in that page if the file grew meanwhile.
func (s *System) ShmemFileRead(m *AddressSpace, pos, length int64) ([]PageRead, error) {
	s.Cover("shmem_file_read_iter")
	var tokens []PageRead
	index := uint64(pos) >> PAGE_SHIFT
	offset := pos & (PAGE_SIZE - 1)
	for length > 0 {
		isize := m.Host.ISize()
		endIndex := uint64(isize) >> PAGE_SHIFT
		if index > endIndex {
			break
		}
		if index == endIndex && isize&(PAGE_SIZE-1) <= offset {
			break
		}
		pfn, have, err := s.shmemGetpage(m, index, SGP_READ, nil)
		if err != 0 {
			if err == errnoEINVAL {
				break
			}
			if len(tokens) > 0 {
				break // what was copied is returned, not the error
			}
			return tokens, errnoError(err)
		}
		if have {
			s.unlockPage(pfn)
		}
		nr := int64(PAGE_SIZE)
		isize = m.Host.ISize()
		endIndex = uint64(isize) >> PAGE_SHIFT
		if index == endIndex {
			nr = isize & (PAGE_SIZE - 1)
			if nr <= offset {
				if have {
					s.PutPage(pfn)
				}
				break
			}
		}
		nr -= offset
		token := uint64(0) // ZERO_PAGE(0)
		if have {
			if offset == 0 {
				s.MarkPageAccessed(pfn)
			}
			token = s.pages[pfn].data
		}
		n := min(nr, length)
		tokens = append(tokens, PageRead{index, token, n})
		offset += n
		index += uint64(offset >> PAGE_SHIFT)
		offset &= PAGE_SIZE - 1
		if have {
			s.PutPage(pfn)
		}
		length -= n
		s.condResched()
	}
	return tokens, nil
}

// errnoError turns a negative errno into the error the VFS maps.
func errnoError(errno int) error {
	switch errno {
	case -5:
		return errorString("EIO")
	case -27:
		return errorString("EFBIG")
	case -28:
		return errorString("ENOSPC")
	case errnoENOMEM:
		return errorString("ENOMEM")
	case errnoEINVAL:
		return errorString("EINVAL")
	}
	return errorString("EIO")
}

// shmemFault is shmem_fault(), shmem_vm_ops.fault: the page at pgoff,
// from the page cache, swap, or newly allocated (SGP_CACHE), returned
// locked; reading it from swap is a major fault.
//
// Model: the fallocate hole-punch wait is not modeled (no fallocate).
func (s *System) shmemFault(v *VMArea, pgoff uint64, flags int) (uint64, int) {
	s.Cover("shmem_fault")
	ret := VM_FAULT_LOCKED
	pfn, _, err := s.shmemGetpage(v.File.Mapping, pgoff, SGP_CACHE, &ret)
	if err != 0 {
		if err == errnoENOMEM {
			return 0, VM_FAULT_OOM
		}
		return 0, VM_FAULT_SIGBUS
	}
	if ret&VM_FAULT_MAJOR != 0 {
		s.countVMEvent(PGMAJFAULT)
	}
	return pfn, ret
}
