// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"errors"
	"fmt"

	"pagesim/klog"
)

// mm/memory.c: page faults, copy-on-write, swap-in (do_swap_page),
// unmapping and fork's page-table copy, with swap entries; file faults are
// in file_fault.go.
//
// Model, for the whole file: transparent huge pages are compiled in but
// disabled at runtime (transparent_hugepage/enabled = never) and NUMA
// balancing is off (kernel.numa_balancing = 0), so every fault takes the
// 4 KiB path and no PTE is made PROT_NONE behind the program's back.

// Fault flags and results, include/linux/mm.h.
const (
	FAULT_FLAG_WRITE       = 0x01
	FAULT_FLAG_ALLOW_RETRY = 0x08
	FAULT_FLAG_KILLABLE    = 0x20
	FAULT_FLAG_TRIED       = 0x40
	FAULT_FLAG_USER        = 0x80

	VM_FAULT_OOM     = 0x0001
	VM_FAULT_SIGBUS  = 0x0002
	VM_FAULT_MAJOR   = 0x0004
	VM_FAULT_WRITE   = 0x0008
	VM_FAULT_SIGSEGV = 0x0040
	VM_FAULT_RETRY   = 0x0400
	VM_FAULT_ERROR   = VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV
)

// zeroPFN is the PFN of empty_zero_page, a page of the kernel image's bss:
// reserved, never on any list, all zeroes. Read faults on anonymous memory
// map it.
func (s *System) zeroPFN() uint64 { return kernelPhysStart + 0x10 }

// isZeroPFN is is_zero_pfn().
func (s *System) isZeroPFN(pfn uint64) bool { return pfn == s.zeroPFN() }

// vmNormalPage is vm_normal_page(): the struct page behind a PTE, or none
// for special mappings (the zero page).
func (s *System) vmNormalPage(v *VMArea, addr uint64, e pte) (uint64, bool) {
	if e.special() || s.isZeroPFN(e.pfn()) {
		return 0, false
	}
	return e.pfn(), true
}

// isCOWMapping is is_cow_mapping(): private and possibly writable.
func isCOWMapping(flags uint64) bool { return flags&(VM_SHARED|VM_MAYWRITE) == VM_MAYWRITE }

// allocPageVMA is alloc_page_vma(): a user page for vma at addr, with the
// default (local) mempolicy.
func (s *System) allocPageVMA(gfp GFP, v *VMArea, addr uint64) (uint64, bool) {
	return s.allocPagesVMA(gfp, 0, v, addr)
}

// allocPagesVMA is alloc_pages_vma(): policy_zonelist for the default
// policy is the local node's zonelist.
func (s *System) allocPagesVMA(gfp GFP, order uint, v *VMArea, addr uint64) (uint64, bool) {
	return s.__allocPagesNodemask(gfp, order, s.nodeZonelist(s.numaNodeID(), gfp))
}

// allocZeroedUserHighpageMovable is alloc_zeroed_user_highpage_movable().
func (s *System) allocZeroedUserHighpageMovable(v *VMArea, addr uint64) (uint64, bool) {
	return s.allocPageVMA(GFP_HIGHUSER_MOVABLE|GFP_ZERO, v, addr)
}

// doAnonymousPage is do_anonymous_page(): a read maps the zero page; a
// write gets a zeroed page of its own, on the anon LRU via the pagevec.
func (s *System) doAnonymousPage(m *MMStruct, v *VMArea, addr uint64, ptep *pte, flags int) int {
	s.Cover("do_anonymous_page")
	if flags&FAULT_FLAG_WRITE == 0 {
		if !ptep.none() {
			return 0
		}
		*ptep = mkPte(s.zeroPFN(), v.pageProt()) | pte(_PAGE_SPECIAL)
		return 0
	}
	s.anonVMAPrepare(v)
	pfn, ok := s.allocZeroedUserHighpageMovable(v, addr)
	if !ok {
		return VM_FAULT_OOM
	}
	s.pages[pfn].setFlag(PG_uptodate)
	e := mkPte(pfn, v.pageProt())
	if v.Flags&VM_WRITE != 0 {
		e = e.mkdirty().mkwrite()
	}
	// The allocation may have slept; recheck the PTE as the kernel does
	// under the page-table lock.
	if !ptep.none() {
		s.PutPage(pfn)
		return 0
	}
	m.rss[MM_ANONPAGES]++
	s.pageAddNewAnonRmap(pfn, v, addr)
	*ptep = e
	return 0
}

