// SPDX-License-Identifier: GPL-2.0-only

package mm

// Invariants of mlock. checkMlockInvariants runs as part of CheckInvariants.
//
// Rules checked:
//   - each zone's NR_MLOCK (per-CPU deltas included) equals its PG_mlocked
//     pages. v3.16 itself breaks this when munlock's __munlock_pagevec
//     clears PG_mlocked on a page someone else has isolated (see
//     __munlockPagevec): the report then is the kernel's accounting bug.
//   - a PG_mlocked page is mapped: page_remove_rmap clears the flag with
//     the last mapping (clear_page_mlock).
//   - every page on an unevictable list is unevictable by page_evictable():
//     PG_mlocked (or an AS_UNEVICTABLE mapping); munlock clears PG_mlocked
//     only on pages it isolates or finds off the LRU.
//   - each address space's locked_vm equals the pages of its VM_LOCKED
//     VMAs. exit_mmap keeps locked_vm while it munlocks, so this holds only
//     outside exitMMap (the checker runs between operations).
//
// Not checked, because v3.16 allows otherwise: that a VM_LOCKED VMA maps
// only PG_mlocked pages (a failed mlock leaves VM_LOCKED on the VMAs before
// the hole unpopulated; mlock_vma_page skips pages whose lock is taken) and
// that a PG_mlocked page on an LRU list is on the unevictable one (a page
// mlocked while in another CPU's lru_add pagevec is drained to an evictable
// list, for vmscan to cull later).
func (s *System) checkMlockInvariants(bad func(format string, args ...any)) {
	for _, z := range s.zones {
		if !z.populatedZone() {
			continue
		}
		var mlocked int64
		for pfn := z.zoneStartPFN; pfn < z.zoneEndPFN(); pfn++ {
			if !s.pfnValid(pfn) {
				continue
			}
			p := &s.pages[pfn]
			if p.PageReserved() || p.PageBuddy() {
				continue
			}
			if p.PageMlocked() {
				mlocked++
				if p.mapcount <= 0 {
					bad("pfn %#x has PG_mlocked but is not mapped (mapcount %d)", pfn, p.mapcount)
				}
			}
		}
		if snap := z.zonePageStateRaw(NR_MLOCK); snap != mlocked {
			bad("%s NR_MLOCK %d but %d pages have PG_mlocked", z.Name, snap, mlocked)
		}
		h := z.lruvec.lists[LRU_UNEVICTABLE]
		for q := s.listFirst(h); q != uint32(h); q = s.listNext(q) {
			if pfn := uint64(q); s.pageEvictable(pfn) {
				bad("pfn %#x on %s unevictable list is evictable (flags %s)", pfn, z.Name, FlagNames(s.pages[pfn].flags))
			}
		}
	}
	for _, m := range s.mmList {
		var locked uint64
		for _, v := range m.vmas {
			if v.Flags&VM_LOCKED != 0 {
				locked += (v.End - v.Start) >> PAGE_SHIFT
			}
		}
		if locked != m.lockedVM {
			bad("mm %d locked_vm %d but its VM_LOCKED VMAs span %d pages", m.ID, m.lockedVM, locked)
		}
	}
}
