// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"fmt"

	"pagesim/sim"
)

// mm/migrate.c: moving a page's contents and identity to another frame.
// The page is locked, unmapped (its PTEs become migration entries), its
// mapping's slot is switched to the new page if nobody else holds a
// reference (migrate_page_move_mapping), the flags and contents are copied,
// and the migration entries are replaced by PTEs of the new page.
//
// Kernel variants (kernel/variants.go) change this file in the places the
// real patches touched:
//   - put_new_page (68711a746345, v3.16-rc1): a failed newpage goes back to
//     the caller (compaction's free list) instead of being freed;
//   - ClearPageSwapBacked before put_new_page (8bdd63809160, v3.16);
//   - newpage untouched until migrate_page_move_mapping succeeds (Hugh
//     Dickins' 2015 cleanup, v4.5);
//   - a free_pages_check-style check on pages given back through
//     put_new_page (the debug patch suggested in the thread).

// Patch names the variant switches check (kernel/variants.go registers
// them with ids and titles).
const (
	PatchPutNewPage           = "68711a746345"
	PatchClearSwapBacked      = "8bdd63809160"
	PatchNewpageUntouched     = "v4.5-newpage-untouched"
	PatchPutNewPageDebugCheck = "debug-put-new-page-check"
)

// HasPatch reports whether the running kernel has a modeled patch.
func (s *System) HasPatch(id string) bool { return s.patches[id] }

// SetPatches sets the modeled patches of the running kernel.
func (s *System) SetPatches(ids []string) {
	s.patches = map[string]bool{}
	for _, id := range ids {
		s.patches[id] = true
	}
}

// migrate_reason, include/linux/migrate.h.
const (
	MR_COMPACTION = iota
	MR_MEMORY_FAILURE
	MR_MEMORY_HOTPLUG
	MR_SYSCALL
	MR_MEMPOLICY_MBIND
	MR_NUMA_MISPLACED
	MR_CMA
)

var migrateReasonNames = []string{"compaction", "memory_failure", "memory_hotplug", "syscall_or_cpuset", "mempolicy_mbind", "numa_misplaced", "cma"}

// MIGRATEPAGE_SUCCESS and the errnos migration returns.
const (
	MIGRATEPAGE_SUCCESS = 0
	rcEAGAIN            = -11
	rcENOMEM            = -12
	rcEBUSY             = -16
	rcEINVAL            = -22
	rcEIO               = -5
)

// NewPageFn is new_page_t; FreePageFn is free_page_t.
type NewPageFn func(pfn uint64, private any) (newpfn uint64, ok bool)
type FreePageFn func(newpfn uint64, private any)

// PutbackMovablePages is putback_movable_pages(): every page left on the
// list goes back to its LRU, out of NR_ISOLATED_*.
func (s *System) PutbackMovablePages(l ListHead) {
	for !s.listEmpty(l) {
		pfn := uint64(s.listFirst(l))
		s.listDel(uint32(pfn))
		s.pfnZone(pfn).modZonePageState(NR_ISOLATED_ANON+ZoneStatItem(b2i(s.pages[pfn].pageIsFileCache())), -1)
		s.putbackLRUPage(pfn)
	}
}

// isMigrationEntryFor reports whether a PTE is a migration entry for pfn.
func migrationEntryFor(e pte) (pfn uint64, write, ok bool) {
	if e.none() || e.present() {
		return 0, false, false
	}
	se := pteToSwpEntry(e)
	if se.Type != SWP_MIGRATION_READ && se.Type != SWP_MIGRATION_WRITE {
		return 0, false, false
	}
	return se.Offset, se.Type == SWP_MIGRATION_WRITE, true
}