// pageMoveAnonRmap is page_move_anon_rmap(): a page reused by one VMA
// after COW points at that VMA's own anon_vma.
func (s *System) pageMoveAnonRmap(pfn uint64, v *VMArea) {
	s.vmBugOnPage(!s.pages[pfn].PageLocked(), pfn, "!PageLocked(page)", "mm/rmap.c", 899)
	s.pages[pfn].mapping = v.anonVma.mapping()
}

// doWPPage is do_wp_page(): a write to a present read-only PTE. An anon
// page mapped once is reused; otherwise the writer gets a copy (a zeroed
// page when the PTE mapped the zero page), the old page loses a mapping.
//
// Model: shared writable file mappings (page_mkwrite, dirty accounting)
// arrive with the page cache.
func (s *System) doWPPage(m *MMStruct, v *VMArea, addr uint64, ptep *pte, orig pte) int {
	s.Cover("do_wp_page")
	old, hasOld := s.vmNormalPage(v, addr, orig)
	ret := 0
	if hasOld {
		op := &s.pages[old]
		if op.PageAnon() {
			if !s.trylockPage(old) {
				s.GetPage(old)
				s.lockPage(old)
				if *ptep != orig {
					s.unlockPage(old)
					s.PutPage(old)
					return 0
				}
				s.PutPage(old)
			}
			if s.reuseSwapPage(old) {
				s.pageMoveAnonRmap(old, v)
				s.unlockPage(old)
				// reuse:
				s.pageCpupidXchgLast(old)
				*ptep = maybeMkwrite(orig.mkyoung().mkdirty(), v)
				return VM_FAULT_WRITE
			}
			s.unlockPage(old)
		} else if v.Flags&(VM_WRITE|VM_SHARED) == VM_WRITE|VM_SHARED {
			return s.doWPPageShared(v, addr, ptep, orig, old)
		}
		s.GetPage(old)
	} else if v.Flags&(VM_WRITE|VM_SHARED) == VM_WRITE|VM_SHARED {
		// reuse: a shared writable special mapping.
		*ptep = maybeMkwrite(orig.mkyoung().mkdirty(), v)
		return VM_FAULT_WRITE
	}
	// gotten:
	s.anonVMAPrepare(v)
	var newPFN uint64
	var ok bool
	if s.isZeroPFN(orig.pfn()) {
		newPFN, ok = s.allocZeroedUserHighpageMovable(v, addr)
	} else {
		newPFN, ok = s.allocPageVMA(GFP_HIGHUSER_MOVABLE, v, addr)
		if ok {
			s.cowUserPage(newPFN, old)
		}
	}
	if !ok {
		if hasOld {
			s.PutPage(old)
		}
		return VM_FAULT_OOM
	}
	s.pages[newPFN].setFlag(PG_uptodate)
	// Whatever is left in "release" loses a reference: the old page's PTE
	// reference once the new page replaced it, or the new page itself if
	// the PTE changed while we allocated.
	release, hasRelease := newPFN, true
	if *ptep == orig {
		if hasOld {
			if !s.pages[old].PageAnon() {
				m.rss[MM_FILEPAGES]--
				m.rss[MM_ANONPAGES]++
			}
		} else {
			m.rss[MM_ANONPAGES]++
		}
		e := maybeMkwrite(mkPte(newPFN, v.pageProt()).mkdirty(), v)
		*ptep = 0 // ptep_clear_flush
		s.pageAddNewAnonRmap(newPFN, v, addr)
		*ptep = e
		if hasOld {
			s.pageRemoveRmap(old)
			release = old
		} else {
			hasRelease = false
		}
		ret |= VM_FAULT_WRITE
	}
	if hasRelease {
		s.PutPage(release)
	}
	if hasOld {
		// mlock hook (mlock.go): a COW in a VM_LOCKED VMA munlocks the
		// old page, so that another task's unlocked mapping does not keep
		// it mlocked.
		if ret&VM_FAULT_WRITE != 0 && v.Flags&VM_LOCKED != 0 {
			s.lockPage(old)
			s.munlockVMAPage(old)
			s.unlockPage(old)
		}
		s.PutPage(old)
	}
	return ret
}

