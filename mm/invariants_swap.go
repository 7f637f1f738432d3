// SPDX-License-Identifier: GPL-2.0-only

package mm

import "slices"

// Invariants of swap, the swap cache and shmem. checkSwapInvariants runs as
// part of CheckInvariants.
//
// Rules checked:
//   - a PageSwapCache page is PageSwapBacked, its page->private names a
//     slot of an area in use whose swap_map has SWAP_HAS_CACHE, and the swap
//     cache's tree holds that frame at that entry; the tree holds only such
//     pages, and its count equals nrpages;
//   - a slot has SWAP_HAS_CACHE exactly when the swap cache holds a page for
//     it; its count equals the swap PTEs referencing it in the page tables
//     of all live address spaces, or is SWAP_MAP_SHMEM with exactly one
//     shmem radix-tree entry and no PTE; the header slot is SWAP_MAP_BAD;
//     every swap PTE and shmem swap entry references a slot in use;
//   - each area's inuse_pages equals its used slots, its free slots lie
//     between lowest_bit and highest_bit, and it is on the available list
//     exactly when it is writable and not full; nr_swap_pages equals the
//     free slots and total_swap_pages the slots of the writable areas;
//   - each address space's MM_SWAPENTS equals its swap PTEs, and one
//     with any is on init_mm.mmlist;
//   - PageSwapBacked holds exactly for anon pages, swap-cache pages, shmem
//     pages, and pages orphaned from those (no mapping, not mapped); shmem
//     pages are PageSwapBacked;
//   - a swap-cache page that is not anon (shmem's, or read ahead) has
//     _count 1 (the cache) plus its pagevec slots;
//   - NR_SHMEM equals the swap-backed pages in page caches; each shmem
//     inode's swapped equals its swap entries, alloced is at least its pages
//     plus swapped, i_blocks is alloced in 512-byte blocks, an inode with
//     swap is on shmem_swaplist, and a limited mount's used_blocks is the
//     sum of its inodes' alloced.
func (s *System) checkSwapInvariants(bad func(format string, args ...any)) {
	sw := &s.swap
	// Every slot reference: swap PTEs per entry value, shmem entries.
	ptes := map[uint64]int{}
	for _, m := range s.mmList {
		var swapents int64
		for _, v := range m.vmas {
			m.walkPTEs(v.Start, v.End, func(addr uint64, e *pte) {
				if e.present() || e.none() {
					return
				}
				entry := pteToSwpEntry(*e)
				if nonSwapEntry(entry) {
					return
				}
				swapents++
				ptes[entry.val()]++
			})
		}
		if swapents != m.rss[MM_SWAPENTS] {
			bad("mm %d MM_SWAPENTS %d but %d PTEs hold swap entries", m.ID, m.rss[MM_SWAPENTS], swapents)
		}
		if swapents != 0 && !m.onMMList {
			bad("mm %d holds %d swap entries but is not on init_mm.mmlist: swapoff would miss them", m.ID, swapents)
		}
	}
	shmemRefs := map[uint64]int{}
	var shmemPages [MAX_NR_ZONES * (1 << NODES_SHIFT)]int64
	zi := func(pfn uint64) int {
		p := &s.pages[pfn]
		return p.pageToNid()*MAX_NR_ZONES + p.pageZonenum()
	}
	used := map[*ShmemSbInfo]int64{}
	var sbs []*ShmemSbInfo
	var items []RadixItem
	for _, m := range s.mappings {
		if m == nil {
			continue
		}
		a, isShmem := m.Ops.(*shmemAops)
		var swapped int64
		items = m.tree.GangLookup(items[:0], 0, int(m.tree.Count())+1)
		for _, it := range items {
			if RadixTreeExceptionalEntry(it.Entry) {
				if isShmem {
					swapped++
					shmemRefs[radixToSwpEntry(it.Entry).val()]++
				}
				continue
			}
			pfn := RadixEntryToPFN(it.Entry)
			p := &s.pages[pfn]
			if p.PageSwapBacked() {
				shmemPages[zi(pfn)]++
			}
			if isShmem && !p.PageSwapBacked() {
				bad("shmem pfn %#x (mapping %d index %d) without PG_swapbacked", pfn, m.id, it.Index)
			}
		}
		if !isShmem {
			continue
		}
		info := a.info
		if swapped != info.swapped {
			bad("shmem mapping %d: info->swapped %d but its tree holds %d swap entries", m.id, info.swapped, swapped)
		}
		if info.alloced < int64(m.nrpages)+info.swapped {
			bad("shmem mapping %d: alloced %d below nrpages %d + swapped %d", m.id, info.alloced, m.nrpages, info.swapped)
		}
		if info.iBlocks != info.alloced*BLOCKS_PER_PAGE {
			bad("shmem mapping %d: i_blocks %d but alloced %d pages", m.id, info.iBlocks, info.alloced)
		}
		if info.swapped > 0 && !info.onSwaplist {
			bad("shmem mapping %d has %d pages in swap but is not on shmem_swaplist", m.id, info.swapped)
		}
		if _, seen := used[info.sb]; !seen {
			sbs = append(sbs, info.sb)
		}
		used[info.sb] += info.alloced
	}
	for _, sb := range sbs {
		if n := used[sb]; sb.maxBlocks != 0 && sb.usedBlocks != n {
			bad("tmpfs used_blocks %d but its inodes have %d pages allocated", sb.usedBlocks, n)
		}
	}
	onList := map[*ShmemInodeInfo]bool{}
	for _, info := range sw.shmemSwaplist {
		if onList[info] || !info.onSwaplist {
			bad("shmem_swaplist entry listed twice or not marked")
		}
		onList[info] = true
	}

	// The swap cache's tree.
	cached := map[uint64]uint64{}
	if sc := s.swapperSpace; sc != nil {
		items = sc.tree.GangLookup(items[:0], 0, int(sc.tree.Count())+1)
		for _, it := range items {
			if RadixTreeExceptionalEntry(it.Entry) {
				bad("swap cache holds an exceptional entry at %#x", it.Index)
				continue
			}
			pfn := RadixEntryToPFN(it.Entry)
			p := &s.pages[pfn]
			if !p.PageSwapCache() || p.private != it.Index {
				bad("swap cache at %#x holds pfn %#x with swapcache %v private %#x", it.Index, pfn, p.PageSwapCache(), p.private)
			}
			if p.count <= 0 || p.PageBuddy() {
				bad("swap cache at %#x holds free pfn %#x", it.Index, pfn)
			}
			cached[it.Index] = pfn
		}
		if uint64(len(items)) != sc.nrpages {
			bad("swap cache nrpages %d but its tree holds %d pages", sc.nrpages, len(items))
		}
	}

	// The swap areas.
	var free, total int64
	for t := 0; t < sw.nrSwapfiles; t++ {
		si := sw.info[t]
		if si.flags&SWP_USED == 0 || si.swapMap == nil {
			continue
		}
		if si.flags&SWP_WRITEOK != 0 {
			free += int64(si.pages - si.inusePages)
			total += int64(si.pages)
		}
		if (si.flags&SWP_WRITEOK != 0 && si.inusePages < si.pages) != plistOn(sw.avail, si) {
			bad("swap area %d: on avail list %v but writeok %v, %d of %d in use", t, plistOn(sw.avail, si), si.flags&SWP_WRITEOK != 0, si.inusePages, si.pages)
		}
		if si.swapMap[0] != SWAP_MAP_BAD {
			bad("swap area %d: header slot swap_map %#x", t, si.swapMap[0])
		}
		var inuse uint64
		for off := uint64(1); off < si.max; off++ {
			c := si.swapMap[off]
			val := swpEntry{Type: t, Offset: off}.val()
			_, inCache := cached[val]
			if c != 0 {
				inuse++
			} else if si.inusePages < si.pages && (off < si.lowestBit || off > si.highestBit) {
				bad("swap area %d: free slot %d outside lowest_bit %d .. highest_bit %d", t, off, si.lowestBit, si.highestBit)
			}
			if (c&SWAP_HAS_CACHE != 0) != inCache {
				bad("swap area %d slot %d: swap_map %#x but swap cache page present %v", t, off, c, inCache)
			}
			n, sh := ptes[val], shmemRefs[val]
			switch {
			case swapCount(c) == SWAP_MAP_SHMEM:
				if sh != 1 || n != 0 {
					bad("swap area %d slot %d: SWAP_MAP_SHMEM but %d shmem entries and %d PTEs reference it", t, off, sh, n)
				}
			case int(swapCount(c)) != n || sh != 0:
				bad("swap area %d slot %d: swap_map count %d but %d PTEs and %d shmem entries reference it", t, off, swapCount(c), n, sh)
			}
			delete(ptes, val)
			delete(shmemRefs, val)
		}
		if inuse != si.inusePages {
			bad("swap area %d: inuse_pages %d but %d slots are in use", t, si.inusePages, inuse)
		}
		if si.pages != si.max-1 {
			bad("swap area %d: pages %d but max %d", t, si.pages, si.max)
		}
	}
	for _, val := range sortedKeys(ptes) {
		bad("%d PTEs hold swap entry %#x of no swap area in use", ptes[val], val)
	}
	for _, val := range sortedKeys(shmemRefs) {
		bad("a shmem file holds swap entry %#x of no swap area in use", val)
	}
	for _, val := range sortedKeys(cached) {
		if e := swpEntryFromVal(val); e.Type >= sw.nrSwapfiles || sw.info[e.Type].swapMap == nil || e.Offset >= sw.info[e.Type].max {
			bad("swap cache holds pfn %#x for entry %#x of no swap area in use", cached[val], val)
		}
	}
	if free != sw.nrSwapPages {
		bad("nr_swap_pages %d but writable swap areas have %d free slots", sw.nrSwapPages, free)
	}
	if total != sw.totalSwapPages {
		bad("total_swap_pages %d but writable swap areas have %d slots", sw.totalSwapPages, total)
	}

	// Frames: PageSwapCache and PageSwapBacked.
	inPvec := map[uint64]int32{}
	for cpu := range s.pvecs {
		pv := &s.pvecs[cpu]
		for _, vec := range []*pagevec{&pv.lruAdd, &pv.lruRotate, &pv.lruDeactivate, &pv.activate} {
			for i := 0; i < vec.nr; i++ {
				inPvec[vec.pages[i]]++
			}
		}
	}
	for _, z := range s.zones {
		if !z.populatedZone() {
			continue
		}
		for pfn := z.zoneStartPFN; pfn < z.zoneEndPFN(); pfn++ {
			if !s.pfnValid(pfn) || s.isBadLeaked(pfn) {
				continue
			}
			p := &s.pages[pfn]
			if p.PageReserved() || p.PageBuddy() || p.count <= 0 {
				continue
			}
			if p.PageSwapCache() {
				if !p.PageSwapBacked() {
					bad("swap-cache pfn %#x without PG_swapbacked", pfn)
				}
				if got, ok := cached[p.private]; !ok || got != pfn {
					bad("swap-cache pfn %#x (entry %#x) is not in the swap cache's tree", pfn, p.private)
				}
				if !p.PageAnon() {
					if want := 1 + inPvec[pfn] + s.userPins[pfn]; p.count != want && p.mapcount == 0 {
						bad("swap-cache pfn %#x _count %d but the cache, %d pagevec slots and %d user pins hold it", pfn, p.count, inPvec[pfn], s.userPins[pfn])
					}
				}
			}
			if p.PageSwapBacked() && !p.PageAnon() && !p.PageSwapCache() {
				if p.mapping == 0 {
					if p.mapcount > 0 {
						bad("pfn %#x is PageSwapBacked, mapped, with no mapping", pfn)
					}
				} else if m := s.mappings[p.mapping>>1]; m == nil || m.BDI.Capabilities&BDI_CAP_SWAP_BACKED == 0 {
					bad("pfn %#x is PageSwapBacked but its mapping is not swap-backed (flags %s)", pfn, FlagNames(p.flags))
				}
			}
		}
		i := z.node.ID*MAX_NR_ZONES + z.idx
		if got := z.zonePageStateRaw(NR_SHMEM); got != shmemPages[i] {
			bad("%s NR_SHMEM %d but page caches hold %d swap-backed pages", z.Name, got, shmemPages[i])
		}
	}
}

// sortedKeys returns a map's keys in increasing order, so that reports do
// not depend on map iteration order.
func sortedKeys[V any](m map[uint64]V) []uint64 {
	keys := make([]uint64, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// b2i32 is a bool as an int32 count.
func b2i32(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