// removeMigrationPtes is remove_migration_ptes(): walk new's rmap and turn
// every migration entry pointing at old into a PTE of new (old, young
// cleared; writable if the entry was), adding new's rmap.
func (s *System) removeMigrationPtes(old, newpfn uint64) {
	s.Cover("remove_migration_ptes")
	one := func(v *VMArea, addr uint64) int {
		ptep := v.mm.pteOffset(addr)
		if ptep == nil {
			return SWAP_AGAIN
		}
		target, write, ok := migrationEntryFor(*ptep)
		if !ok || target != old {
			return SWAP_AGAIN
		}
		s.GetPage(newpfn)
		e := mkPte(newpfn, v.pageProt()).mkold()
		if write {
			e = e.mkwrite()
		}
		*ptep = e
		if s.pages[newpfn].PageAnon() {
			s.pageAddAnonRmap(newpfn, v, addr)
		} else {
			s.pageAddFileRmap(newpfn)
		}
		return SWAP_AGAIN
	}
	// rmap_walk without an anon_lock: page_anon_vma() of the new page,
	// which is not mapped yet.
	if s.pages[newpfn].PageAnon() {
		s.rmapWalkAnonVMA(newpfn, s.pageAnonVMA(&s.pages[newpfn]), one, nil, nil)
		return
	}
	s.rmapWalkFile(newpfn, one, nil, nil)
}

// MigratePageMoveMapping is migrate_page_move_mapping(): the page may move
// only if its references are exactly the expected ones: the isolation
// reference, plus for a mapped (cache) page the cache's reference and one
// for buffers. Any other holder (a pin, a pagevec, an I/O in flight) gives
// -EAGAIN. On success the mapping's slot points at newpage, which takes
// the cache reference, the swap-cache identity and the NR_FILE_PAGES and
// NR_SHMEM counts.
func (s *System) MigratePageMoveMapping(m *AddressSpace, newpfn, pfn uint64, hasBuffers bool, mode MigrateMode, extraCount int32) int {
	s.CoverPage("migrate_page_move_mapping", newpfn)
	p, np := &s.pages[pfn], &s.pages[newpfn]
	expected := 1 + extraCount
	if m == nil {
		if p.count != expected {
			s.Cover("migrate_page_move_mapping:anon_refs")
			return rcEAGAIN
		}
		s.migrateNewpageIdentity(newpfn, pfn)
		return MIGRATEPAGE_SUCCESS
	}
	idx := s.pageIndex(pfn)
	expected += 1 + int32(b2i(p.flags&PAGE_FLAGS_PRIVATE != 0))
	if e, ok := m.tree.Lookup(idx); p.count != expected || !ok || RadixEntryToPFN(e) != pfn || RadixTreeExceptionalEntry(e) {
		s.Cover("migrate_page_move_mapping:mapping_refs")
		return rcEAGAIN
	}
	// page_freeze_refs succeeds: the count is what we expected.
	s.migrateNewpageIdentity(newpfn, pfn)
	s.GetPage(newpfn) // the cache's reference
	if p.PageSwapCache() {
		s.Cover("migrate_page_move_mapping:swapcache")
		np.setFlag(PG_swapcache)
		np.private = p.private
	}
	sl, _ := m.tree.LookupSlot(idx)
	m.tree.ReplaceSlot(sl, PFNToRadixEntry(newpfn))
	p.count = expected - 1 // page_unfreeze_refs: the cache's reference moved
	oz, nz := s.PageZone(p), s.PageZone(np)
	oz.__decZoneState(NR_FILE_PAGES)
	nz.__incZoneState(NR_FILE_PAGES)
	if !p.PageSwapCache() && p.PageSwapBacked() {
		s.Cover("migrate_page_move_mapping:shmem_stat")
		oz.__decZoneState(NR_SHMEM)
		nz.__incZoneState(NR_SHMEM)
	}
	return MIGRATEPAGE_SUCCESS
}