// cowUserPage is cow_user_page(): copy the contents.
func (s *System) cowUserPage(dst, src uint64) { s.pages[dst].data = s.pages[src].data }

// pageCpupidXchgLast is page_cpupid_xchg_last(page, -1) on reuse.
func (s *System) pageCpupidXchgLast(pfn uint64) { s.pages[pfn].pageCpupidResetLast() }

// handlePTEFault is handle_pte_fault().
func (s *System) handlePTEFault(m *MMStruct, v *VMArea, addr uint64, ptep *pte, flags int) int {
	s.Cover("handle_pte_fault")
	entry := *ptep
	if !entry.present() {
		if entry.none() {
			if v.File != nil {
				return s.doLinearFault(m, v, addr, ptep, flags, entry)
			}
			return s.doAnonymousPage(m, v, addr, ptep, flags)
		}
		return s.doSwapPage(m, v, addr, ptep, flags, entry)
	}
	if flags&FAULT_FLAG_WRITE != 0 {
		if !entry.write() {
			return s.doWPPage(m, v, addr, ptep, entry)
		}
		entry = entry.mkdirty()
	}
	*ptep = entry.mkyoung()
	return 0
}

// doSwapPage is do_swap_page() (swap hook: swap_state.go, swapfile.go):
// a fault on a swap PTE. The page comes from the swap cache, or is read in
// with readahead (a major fault); once locked and still the entry's, it
// is mapped (writable at once if a write fault may reuse it), the PTE's
// swap reference is dropped, and the swap itself freed if swap is filling
// up or the page is mlocked. A write that could not reuse the page goes on
// to do_wp_page. A migration entry waits for the migration to finish.
//
// Model: KSM, memcg and hwpoison are not modeled; mmap_sem is not
// modeled, so VM_FAULT_RETRY only makes the access fault again.
func (s *System) doSwapPage(m *MMStruct, v *VMArea, addr uint64, ptep *pte, flags int, orig pte) int {
	s.Cover("do_swap_page")
	if *ptep != orig { // pte_unmap_same
		return 0
	}
	entry := pteToSwpEntry(orig)
	if nonSwapEntry(entry) {
		if isMigrationEntry(entry) {
			// migration_entry_wait: wait for the page's lock to go.
			if pfn := entry.Offset; s.getPageUnlessZero(pfn) {
				s.WaitOnPageLocked(pfn)
				s.PutPage(pfn)
			}
			return 0
		}
		s.logf(klog.KernErr, "BUG: Bad page map in process %s  pte:%08x\n", s.current().Comm, uint64(orig))
		return VM_FAULT_SIGBUS
	}
	ret := 0
	pfn, ok := s.lookupSwapCache(entry)
	if !ok {
		pfn, ok = s.swapinReadahead(entry, GFP_HIGHUSER_MOVABLE, v, addr)
		if !ok {
			// Back out if somebody else faulted in this PTE meanwhile.
			if *ptep == orig {
				ret = VM_FAULT_OOM
			}
			return ret
		}
		// Had to read the page from swap: a major fault.
		ret = VM_FAULT_MAJOR
		s.countVMEvent(PGMAJFAULT)
	}
	if !s.lockPageOrRetry(pfn, m, flags) {
		s.PutPage(pfn)
		return ret | VM_FAULT_RETRY
	}
	p := &s.pages[pfn]
	// try_to_free_swap, reuse_swap_page or swapoff may have taken the
	// page out of the swap cache meanwhile.
	if !p.PageSwapCache() || p.private != entry.val() || *ptep != orig || !p.testFlag(PG_uptodate) {
		if p.PageSwapCache() && p.private == entry.val() && *ptep == orig {
			ret = VM_FAULT_SIGBUS // out_nomap: the read failed
		}
		s.unlockPage(pfn)
		s.PutPage(pfn)
		return ret
	}
	m.rss[MM_ANONPAGES]++
	m.rss[MM_SWAPENTS]--
	e := mkPte(pfn, v.pageProt())
	exclusive := false
	if flags&FAULT_FLAG_WRITE != 0 && s.reuseSwapPage(pfn) {
		e = maybeMkwrite(e.mkdirty(), v)
		flags &^= FAULT_FLAG_WRITE
		ret |= VM_FAULT_WRITE
		exclusive = true
	}
	*ptep = e
	s.doPageAddAnonRmap(pfn, v, addr, exclusive)
	s.swapFree(entry)
	if s.vmSwapFull() || v.Flags&VM_LOCKED != 0 || p.PageMlocked() {
		s.tryToFreeSwap(pfn)
	}
	s.unlockPage(pfn)
	if flags&FAULT_FLAG_WRITE != 0 {
		ret |= s.doWPPage(m, v, addr, ptep, e)
		if ret&VM_FAULT_ERROR != 0 {
			ret &= VM_FAULT_ERROR
		}
	}
	return ret
}

