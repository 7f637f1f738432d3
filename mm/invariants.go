// SPDX-License-Identifier: GPL-2.0-only

package mm

import "fmt"

// The invariant checker (DESIGN §7): stronger than CONFIG_DEBUG_VM, run at
// any time, it recounts everything the allocator keeps incrementally and
// checks that every frame is in exactly one state.

// frameState is what the checker finds a frame to be.
type frameState uint8

const (
	stateUnseen   frameState = iota
	stateReserved            // PG_reserved, never handed to the allocator
	stateBuddy               // part of a free block on a buddy free list
	statePcp                 // on a per-CPU page list
	stateInUse               // allocated: referenced, or a compound tail
	stateLeaked              // taken out of circulation by bad_page
)

// maxInvariantReports bounds CheckInvariants' answer: one broken
// structure can break an invariant for every page, and a report that size
// helps nobody; a few thousand still show every stray page of a scenario.
const maxInvariantReports = 4096

// CheckInvariants returns every violation found (up to
// maxInvariantReports), empty when all hold.
func (s *System) CheckInvariants() []string {
	var errs []string
	bad := func(format string, args ...any) {
		if len(errs) < maxInvariantReports {
			errs = append(errs, fmt.Sprintf(format, args...))
		}
	}
	state := make([]frameState, s.maxPFN)
	var globalFromZones [NR_VM_ZONE_STAT_ITEMS]int64

	for _, z := range s.zones {
		for i := range z.vmStat {
			globalFromZones[i] += z.vmStat[i]
		}
		if !z.populatedZone() {
			continue
		}
		var buddyPages int64
		// Free lists: each entry is a PageBuddy head of its order, in this
		// zone, aligned, not overlapping anything else.
		for o := 0; o < MAX_ORDER; o++ {
			var n uint64
			for mt := 0; mt < MIGRATE_TYPES; mt++ {
				h := z.freeArea[o].freeList[mt]
				for p := s.listFirst(h); p != uint32(h); p = s.listNext(p) {
					n++
					pfn := uint64(p)
					pg := &s.pages[pfn]
					if !pg.PageBuddy() {
						bad("pfn %#x on %s free_list[%d][%s] without PageBuddy", pfn, z.Name, o, migratetypeNames[mt])
					} else if pg.pageOrder() != uint(o) {
						bad("pfn %#x on free_list order %d has page_order %d", pfn, o, pg.pageOrder())
					}
					if pfn&(1<<uint(o)-1) != 0 {
						bad("pfn %#x on free_list order %d is not aligned", pfn, o)
					}
					// No check of the freepage migratetype: expand()
					// does not set it on the halves it splits off, so
					// in v3.16 it is stale on most free blocks.
					for i := pfn; i < pfn+1<<uint(o) && i < s.maxPFN; i++ {
						if state[i] != stateUnseen {
							bad("pfn %#x in free block %#x order %d is also in state %d", i, pfn, o, state[i])
						}
						state[i] = stateBuddy
						if s.pfnZone(i) != z || !z.zoneSpansPFN(i) {
							bad("pfn %#x in free block %#x lies outside zone %s", i, pfn, z.Name)
						}
						if q := &s.pages[i]; i != pfn && (q.PageBuddy() || q.count != 0 || q.mapcount != 0) {
							bad("pfn %#x inside free block %#x: count %d mapcount %d", i, pfn, q.count, q.mapcount)
						}
					}
					buddyPages += 1 << uint(o)
				}
			}
			if n != z.freeArea[o].nrFree {
				bad("%s free_area[%d].nr_free %d but lists hold %d blocks", z.Name, o, z.freeArea[o].nrFree, n)
			}
		}
		// NR_FREE_PAGES counts buddy pages only, pcp pages are allocated
		// as far as it is concerned; compare with the snapshot that
		// includes the per-CPU differentials.
		if snap := z.zonePageStateRaw(NR_FREE_PAGES); snap != buddyPages {
			bad("%s NR_FREE_PAGES (with per-cpu deltas) %d but buddy lists hold %d pages", z.Name, snap, buddyPages)
		}
		for cpu := range z.pageset {
			pcp := &z.pageset[cpu].pcp
			n := 0
			for mt := 0; mt < MIGRATE_PCPTYPES; mt++ {
				h := pcp.lists[mt]
				for p := s.listFirst(h); p != uint32(h); p = s.listNext(p) {
					n++
					pfn := uint64(p)
					if state[pfn] != stateUnseen {
						bad("pfn %#x on cpu %d pcp list is also in state %d", pfn, cpu, state[pfn])
					}
					state[pfn] = statePcp
					pg := &s.pages[pfn]
					if s.pfnZone(pfn) != z {
						bad("pfn %#x on %s pcp list belongs to zone %s", pfn, z.Name, s.pfnZone(pfn).Name)
					}
					if pg.count != 0 || pg.mapcount != 0 || pg.PageBuddy() || pg.mapping != 0 {
						bad("pfn %#x on pcp list: count %d mapcount %d mapping %d", pfn, pg.count, pg.mapcount, pg.mapping)
					}
				}
			}
			if n != pcp.count {
				bad("%s cpu %d pcp count %d but lists hold %d", z.Name, cpu, pcp.count, n)
			}
		}
	}
	for i := range globalFromZones {
		if globalFromZones[i] != s.vmStat[i] {
			bad("global %s %d but zones sum to %d", vmstatText[i], s.vmStat[i], globalFromZones[i])
		}
	}
	// Every other valid frame of a zone is reserved or in use; managed
	// pages are exactly the frames that are not reserved.
	for _, z := range s.zones {
		if !z.populatedZone() {
			continue
		}
		var managed uint64
		for pfn := z.zoneStartPFN; pfn < z.zoneEndPFN(); pfn++ {
			if !s.pfnValid(pfn) {
				continue
			}
			pg := &s.pages[pfn]
			if pg.pageZonenum() != z.idx || pg.pageToNid() != z.node.ID {
				bad("pfn %#x in %s span has zone %d node %d in its flags", pfn, z.Name, pg.pageZonenum(), pg.pageToNid())
			}
			switch state[pfn] {
			case stateUnseen:
				switch {
				case s.isBadLeaked(pfn):
					state[pfn] = stateLeaked
				case pg.PageReserved():
					state[pfn] = stateReserved
				case pg.PageBuddy():
					bad("pfn %#x has PageBuddy but is on no free list", pfn)
				case pg.count > 0 || pg.PageTail() || pg.extra&extraAllocTail != 0:
					state[pfn] = stateInUse
				default:
					bad("pfn %#x is lost: not reserved, free, on a pcp list or referenced (count %d)", pfn, pg.count)
				}
			}
			if state[pfn] != stateReserved {
				managed++
			}
		}
		if managed != z.managedPages {
			bad("%s managed_pages %d but %d frames are not reserved", z.Name, z.managedPages, managed)
		}
	}
	s.checkUserInvariants(bad)
	s.checkPageCacheInvariants(bad)
	s.checkMlockInvariants(bad)
	s.checkSwapInvariants(bad)
	return errs
}