// migrateNewpageIdentity is, with the v4.5 cleanup, where newpage first
// gets page's index, mapping and PG_swapbacked: only once the move can no
// longer fail. Without the patch move_to_new_page did it before trying.
func (s *System) migrateNewpageIdentity(newpfn, pfn uint64) {
	if !s.HasPatch(PatchNewpageUntouched) {
		return
	}
	p, np := &s.pages[pfn], &s.pages[newpfn]
	np.index = p.index
	np.mapping = p.mapping
	if p.PageSwapBacked() {
		np.setFlag(PG_swapbacked)
	}
}

// MigratePageCopy is migrate_page_copy(): the contents and the page state
// move to newpage; the old page keeps none of its identity.
func (s *System) MigratePageCopy(newpfn, pfn uint64) {
	s.Cover("migrate_page_copy")
	p, np := &s.pages[pfn], &s.pages[newpfn]
	np.data = p.data // copy_highpage
	for _, bit := range []uint{PG_error, PG_referenced, PG_uptodate} {
		if p.testFlag(bit) {
			np.setFlag(bit)
		}
	}
	if p.testClearFlag(PG_active) {
		s.vmBugOnPage(p.PageUnevictable(), pfn, "PageUnevictable(page)", "mm/migrate.c", 532)
		np.setFlag(PG_active)
	} else if p.testClearFlag(PG_unevictable) {
		np.setFlag(PG_unevictable)
	}
	for _, bit := range []uint{PG_checked, PG_mappedtodisk} {
		if p.testFlag(bit) {
			np.setFlag(bit)
		}
	}
	if p.PageDirty() {
		s.ClearPageDirtyForIO(pfn)
		// The old page's own PG_swapbacked decides how the new one is
		// dirtied.
		if p.PageSwapBacked() {
			np.setFlag(PG_dirty)
		} else {
			s.SetPageDirtyNobuffers(newpfn)
		}
	}
	np.flags = np.flags&^(LAST_CPUPID_MASK<<LAST_CPUPID_PGOFF) | p.flags&(LAST_CPUPID_MASK<<LAST_CPUPID_PGOFF)
	p.pageCpupidResetLast()
	s.mlockMigratePage(newpfn, pfn)
	p.clearFlag(PG_swapcache)
	p.clearFlag(PG_private)
	p.private = 0
	if np.PageWriteback() {
		s.EndPageWriteback(newpfn)
	}
	if s.hist != nil {
		s.hist.add(s, pfn, "migrated to pfn "+hex0x(newpfn))
		s.hist.add(s, newpfn, "migrated from pfn "+hex0x(pfn)+", flags now "+FlagNames(np.flags))
	}
}

// mlockMigratePage is mlock_migrate_page() (mm/internal.h).
func (s *System) mlockMigratePage(newpfn, pfn uint64) {
	if s.pages[pfn].testClearFlag(PG_mlocked) {
		s.pfnZone(pfn).__modZonePageState(NR_MLOCK, -1)
		s.pages[newpfn].setFlag(PG_mlocked)
		s.pfnZone(newpfn).__modZonePageState(NR_MLOCK, 1)
	}
}

// MigratePage is migrate_page(): the ->migratepage of anonymous memory,
// shmem and the swap cache.
func (s *System) MigratePage(m *AddressSpace, newpfn, pfn uint64, mode MigrateMode) int {
	s.Cover("migrate_page")
	if s.pages[pfn].PageWriteback() {
		s.bug("mm/migrate.c", 597)
	}
	if rc := s.MigratePageMoveMapping(m, newpfn, pfn, false, mode, 0); rc != MIGRATEPAGE_SUCCESS {
		return rc
	}
	s.MigratePageCopy(newpfn, pfn)
	return MIGRATEPAGE_SUCCESS
}

// writeout is writeout(): write a dirty page so it can be migrated later
// (only for MIGRATE_SYNC without ->migratepage).
func (s *System) writeout(m *AddressSpace, pfn uint64) int {
	s.Cover("writeout")
	if !s.ClearPageDirtyForIO(pfn) {
		return rcEAGAIN
	}
	s.Cover("writeout:writepage")
	s.removeMigrationPtes(pfn, pfn)
	wbc := &WritebackControl{SyncMode: WB_SYNC_NONE, NrToWrite: 1, RangeEnd: LLONG_MAX, ForReclaim: true}
	rc := m.Ops.Writepage(s, pfn, wbc)
	if rc != AOP_WRITEPAGE_ACTIVATE {
		s.lockPage(pfn)
	}
	if rc < 0 {
		return rcEIO
	}
	return rcEAGAIN
}