// handleMMFault is handle_mm_fault(): count the fault, allocate the page
// tables down to the PTE and handle it.
func (s *System) handleMMFault(m *MMStruct, v *VMArea, addr uint64, flags int) int {
	s.countVMEvent(PGFAULT)
	ptep := m.pteOffsetAlloc(addr)
	if ptep == nil {
		return VM_FAULT_OOM
	}
	return s.handlePTEFault(m, v, addr, ptep, flags)
}

// Errors a user access can end with (the signal the task would get).
// ErrOOM: the fault ran out of memory; pagefault_out_of_memory has run
// and the task returns to user mode, which retries the access unless the
// task was killed. ErrKilled: a fault to be retried found a fatal signal
// pending, which the return to user mode delivers.
var (
	ErrSegv   = errors.New("SIGSEGV")
	ErrBus    = errors.New("SIGBUS")
	ErrOOM    = errors.New("VM_FAULT_OOM")
	ErrKilled = errors.New("fatal signal")
)

// UserAccess is what the CPU and arch/x86/mm/fault.c do when a task reads
// or writes one byte of user memory at addr: walk the page tables; if the
// PTE is present and allows the access, set its accessed (and, for a write,
// dirty) bit as the MMU does; otherwise take a page fault
// (__do_page_fault -> handle_mm_fault) and retry. A write stores token as
// the page's contents; the token the access read is returned.
func (s *System) UserAccess(m *MMStruct, addr uint64, write bool, token uint64) (uint64, error) {
	addr &^= PAGE_SIZE - 1
	var tries int
	var at int64
	for ; ; tries++ {
		if ptep := m.pteOffset(addr); ptep != nil && ptep.present() && (!write || ptep.write()) {
			e := ptep.mkyoung()
			if write {
				e = e.mkdirty()
			}
			*ptep = e
			p := &s.pages[e.pfn()]
			if write {
				p.data = token
			}
			return p.data, nil
		}
		// A fault may legitimately be taken again and again: each one
		// that sleeps (a dirty-throttling pause during which the flusher
		// cleans and write-protects the page again) lets time pass. One
		// taken again at the same virtual instant, more than a few times,
		// makes no progress at all: the CPU would fault forever, and as
		// the model charges no CPU time for it, the run would hang. That
		// is a livelock, reported as the scheduler's watchdog reports one.
		if now := s.now(); tries == 0 || now != at {
			tries, at = 0, now
		} else if tries > 3 && s.sched != nil {
			s.sched.Stop(fmt.Sprintf("hang: a user %s at %#x faulted %d times at one instant without mapping its page (a livelock)", accessName(write), addr, tries))
		}
		if err := s.__doPageFault(m, addr, write); err != nil {
			return 0, err
		}
	}
}

func accessName(write bool) string {
	if write {
		return "write"
	}
	return "read"
}

