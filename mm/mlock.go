// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"errors"

	"pagesim/klog"
)

// mm/mlock.c: mlock(2) and munlock(2). A VM_LOCKED VMA's pages carry
// PG_mlocked (counted in NR_MLOCK) and live on the unevictable LRU list;
// munlock clears the flag and, unless another VM_LOCKED VMA still maps the
// page (try_to_munlock), returns it to an evictable list. munlock works in
// pagevec batches of pages from one zone: phase 1 clears PG_mlocked and
// isolates under the zone's lru_lock, phase 2 locks each page and puts it
// back, through a fast path for singly-mapped evictable pages.
//
// Model, for the whole file: the task has CAP_IPC_LOCK (capabilities and
// rlimits are not modeled), so can_do_mlock() always allows and the
// RLIMIT_MEMLOCK checks of mlock and MAP_LOCKED always pass; mlockall,
// munlockall and mm->def_flags (MCL_FUTURE) are not modeled; mmap_sem is not
// modeled; VMAs are never merged (vma_merge), so mlock_fixup and
// madvise_behavior leave split VMAs split.

// Errnos of mlock, mmap and get_user_pages.
var (
	EAGAIN = errors.New("EAGAIN")
	EFAULT = errors.New("EFAULT")
	EPERM  = errors.New("EPERM")
)

// rmap walk results, include/linux/rmap.h.
const (
	SWAP_SUCCESS = 0
	SWAP_AGAIN   = 1
	SWAP_FAIL    = 2
	SWAP_MLOCK   = 3
)

func init() {
	klog.RegisterSymbol("pagesim/mm.(*System).Mlock", "SyS_mlock")
	klog.RegisterSymbol("pagesim/mm.(*System).Munlock", "SyS_munlock")
	klog.RegisterSymbol("pagesim/mm.(*System).MmapAnonFlags", "vm_mmap_pgoff")
	// try_to_munlock's rmap_one is try_to_unmap_one with TTU_MUNLOCK.
	klog.RegisterSymbol("pagesim/mm.(*System).tryToMunlockOne", "try_to_unmap_one")
	// Inlines and list-pointer helpers leave no frame.
	for _, f := range []string{"getPageFoll", "munlockVMAPagesAll", "pagevecRelease", "isVMHugetlbPage"} {
		klog.HideFunc("pagesim/mm.(*System)." + f)
	}
	for _, f := range []string{"vmNext", "vmPrev"} {
		klog.HideFunc("pagesim/mm.(*MMStruct)." + f)
	}
	for _, f := range []string{"pageAlign", "vmaGrowsdown", "stackGuardPageStart"} {
		klog.HideFunc("pagesim/mm." + f)
	}
	klog.HideFunc("pagesim/mm.(*System).mlockFutureCheck")
}

// pageAlign is PAGE_ALIGN(): round up, wrapping as unsigned long does.
func pageAlign(x uint64) uint64 { return (x + PAGE_SIZE - 1) &^ (PAGE_SIZE - 1) }

// vmNext is vma->vm_next: the VMA after v in address order, or nil.
func (m *MMStruct) vmNext(v *VMArea) *VMArea {
	for i, x := range m.vmas {
		if x == v {
			if i+1 < len(m.vmas) {
				return m.vmas[i+1]
			}
			return nil
		}
	}
	return nil
}

// vmPrev is vma->vm_prev: the VMA before v in address order, or nil.
func (m *MMStruct) vmPrev(v *VMArea) *VMArea {
	for i, x := range m.vmas {
		if x == v {
			if i > 0 {
				return m.vmas[i-1]
			}
			return nil
		}
	}
	return nil
}

// isVMHugetlbPage is is_vm_hugetlb_page().
func (s *System) isVMHugetlbPage(v *VMArea) bool { return v.Flags&VM_HUGETLB != 0 }

// canDoMlock is can_do_mlock().
//
// Model: the task has CAP_IPC_LOCK.
func (s *System) canDoMlock() bool { return true }