// fallbackMigratePage is fallback_migrate_page().
func (s *System) fallbackMigratePage(m *AddressSpace, newpfn, pfn uint64, mode MigrateMode) int {
	s.Cover("fallback_migrate_page")
	p := &s.pages[pfn]
	if p.PageDirty() {
		if mode != MIGRATE_SYNC {
			s.Cover("fallback_migrate_page:dirty_busy")
			return rcEBUSY
		}
		return s.writeout(m, pfn)
	}
	if p.flags&PAGE_FLAGS_PRIVATE != 0 && !s.tryToReleasePage(pfn, GFP_KERNEL) {
		return rcEAGAIN
	}
	return s.MigratePage(m, newpfn, pfn, mode)
}

// moveToNewPage is move_to_new_page(): newpage (locked) takes page's index
// and mapping, and PG_swapbacked if page has it, then the mapping's
// ->migratepage moves it; on failure newpage loses its mapping again, but
// nothing clears the PG_swapbacked it was given.
func (s *System) moveToNewPage(newpfn, pfn uint64, remapSwapcache bool, mode MigrateMode) int {
	s.CoverPage("move_to_new_page", newpfn)
	p, np := &s.pages[pfn], &s.pages[newpfn]
	if !s.trylockPage(newpfn) {
		s.bug("mm/migrate.c", 757)
	}
	if !s.HasPatch(PatchNewpageUntouched) {
		np.index = p.index
		np.mapping = p.mapping
		if p.PageSwapBacked() {
			np.setFlag(PG_swapbacked)
		}
	}
	m := s.pageMapping(pfn)
	var rc int
	switch {
	case m == nil:
		rc = s.MigratePage(nil, newpfn, pfn, mode)
	default:
		if op, ok := m.Ops.(MigratepageOp); ok {
			rc = op.Migratepage(s, m, newpfn, pfn, mode)
		} else {
			rc = s.fallbackMigratePage(m, newpfn, pfn, mode)
		}
	}
	if rc != MIGRATEPAGE_SUCCESS {
		s.Cover("move_to_new_page:fail")
		np.mapping = 0
	} else {
		s.Cover("move_to_new_page:success")
		if remapSwapcache {
			s.removeMigrationPtes(pfn, newpfn)
		}
		p.mapping = 0
	}
	s.unlockPage(newpfn)
	return rc
}