// __doPageFault is __do_page_fault() for a user-mode fault: find the VMA,
// check the access against its flags, handle the fault.
//
// Model: stack expansion (VM_GROWSDOWN) and mmap_sem contention are not
// modeled.
func (s *System) __doPageFault(m *MMStruct, addr uint64, write bool) error {
	s.Cover("__do_page_fault")
	flags := FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE | FAULT_FLAG_USER
retry:
	v := m.findVMA(addr)
	if v == nil || v.Start > addr {
		return ErrSegv
	}
	if write {
		if v.Flags&VM_WRITE == 0 {
			return ErrSegv
		}
		flags |= FAULT_FLAG_WRITE
	} else if v.Flags&(VM_READ|VM_EXEC|VM_WRITE) == 0 {
		return ErrSegv
	}
	fault := s.handleMMFault(m, v, addr, flags)
	if fault&VM_FAULT_RETRY != 0 && s.FatalSignalPending(s.current()) {
		s.Cover("__do_page_fault:fatal_signal")
		return ErrKilled
	}
	switch {
	case fault&VM_FAULT_OOM != 0:
		// mm_fault_error for a user fault: the OOM killer, then back to
		// user mode.
		s.pagefaultOutOfMemory()
		return ErrOOM
	case fault&VM_FAULT_SIGBUS != 0:
		return ErrBus
	case fault&VM_FAULT_SIGSEGV != 0:
		return ErrSegv
	}
	// swap hook: PGMAJFAULT is counted where the kernel counts it
	// (do_swap_page, filemap_fault); VM_FAULT_MAJOR here only feeds the
	// task's maj_flt, which is not modeled. A fault that waited for a page
	// lock (lock_page_or_retry) is retried once, without ALLOW_RETRY.
	if fault&VM_FAULT_RETRY != 0 && flags&FAULT_FLAG_ALLOW_RETRY != 0 {
		flags &^= FAULT_FLAG_ALLOW_RETRY
		flags |= FAULT_FLAG_TRIED
		goto retry
	}
	return nil
}

// mmuGather is struct mmu_gather: pages unmapped but not yet freed, so
// that the TLB is flushed before any of them is reused. The first 8 fit in
// the structure; further batches are pages allocated with GFP_NOWAIT.
type mmuGather struct {
	mm *MMStruct
	// details is the zap_details of unmap_mapping_range (nil otherwise).
	details *zapDetails
	pages   []uint64
	batches []uint64 // frames of the extra batch pages
	max     int
}

const (
	MMU_GATHER_BUNDLE = 8
	// MAX_GATHER_BATCH: page pointers in one batch page (4096 bytes less
	// the two-word header).
	MAX_GATHER_BATCH       = (PAGE_SIZE - 16) / 8
	MAX_GATHER_BATCH_COUNT = 10000 / MAX_GATHER_BATCH
)

// tlbGatherMMU is tlb_gather_mmu().
func (s *System) tlbGatherMMU(m *MMStruct) *mmuGather {
	return &mmuGather{mm: m, max: MMU_GATHER_BUNDLE}
}

// __tlbRemovePage is __tlb_remove_page(): queue a page; returns false when
// the gather is full and must be flushed first.
func (s *System) __tlbRemovePage(tlb *mmuGather, pfn uint64) bool {
	s.Cover("__tlb_remove_page")
	tlb.pages = append(tlb.pages, pfn)
	if len(tlb.pages) < tlb.max {
		return true
	}
	// tlb_next_batch: another batch page, if the count allows and the
	// allocator gives one without waiting.
	if len(tlb.batches) >= MAX_GATHER_BATCH_COUNT {
		return false
	}
	b, ok := s.AllocPages(GFP_NOWAIT|GFP_NOWARN, 0)
	if !ok {
		return false
	}
	tlb.batches = append(tlb.batches, b)
	tlb.max += MAX_GATHER_BATCH
	return true
}

// tlbFlushMMU is tlb_flush_mmu(): flush the TLB, then free the gathered
// pages with free_pages_and_swap_cache (swap_state.go: drain this CPU's
// pagevecs, then per pagevec-sized chunk free the swap of unmapped
// swap-cache pages and release them).
func (s *System) tlbFlushMMU(tlb *mmuGather) {
	if len(tlb.pages) == 0 {
		return
	}
	s.freePagesAndSwapCache(tlb.pages) // swap hook
	tlb.pages = tlb.pages[:0]
}

// tlbFinishMMU is tlb_finish_mmu(): flush, and free the batch pages.
func (s *System) tlbFinishMMU(tlb *mmuGather) {
	s.tlbFlushMMU(tlb)
	for _, b := range tlb.batches {
		s.FreePages(b, 0)
	}
	tlb.batches = nil
}