// mlockFutureCheck is mlock_future_check() (mm/mmap.c): would locking len
// more bytes pass RLIMIT_MEMLOCK?
//
// Model: the task has CAP_IPC_LOCK, which passes every limit.
func (s *System) mlockFutureCheck(m *MMStruct, flags, length uint64) error { return nil }

// mlockVMAPage is mlock_vma_page(): set PG_mlocked, count it, and move the
// page to the unevictable list if it is on an LRU list now. The page must
// be locked.
func (s *System) mlockVMAPage(pfn uint64) {
	s.Cover("mlock_vma_page")
	p := &s.pages[pfn]
	if !p.PageLocked() {
		s.bug("mm/mlock.c", 83)
	}
	if !p.testSetFlag(PG_mlocked) {
		s.PageZone(p).modZonePageState(NR_MLOCK, 1)
		s.countVMEvent(UNEVICTABLE_PGMLOCKED)
		if s.isolateLRUPage(pfn) {
			s.putbackLRUPage(pfn)
		}
	}
}

// __munlockIsolateLRUPage is __munlock_isolate_lru_page(): isolate_lru_page
// under an lru_lock the caller holds, taking a reference only if asked
// (the munlock pagevec reuses follow_page's).
func (s *System) __munlockIsolateLRUPage(pfn uint64, getpage bool) bool {
	s.Cover("__munlock_isolate_lru_page")
	p := &s.pages[pfn]
	if !p.PageLRU() {
		return false
	}
	if getpage {
		s.GetPage(pfn)
	}
	p.clearFlag(PG_lru)
	s.delPageFromLRUList(pfn, s.PageZone(p), p.pageLRU())
	return true
}

// __munlockIsolatedPage is __munlock_isolated_page(): a page mapped more
// than once may still be mlocked by another VMA (try_to_munlock re-mlocks
// it); unless it was, count the munlock. Then put it back on the LRU list
// page_evictable() chooses.
func (s *System) __munlockIsolatedPage(pfn uint64) {
	s.Cover("__munlock_isolated_page")
	ret := SWAP_AGAIN
	if s.pages[pfn].mapcount > 1 {
		ret = s.tryToMunlock(pfn)
	}
	if ret != SWAP_MLOCK {
		s.countVMEvent(UNEVICTABLE_PGMUNLOCKED)
	}
	s.putbackLRUPage(pfn)
}

// __munlockIsolationFailed is __munlock_isolation_failed(): someone else has
// the page off the LRU; they will put it back where it belongs. A page
// still marked unevictable is counted stranded.
func (s *System) __munlockIsolationFailed(pfn uint64) {
	s.Cover("__munlock_isolation_failed")
	if s.pages[pfn].PageUnevictable() {
		s.countVMEvent(UNEVICTABLE_PGSTRANDED)
	} else {
		s.countVMEvent(UNEVICTABLE_PGMUNLOCKED)
	}
}

// munlockVMAPage is munlock_vma_page(): clear PG_mlocked and, if the page
// can be isolated, finish the munlock; it returns the page mask (0: no huge
// pages). The page must be locked.
func (s *System) munlockVMAPage(pfn uint64) uint {
	s.Cover("munlock_vma_page")
	p := &s.pages[pfn]
	if !p.PageLocked() {
		s.bug("mm/mlock.c", 179)
	}
	z := s.PageZone(p)
	if !p.testClearFlag(PG_mlocked) {
		return 0
	}
	z.__modZonePageState(NR_MLOCK, -1)
	if s.__munlockIsolateLRUPage(pfn, true) {
		s.__munlockIsolatedPage(pfn)
		return 0
	}
	s.__munlockIsolationFailed(pfn)
	return 0
}