// __unmapAndMove is __unmap_and_move(): lock the page (async mode and
// PF_MEMALLOC tasks only try), deal with writeback by mode, hold the
// anon_vma, unmap with migration entries, move, and restore the PTEs if
// the move failed.
func (s *System) __unmapAndMove(pfn, newpfn uint64, force bool, mode MigrateMode) int {
	s.CoverPage("__unmap_and_move", pfn)
	p := &s.pages[pfn]
	rc := rcEAGAIN
	remapSwapcache := true
	var av *AnonVMA
	if !s.trylockPage(pfn) {
		if !force || mode == MIGRATE_ASYNC {
			s.Cover("__unmap_and_move:trylock_fail")
			return rc
		}
		if s.current().Flags&sim.PF_MEMALLOC != 0 {
			s.Cover("__unmap_and_move:trylock_fail_memalloc")
			return rc
		}
		s.Cover("__unmap_and_move:lock_wait")
		s.lockPage(pfn)
	}
	if p.PageWriteback() {
		if mode != MIGRATE_SYNC {
			s.Cover("__unmap_and_move:writeback_busy")
			rc = rcEBUSY
			goto uncharge
		}
		if !force {
			s.Cover("__unmap_and_move:writeback_noforce")
			goto uncharge
		}
		s.Cover("__unmap_and_move:writeback_wait")
		s.WaitOnPageWriteback(pfn)
	}
	if p.PageAnon() {
		// page_get_anon_vma: hold the anon_vma while the page is
		// unmapped.
		av = s.pageGetAnonVMA(pfn)
		if av == nil {
			if p.PageSwapCache() {
				s.Cover("__unmap_and_move:swapcache_unmapped")
				remapSwapcache = false
			} else {
				s.Cover("__unmap_and_move:anon_unmapped")
				goto uncharge
			}
		}
	}
	if p.mapping == 0 {
		s.vmBugOnPage(p.PageAnon(), pfn, "PageAnon(page)", "mm/migrate.c", 904)
		if p.flags&PAGE_FLAGS_PRIVATE != 0 {
			// An orphaned page's buffers (truncate_complete_page could
			// not drop them): free them so that the page can go.
			s.tryToFreeBuffers(pfn)
			goto uncharge
		}
	} else {
		s.tryToUnmap(pfn, TTU_MIGRATION|TTU_IGNORE_MLOCK|TTU_IGNORE_ACCESS)
	}
	if p.mapcount <= 0 {
		rc = s.moveToNewPage(newpfn, pfn, remapSwapcache, mode)
	} else {
		s.Cover("__unmap_and_move:still_mapped")
	}
	if rc != MIGRATEPAGE_SUCCESS && remapSwapcache {
		s.removeMigrationPtes(pfn, pfn)
	}
	if av != nil {
		s.putAnonVMA(av)
	}
uncharge:
	s.unlockPage(pfn)
	return rc
}

// pageGetAnonVMA is page_get_anon_vma(): the page's anon_vma with a
// reference, if the page is still mapped.
func (s *System) pageGetAnonVMA(pfn uint64) *AnonVMA {
	s.Cover("page_get_anon_vma")
	p := &s.pages[pfn]
	if p.mapcount <= 0 {
		return nil
	}
	av := s.pageAnonVMA(p)
	if av != nil {
		av.refcount++
	}
	return av
}

// unmapAndMove is unmap_and_move(): get a new page, migrate, and dispose of
// both: a page that is done with (moved, or failed for good) leaves the
// list and goes back to the LRU (where, if moved, its last reference frees
// it); the new page goes to the LRU if it holds the data, or — with
// put_new_page (v3.16-rc1 on) — back to the caller, else it is freed.
func (s *System) unmapAndMove(getNewPage NewPageFn, putNewPage FreePageFn, private any, pfn uint64, force bool, mode MigrateMode) int {
	s.CoverPage("unmap_and_move", pfn)
	newpfn, ok := getNewPage(pfn, private)
	if !ok {
		return rcENOMEM
	}
	rc := 0
	p := &s.pages[pfn]
	if p.count != 1 {
		rc = s.__unmapAndMove(pfn, newpfn, force, mode)
	} else {
		s.Cover("unmap_and_move:freed_under_us")
	}
	if s.hist != nil && rc != MIGRATEPAGE_SUCCESS {
		s.hist.add(s, pfn, fmt.Sprintf("migration to pfn %#x failed: %d (_count %d, _mapcount %d, flags %s)", newpfn, rc, p.count, p.mapcount-1, FlagNames(p.flags)))
	}
	// out:
	if rc != rcEAGAIN {
		s.listDel(uint32(pfn))
		s.pfnZone(pfn).modZonePageState(NR_ISOLATED_ANON+ZoneStatItem(b2i(p.pageIsFileCache())), -1)
		s.putbackLRUPage(pfn)
	}
	if rc != MIGRATEPAGE_SUCCESS && putNewPage != nil && s.HasPatch(PatchPutNewPage) {
		s.Cover("unmap_and_move:put_new_page")
		if s.HasPatch(PatchClearSwapBacked) {
			s.pages[newpfn].clearFlag(PG_swapbacked)
		}
		if s.HasPatch(PatchPutNewPageDebugCheck) && s.putNewPageCheck(newpfn) {
			return rc // the bad page is taken out of use, as free_pages_check does
		}
		if s.hist != nil {
			s.hist.add(s, newpfn, "migration failed: put_new_page back to the caller, flags "+FlagNames(s.pages[newpfn].flags))
		}
		putNewPage(newpfn, private)
	} else {
		s.Cover("unmap_and_move:putback_newpage")
		s.putbackLRUPage(newpfn)
	}
	return rc
}