// zapPTERange is zap_pte_range() over [start, end) of one VMA: clear every
// PTE, drop rmap and rss, and queue the pages on the gather.
func (s *System) zapPTERange(tlb *mmuGather, v *VMArea, start, end uint64) {
	s.Cover("zap_pte_range")
	m := v.mm
	m.walkPTEs(start, end, func(addr uint64, ptep *pte) {
		e := *ptep
		if e.none() {
			return
		}
		if !e.present() {
			if tlb.details != nil {
				return // zap_details: only present pages of the mapping
			}
			// swap hook: a swap entry drops its slot reference (and the
			// swap cache page if nothing else wants it); a migration
			// entry still counts as its page.
			entry := pteToSwpEntry(e)
			if !nonSwapEntry(entry) {
				m.rss[MM_SWAPENTS]--
			} else if isMigrationEntry(entry) {
				if s.pages[entry.Offset].PageAnon() {
					m.rss[MM_ANONPAGES]--
				} else {
					m.rss[MM_FILEPAGES]--
				}
			}
			if !s.freeSwapAndCache(entry) {
				s.logf(klog.KernErr, "BUG: Bad page map in process %s  pte:%08x\n", s.current().Comm, uint64(e))
			}
			*ptep = 0
			return
		}
		pfn, ok := s.vmNormalPage(v, addr, e)
		// zap_details.check_mapping (unmap_mapping_range without
		// even_cows): leave private COW copies alone.
		if ok && tlb.details != nil && tlb.details.checkMapping != nil &&
			s.pages[pfn].mapping != tlb.details.checkMapping.handle() {
			return
		}
		*ptep = 0
		if !ok {
			return
		}
		p := &s.pages[pfn]
		if p.PageAnon() {
			m.rss[MM_ANONPAGES]--
		} else {
			if e.dirty() {
				s.setPageDirty(pfn)
			}
			if e.young() && v.Flags&VM_SEQ_READ == 0 {
				s.MarkPageAccessed(pfn)
			}
			m.rss[MM_FILEPAGES]--
		}
		s.pageRemoveRmap(pfn)
		if p.mapcount < 0 {
			s.logf(klog.KernErr, "BUG: Bad page map in process %s  pte:%08x\n", s.current().Comm, uint64(e))
		}
		if !s.__tlbRemovePage(tlb, pfn) {
			s.tlbFlushMMU(tlb)
		}
	})
}

// copyPageRange is copy_page_range() with copy_one_pte(): at fork, a VMA
// with anonymous pages has its PTEs copied; private writable mappings are
// write-protected in both parent and child so the first write copies.
// VMAs without an anon_vma are left to fault in the child.
func (s *System) copyPageRange(dst, src *MMStruct, v, dstVMA *VMArea) error {
	s.Cover("copy_page_range")
	if v.anonVma == nil {
		return nil
	}
	cow := isCOWMapping(v.Flags)
	var err error
	src.walkPTEs(v.Start, v.End, func(addr uint64, sp *pte) {
		if err != nil || sp.none() {
			return
		}
		e := *sp
		dp := dst.pteOffsetAlloc(addr)
		if dp == nil {
			err = ErrOOM
			return
		}
		if !e.present() {
			// swap hook (copy_one_pte): the child's PTE takes a swap
			// reference; a count continuation cannot be had (swapfile.go),
			// so a full count fails the fork as copy_pte_range's
			// add_swap_count_continuation failure does.
			entry := pteToSwpEntry(e)
			if s.swapDuplicate(entry) < 0 {
				err = ErrOOM
				return
			}
			// swapoff must find dst: onto the mmlist right after src
			// (a migration entry too, as swap_duplicate lets it pass).
			s.mmlistAdd(dst, src)
			if !nonSwapEntry(entry) {
				dst.rss[MM_SWAPENTS]++
			} else if isMigrationEntry(entry) {
				if s.pages[entry.Offset].PageAnon() {
					dst.rss[MM_ANONPAGES]++
				} else {
					dst.rss[MM_FILEPAGES]++
				}
				if entry.Type == SWP_MIGRATION_WRITE && cow {
					entry.Type = SWP_MIGRATION_READ
					e = swpEntryToPte(entry)
					*sp = e
				}
			}
			*dp = e
			return
		}
		if cow {
			*sp = sp.wrprotect()
			e = e.wrprotect()
		}
		if v.Flags&VM_SHARED != 0 {
			e = e.mkclean()
		}
		e = e.mkold()
		if pfn, ok := s.vmNormalPage(v, addr, e); ok {
			s.GetPage(pfn)
			s.pages[pfn].mapcount++ // page_dup_rmap
			if s.pages[pfn].PageAnon() {
				dst.rss[MM_ANONPAGES]++
			} else {
				dst.rss[MM_FILEPAGES]++
			}
		}
		*dp = e
	})
	return err
}