// __mlockVMAPagesRange is __mlock_vma_pages_range(): fault in [start, end)
// of v and mlock its pages if v is VM_LOCKED. Writable private VMAs are
// touched with write faults, breaking COW, so that no page is shared with
// another task afterwards; any access permission at all is enough
// (FOLL_FORCE).
func (s *System) __mlockVMAPagesRange(v *VMArea, start, end uint64, nonblocking *bool) (uint64, error) {
	s.Cover("__mlock_vma_pages_range")
	switch {
	case start&(PAGE_SIZE-1) != 0:
		s.bug("mm/mlock.c", 227)
	case end&(PAGE_SIZE-1) != 0:
		s.bug("mm/mlock.c", 228)
	case start < v.Start:
		s.bug("mm/mlock.c", 229)
	case end > v.End:
		s.bug("mm/mlock.c", 230)
	}
	gupFlags := FOLL_TOUCH | FOLL_MLOCK
	if v.Flags&(VM_WRITE|VM_SHARED) == VM_WRITE {
		gupFlags |= FOLL_WRITE
	}
	if v.Flags&(VM_READ|VM_WRITE|VM_EXEC) != 0 {
		gupFlags |= FOLL_FORCE
	}
	return s.__getUserPages(v.mm, start, (end-start)/PAGE_SIZE, gupFlags, nonblocking)
}

// __mlockPosixErrorReturn is __mlock_posix_error_return(): get_user_pages
// errors as mlock(2) reports them.
func __mlockPosixErrorReturn(err error) error {
	switch err {
	case EFAULT:
		return ENOMEM
	case ENOMEM:
		return EAGAIN
	}
	return err
}

// __putbackLRUFastPrepare is __putback_lru_fast_prepare(): a page mapped at
// most once and evictable skips try_to_munlock and putback_lru_page: it
// joins pv (keeping follow_page's reference), loses PG_unevictable (counted
// as rescued) and is unlocked.
func (s *System) __putbackLRUFastPrepare(pfn uint64, pv *pagevec, pgrescued *int) bool {
	s.Cover("__putback_lru_fast_prepare")
	p := &s.pages[pfn]
	s.vmBugOnPage(p.PageLRU(), pfn, "PageLRU(page)", "mm/mlock.c", 284)
	s.vmBugOnPage(!p.PageLocked(), pfn, "!PageLocked(page)", "mm/mlock.c", 285)
	if p.mapcount <= 1 && s.pageEvictable(pfn) {
		pv.pagevecAdd(pfn)
		if p.testClearFlag(PG_unevictable) {
			*pgrescued++
		}
		s.unlockPage(pfn)
		return true
	}
	return false
}

// __putbackLRUFast is __putback_lru_fast(): add the batch straight to the
// LRU lists (bypassing the per-CPU lru_add pagevec); release_pages there
// drops follow_page's references.
func (s *System) __putbackLRUFast(pv *pagevec, pgrescued int) {
	s.countVMEvents(UNEVICTABLE_PGMUNLOCKED, uint64(pv.nr))
	s.__pagevecLRUAdd(pv)
	s.countVMEvents(UNEVICTABLE_PGRESCUED, uint64(pgrescued))
}

// __pagevecRelease is __pagevec_release() (mm/swap.c): drain this CPU's
// pagevecs, then drop a reference on each page of pv.
func (s *System) __pagevecRelease(pv *pagevec) {
	s.LRUAddDrain()
	s.releasePages(pv.pages[:pv.nr], pv.cold)
	pv.nr, pv.cold = 0, false
}

// pagevecRelease is pagevec_release() (include/linux/pagevec.h).
func (s *System) pagevecRelease(pv *pagevec) {
	if pv.nr != 0 {
		s.__pagevecRelease(pv)
	}
}

