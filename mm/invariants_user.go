// SPDX-License-Identifier: GPL-2.0-only

package mm

import "fmt"

// Invariants of the memory users: LRU lists, page tables, rmap and
// reference counts. checkUserInvariants runs as part of CheckInvariants.
//
// Rules checked:
//   - PG_lru holds exactly for pages on an LRU list, and each is on the list
//     page_lru() names, in its own zone; the NR_*_ANON/FILE/UNEVICTABLE
//     counters equal the list lengths (per-CPU deltas included).
//   - _mapcount equals the number of PTEs, in all live address spaces, that
//     map the frame; NR_ANON_PAGES and NR_FILE_MAPPED equal a recount.
//   - an anonymous page's _count equals its mapcount plus the pagevec slots
//     holding it, plus one if it is in the swap cache (the references the
//     model knows of for anon pages).
//   - every anonymous page is PageSwapBacked.
//   - each address space's MM_ANONPAGES rss equals its PTEs mapping anon
//     pages; NR_PAGETABLE equals the PTE-table pages in use.
func (s *System) checkUserInvariants(bad func(format string, args ...any)) {
	mapped := map[uint64]int32{}
	var ptePages int64
	for _, m := range s.mmList {
		var anon int64
		s.walkTables(m, func(level ptLevel, pfn uint64) {
			if level == levelPTE {
				ptePages++
			}
		})
		for _, v := range m.vmas {
			m.walkPTEs(v.Start, v.End, func(addr uint64, e *pte) {
				if !e.present() {
					return
				}
				pfn, ok := s.vmNormalPage(v, addr, *e)
				if !ok {
					return
				}
				if !s.pfnValid(pfn) || s.pages[pfn].count <= 0 {
					bad("mm %d %#x maps pfn %#x which is not in use", m.ID, addr, pfn)
					return
				}
				mapped[pfn]++
				if s.pages[pfn].PageAnon() {
					anon++
				}
			})
		}
		if anon != m.rss[MM_ANONPAGES] {
			bad("mm %d MM_ANONPAGES %d but %d PTEs map anon pages", m.ID, m.rss[MM_ANONPAGES], anon)
		}
	}
	inPvec := map[uint64]int32{}
	for cpu := range s.pvecs {
		pv := &s.pvecs[cpu]
		for _, vec := range []*pagevec{&pv.lruAdd, &pv.lruRotate, &pv.lruDeactivate, &pv.activate} {
			for i := 0; i < vec.nr; i++ {
				inPvec[vec.pages[i]]++
			}
		}
	}
	onLRU := map[uint64]bool{}
	var anonPages, fileMapped [MAX_NR_ZONES * (1 << NODES_SHIFT)]int64
	for _, z := range s.zones {
		if !z.populatedZone() {
			continue
		}
		for lru := 0; lru < NR_LRU_LISTS; lru++ {
			n := int64(0)
			h := z.lruvec.lists[lru]
			for p := s.listFirst(h); p != uint32(h); p = s.listNext(p) {
				n++
				pfn := uint64(p)
				pg := &s.pages[pfn]
				onLRU[pfn] = true
				if !pg.PageLRU() {
					bad("pfn %#x on %s %s list without PG_lru", pfn, z.Name, lruNames[lru])
				}
				if pg.pageLRU() != lru {
					bad("pfn %#x on %s list but page_lru() says %s (flags %s)", pfn, lruNames[lru], lruNames[pg.pageLRU()], FlagNames(pg.flags))
				}
				if s.pfnZone(pfn) != z {
					bad("pfn %#x on zone %s's LRU belongs to %s", pfn, z.Name, s.pfnZone(pfn).Name)
				}
			}
			if snap := z.zonePageStateRaw(NR_LRU_BASE + ZoneStatItem(lru)); snap != n {
				bad("%s %s counter %d but the list holds %d", z.Name, lruNames[lru], snap, n)
			}
		}
	}
	for _, z := range s.zones {
		if !z.populatedZone() {
			continue
		}
		zi := z.node.ID*MAX_NR_ZONES + z.idx
		for pfn := z.zoneStartPFN; pfn < z.zoneEndPFN(); pfn++ {
			if !s.pfnValid(pfn) {
				continue
			}
			pg := &s.pages[pfn]
			if s.isBadLeaked(pfn) {
				continue // bad_page left its fields as they were
			}
			if pg.PageLRU() && !onLRU[pfn] {
				bad("pfn %#x has PG_lru but is on no LRU list", pfn)
			}
			if pg.PageReserved() || pg.PageBuddy() {
				continue
			}
			if want := mapped[pfn]; pg.mapcount != want && !s.isZeroPFN(pfn) {
				bad("pfn %#x mapcount %d but %d PTEs map it", pfn, pg.mapcount, want)
			}
			if pg.mapcount > 0 {
				if pg.PageAnon() {
					anonPages[zi]++
				} else {
					fileMapped[zi]++
				}
			}
			if pg.PageAnon() {
				if !pg.PageSwapBacked() {
					bad("anon pfn %#x without PG_swapbacked", pfn)
				}
				if want := pg.mapcount + inPvec[pfn] + b2i32(pg.PageSwapCache()) + s.userPins[pfn]; pg.count != want {
					bad("anon pfn %#x _count %d but %d PTEs, %d pagevec slots, %d user pins and swapcache %v hold it", pfn, pg.count, pg.mapcount, inPvec[pfn], s.userPins[pfn], pg.PageSwapCache())
				}
			}
		}
		if snap := z.zonePageStateRaw(NR_ANON_PAGES); snap != anonPages[zi] {
			bad("%s NR_ANON_PAGES %d but %d anon pages are mapped", z.Name, snap, anonPages[zi])
		}
		if snap := z.zonePageStateRaw(NR_FILE_MAPPED); snap != fileMapped[zi] {
			bad("%s NR_FILE_MAPPED %d but %d file pages are mapped", z.Name, snap, fileMapped[zi])
		}
	}
	var nrPagetable int64
	for _, z := range s.zones {
		if z.populatedZone() {
			nrPagetable += z.zonePageStateRaw(NR_PAGETABLE)
		}
	}
	if nrPagetable != ptePages {
		bad("NR_PAGETABLE %d but %d PTE tables are in use", nrPagetable, ptePages)
	}
}

// walkTables calls fn for every page-table frame of m below the pgd.
func (s *System) walkTables(m *MMStruct, fn func(level ptLevel, pfn uint64)) {
	var walk func(t ptTable, level ptLevel)
	walk = func(t ptTable, level ptLevel) {
		if level == levelPTE {
			return
		}
		for _, e := range s.entries(t) {
			if e.none() {
				continue
			}
			fn(level+1, e.pfn())
			walk(s.tableOf(e), level+1)
		}
	}
	walk(m.pgd, levelPGD)
}

// String describes an address space for reports.
func (m *MMStruct) String() string { return fmt.Sprintf("mm %d (%d VMAs)", m.ID, len(m.vmas)) }