// putNewPageCheck is the debug patch the thread suggests ("something like
// free_pages_prepare() / free_page_check() in there"): a page given back
// through put_new_page must be as clean as one leaving the allocator. It
// reports through bad_page and returns true when it is not.
func (s *System) putNewPageCheck(newpfn uint64) bool {
	reason, badFlags := s.pages[newpfn].badState(1, "unexpected _count", PAGE_FLAGS_CHECK_AT_PREP, "PAGE_FLAGS_CHECK_AT_PREP flag set")
	if reason == "" {
		return false
	}
	s.badPage(newpfn, "put_new_page: "+reason, badFlags)
	s.markLeaked(newpfn, 0)
	return true
}

// MigratePages is migrate_pages(): up to ten passes over the list, forcing
// page locks after the third; -EAGAIN pages are retried, others counted
// as failed. Pages still on the list failed. PF_SWAPWRITE is set while it
// runs. Returns the number not migrated, or -ENOMEM.
func (s *System) MigratePages(from ListHead, getNewPage NewPageFn, putNewPage FreePageFn, private any, mode MigrateMode, reason int) int {
	s.Cover("migrate_pages")
	cur := s.current()
	swapwrite := cur.Flags&sim.PF_SWAPWRITE != 0
	if !swapwrite {
		cur.Flags |= sim.PF_SWAPWRITE
	}
	retry, nrFailed, nrSucceeded := 1, 0, 0
	rc := 0
	for pass := 0; pass < 10 && retry != 0; pass++ {
		retry = 0
		for n := s.heads[uint32(from)&^headTag].next; n != uint32(from); {
			next := s.pages[n].lru.next
			s.condResched()
			r := s.unmapAndMove(getNewPage, putNewPage, private, uint64(n), pass > 2, mode)
			switch r {
			case rcENOMEM:
				s.Cover("migrate_pages:enomem")
				rc = rcENOMEM
				goto out
			case rcEAGAIN:
				retry++
			case MIGRATEPAGE_SUCCESS:
				nrSucceeded++
			default:
				nrFailed++
			}
			n = next
		}
	}
	rc = nrFailed + retry
out:
	s.countVMEvents(PGMIGRATE_SUCCESS, uint64(nrSucceeded))
	s.countVMEvents(PGMIGRATE_FAIL, uint64(nrFailed))
	if s.tracer != nil {
		modes := []string{"MIGRATE_ASYNC", "MIGRATE_SYNC_LIGHT", "MIGRATE_SYNC"}
		s.emit("mm_migrate_pages", "nr_succeeded=%d nr_failed=%d mode=%s reason=%s", nrSucceeded, nrFailed, modes[mode], migrateReasonNames[reason])
	}
	if !swapwrite {
		cur.Flags &^= sim.PF_SWAPWRITE
	}
	return rc
}

// Migratepage is shmem's ->migratepage: migrate_page.
func (a *shmemAops) Migratepage(s *System, m *AddressSpace, newpfn, pfn uint64, mode MigrateMode) int {
	return s.MigratePage(m, newpfn, pfn, mode)
}

// Migratepage is the swap cache's ->migratepage: migrate_page.
func (swapAops) Migratepage(s *System, m *AddressSpace, newpfn, pfn uint64, mode MigrateMode) int {
	return s.MigratePage(m, newpfn, pfn, mode)
}