// __munlockPagevec is __munlock_pagevec(): munlock a batch of pinned pages
// of one zone. Phase 1, under the lru_lock: clear PG_mlocked and isolate;
// pages that were not mlocked, or that someone else has isolated, only
// lose their pin. NR_MLOCK drops by the number isolated. Phase 2: lock each
// isolated page and put it back, by the fast path when it is mapped once
// and evictable, else through __munlock_isolated_page. Phase 3: add the
// fast-path pages to the LRU.
//
// Model: as in v3.16, a page whose PG_mlocked phase 1 cleared but which it
// could not isolate is not subtracted from NR_MLOCK, so NR_MLOCK drifts
// above the PG_mlocked count (fixed upstream in 2017, "mlock: fix mlock
// count can not decrease in race condition"); the invariant checker
// reports it.
func (s *System) __munlockPagevec(pv *pagevec, z *Zone) {
	s.Cover("__munlock_pagevec")
	nr := pv.nr
	var putback pagevec
	pgrescued := 0
	var isolated [PAGEVEC_SIZE]bool

	// Phase 1: page isolation.
	for i := 0; i < nr; i++ {
		pfn := pv.pages[i]
		if s.pages[pfn].testClearFlag(PG_mlocked) {
			if s.__munlockIsolateLRUPage(pfn, false) {
				isolated[i] = true
				continue
			}
			s.__munlockIsolationFailed(pfn)
		}
		putback.pagevecAdd(pfn)
	}
	z.__modZonePageState(NR_MLOCK, int64(-nr+putback.nr))
	s.pagevecRelease(&putback)

	// Phase 2: page munlock.
	for i := 0; i < nr; i++ {
		if !isolated[i] {
			continue
		}
		pfn := pv.pages[i]
		s.lockPage(pfn)
		if !s.__putbackLRUFastPrepare(pfn, &putback, &pgrescued) {
			s.GetPage(pfn) // for putback_lru_page
			s.__munlockIsolatedPage(pfn)
			s.unlockPage(pfn)
			s.PutPage(pfn) // follow_page's pin
		}
	}

	// Phase 3: the fast-path pages.
	if putback.nr != 0 {
		s.__putbackLRUFast(&putback, pgrescued)
	}
	pv.nr = 0
}

// __munlockPagevecFill is __munlock_pagevec_fill(): after the pinned page at
// start, add (and pin) the following pages of the same zone mapped by
// present PTEs of the same page table, until the pagevec is full. It
// returns the address to continue from.
func (s *System) __munlockPagevecFill(pv *pagevec, v *VMArea, z *Zone, start, end uint64) uint64 {
	s.Cover("__munlock_pagevec_fill")
	m := v.mm
	// Do not cross a page-table boundary; the PMD's is the nearest of the
	// pgd, pud and pmd ends.
	if b := (start + 1<<PMD_SHIFT) &^ (1<<PMD_SHIFT - 1); b-1 < end-1 {
		end = b
	}
	start += PAGE_SIZE
	for start < end {
		ptep := m.pteOffset(start)
		var pfn uint64
		ok := false
		if ptep != nil && ptep.present() {
			pfn, ok = s.vmNormalPage(v, start, *ptep)
		}
		if !ok || s.pfnZone(pfn) != z {
			break
		}
		s.GetPage(pfn)
		start += PAGE_SIZE
		if pv.pagevecAdd(pfn) == 0 {
			break
		}
	}
	return start
}

// munlockVMAPagesRange is munlock_vma_pages_range(): clear VM_LOCKED, then
// munlock every page mapped in [start, end), in pagevec batches.
// follow_page with FOLL_DUMP skips holes and the zero page.
//
// Model: no transparent huge page is ever mapped, so the PageTransHuge
// branch (munlock_vma_page on the head) is never taken here.
func (s *System) munlockVMAPagesRange(v *VMArea, start, end uint64) {
	s.Cover("munlock_vma_pages_range")
	v.Flags &^= VM_LOCKED
	for start < end {
		pfn, ok, err := s.followPageMask(v, start, FOLL_GET|FOLL_DUMP)
		if ok && err == nil {
			var pv pagevec
			pv.pagevecAdd(pfn)
			z := s.pfnZone(pfn)
			start = s.__munlockPagevecFill(&pv, v, z, start, end)
			s.__munlockPagevec(&pv, z)
		} else {
			start += PAGE_SIZE
		}
		s.condResched()
	}
}

// munlockVMAPagesAll is munlock_vma_pages_all() (mm/internal.h).
func (s *System) munlockVMAPagesAll(v *VMArea) { s.munlockVMAPagesRange(v, v.Start, v.End) }

// mlockFixup is mlock_fixup(): give [start, end) of v the flags newflags,
// splitting v so that the range is a VMA of its own, and account locked_vm.
// Special and hugetlb VMAs are left alone (never VM_LOCKED, not counted).
// Locking only sets VM_LOCKED (the caller populates); unlocking munlocks
// the pages.
//
// Model: vma_merge is not modeled; the gate VMA is never in a user mm.
func (s *System) mlockFixup(v *VMArea, prev **VMArea, start, end, newflags uint64) error {
	s.Cover("mlock_fixup")
	m := v.mm
	if newflags == v.Flags || v.Flags&VM_SPECIAL != 0 || s.isVMHugetlbPage(v) {
		*prev = v
		return nil
	}
	if start != v.Start {
		s.splitVMA(m, v, start, true)
	}
	if end != v.End {
		s.splitVMA(m, v, end, false)
	}
	nrPages := (end - start) >> PAGE_SHIFT
	lock := newflags&VM_LOCKED != 0
	if lock {
		m.lockedVM += nrPages
		v.Flags = newflags
	} else {
		m.lockedVM -= nrPages
		s.munlockVMAPagesRange(v, start, end)
	}
	*prev = v
	return nil
}

// doMlock is do_mlock(): apply mlock_fixup to every VMA of [start,
// start+len). A hole ends it with ENOMEM, leaving the VMAs before the hole
// changed.
func (s *System) doMlock(m *MMStruct, start, length uint64, on bool) error {
	s.Cover("do_mlock")
	end := start + length
	if end < start {
		return EINVAL
	}
	if end == start {
		return nil
	}
	v := m.findVMA(start)
	if v == nil || v.Start > start {
		return ENOMEM
	}
	prev := m.vmPrev(v)
	if start > v.Start {
		prev = v
	}
	for nstart := start; ; {
		newflags := v.Flags &^ VM_LOCKED
		if on {
			newflags |= VM_LOCKED
		}
		tmp := min(v.End, end)
		if err := s.mlockFixup(v, &prev, nstart, tmp, newflags); err != nil {
			return err
		}
		nstart = tmp
		if nstart < prev.End {
			nstart = prev.End
		}
		if nstart >= end {
			return nil
		}
		v = m.vmNext(prev)
		if v == nil || v.Start != nstart {
			return ENOMEM
		}
	}
}

// __mmPopulate is __mm_populate(): fault in (and, in VM_LOCKED VMAs,
// mlock) the pages of [start, start+len), VMA by VMA, skipping VM_IO and
// VM_PFNMAP ones. With ignoreErrors (mm_populate, for mmap) a failing VMA
// is skipped; otherwise the error ends it, as mlock(2) reports it.
func (s *System) __mmPopulate(m *MMStruct, start, length uint64, ignoreErrors bool) error {
	s.Cover("__mm_populate")
	end := start + length
	locked := false
	var v *VMArea
	var nend uint64
	for nstart := start; nstart < end; nstart = nend {
		if !locked {
			locked = true
			v = m.findVMA(nstart)
		} else if nstart >= v.End {
			v = m.vmNext(v)
		}
		if v == nil || v.Start >= end {
			break
		}
		nend = min(end, v.End)
		if v.Flags&(VM_IO|VM_PFNMAP) != 0 {
			continue
		}
		if nstart < v.Start {
			nstart = v.Start
		}
		ret, err := s.__mlockVMAPagesRange(v, nstart, nend, &locked)
		if err != nil {
			if ignoreErrors {
				continue
			}
			return __mlockPosixErrorReturn(err)
		}
		nend = nstart + ret*PAGE_SIZE
	}
	return nil
}

// Mlock is sys_mlock(): drain every CPU's pagevecs so that the pages are on
// the LRU to be isolated, mark [start, start+len) VM_LOCKED (do_mlock),
// then fault in and mlock its pages (__mm_populate). start is rounded down
// to a page and len up to cover the same bytes.
//
// Model: the task has CAP_IPC_LOCK, so the RLIMIT_MEMLOCK check passes.
func (s *System) Mlock(m *MMStruct, start, length uint64) error {
	s.Cover("sys_mlock")
	if !s.canDoMlock() {
		return EPERM
	}
	s.LRUAddDrainAll()
	length = pageAlign(length + start&(PAGE_SIZE-1))
	start &^= PAGE_SIZE - 1
	err := s.doMlock(m, start, length, true)
	if err == nil {
		err = s.__mmPopulate(m, start, length, false)
	}
	return err
}

// Munlock is sys_munlock(): clear VM_LOCKED on [start, start+len) and
// munlock its pages.
func (s *System) Munlock(m *MMStruct, start, length uint64) error {
	length = pageAlign(length + start&(PAGE_SIZE-1))
	start &^= PAGE_SIZE - 1
	return s.doMlock(m, start, length, false)
}

// pageCheckAddress is page_check_address() (mm/rmap.c): the PTE mapping
// pfn at address in m, or nil.
//
// Model: the page-table lock is not modeled.
func (s *System) pageCheckAddress(pfn uint64, m *MMStruct, address uint64) *pte {
	ptep := m.pteOffset(address)
	if ptep == nil || !ptep.present() || ptep.pfn() != pfn {
		return nil
	}
	return ptep
}

// pageLockAnonVMARead is page_lock_anon_vma_read() (mm/rmap.c): the
// anon_vma of a mapped anonymous page, or nil.
//
// Model: the anon_vma rwsem is not modeled.
func (s *System) pageLockAnonVMARead(pfn uint64) *AnonVMA {
	p := &s.pages[pfn]
	if !p.PageAnon() || p.mapcount <= 0 {
		return nil
	}
	return s.pageAnonVMA(p)
}

// tryToMunlockOne is try_to_unmap_one() (mm/rmap.c) called with
// TTU_MUNLOCK: if vma maps the page and is VM_LOCKED, mlock the page again
// and stop the walk (SWAP_MLOCK); otherwise leave the mapping alone.
//
// Model: only the TTU_MUNLOCK half of try_to_unmap_one is modeled; the
// unmap half arrives with reclaim, which should fold this into a single
// tryToUnmapOne. down_read_trylock(&mm->mmap_sem) always succeeds: mmap_sem
// is not modeled, and the one mm whose mmap_sem munlock holds for write
// never has a VM_LOCKED VMA mapping the page (an anonymous page is mapped
// by one VMA per mm, and that VMA has just lost VM_LOCKED).
func (s *System) tryToMunlockOne(pfn uint64, v *VMArea, address uint64) int {
	s.Cover("try_to_unmap_one")
	if s.pageCheckAddress(pfn, v.mm, address) == nil {
		return SWAP_AGAIN
	}
	if v.Flags&VM_LOCKED != 0 {
		// out_mlock: with mmap_sem held for read, VM_LOCKED is rechecked.
		if v.Flags&VM_LOCKED != 0 {
			s.mlockVMAPage(pfn)
			return SWAP_MLOCK
		}
		return SWAP_AGAIN
	}
	return SWAP_AGAIN
}

// tryToMunlock is try_to_munlock() (mm/rmap.c): walk the VMAs that may map
// the page (rmap_walk); the first VM_LOCKED one re-mlocks it (SWAP_MLOCK).
// The page is locked and isolated.
func (s *System) tryToMunlock(pfn uint64) int {
	p := &s.pages[pfn]
	s.vmBugOnPage(!p.PageLocked() || p.PageLRU(), pfn, "!PageLocked(page) || PageLRU(page)", "mm/rmap.c", 1584)
	return s.rmapWalk(pfn, func(v *VMArea, address uint64) int {
		return s.tryToMunlockOne(pfn, v, address)
	}, nil, func() bool { return p.mapcount <= 0 })
}
