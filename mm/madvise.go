// SPDX-License-Identifier: GPL-2.0-only

package mm

import "pagesim/klog"

// mm/madvise.c: madvise(2) for anonymous memory. Advice that changes VMA
// flags splits the VMAs to the range; MADV_DONTNEED zaps the range's pages;
// MADV_WILLNEED reads swap ahead.
//
// Model, for the whole file: CONFIG_KSM=n (MADV_MERGEABLE and
// MADV_UNMERGEABLE are invalid advice) and CONFIG_MEMORY_FAILURE=n
// (MADV_HWPOISON and MADV_SOFT_OFFLINE likewise); every VMA is anonymous,
// so MADV_REMOVE always fails and MADV_WILLNEED takes the swap-in path;
// VMAs are never merged (vma_merge), so a split VMA stays split when
// later advice gives the pieces equal flags again; mmap_sem is not
// modeled.

// Advice values, include/uapi/asm-generic/mman-common.h.
const (
	MADV_NORMAL       = 0
	MADV_RANDOM       = 1
	MADV_SEQUENTIAL   = 2
	MADV_WILLNEED     = 3
	MADV_DONTNEED     = 4
	MADV_REMOVE       = 9
	MADV_DONTFORK     = 10
	MADV_DOFORK       = 11
	MADV_MERGEABLE    = 12
	MADV_UNMERGEABLE  = 13
	MADV_HUGEPAGE     = 14
	MADV_NOHUGEPAGE   = 15
	MADV_DONTDUMP     = 16
	MADV_DODUMP       = 17
	MADV_HWPOISON     = 100
	MADV_SOFT_OFFLINE = 101
)

// VMA flags madvise sets or tests, include/linux/mm.h (the rest are in
// mm_types.go).
const (
	VM_SEQ_READ   = 0x00008000
	VM_RAND_READ  = 0x00010000
	VM_DONTCOPY   = 0x00020000
	VM_HUGETLB    = 0x00400000
	VM_NONLINEAR  = 0x00800000
	VM_DONTDUMP   = 0x04000000
	VM_HUGEPAGE   = 0x20000000
	VM_NOHUGEPAGE = 0x40000000

	// VM_NO_THP (mm/huge_memory.c): VMAs THP never touches.
	VM_NO_THP = VM_SPECIAL | VM_HUGETLB | VM_SHARED | VM_MAYSHARE
)

func init() {
	klog.RegisterSymbol("pagesim/mm.(*System).Madvise", "SyS_madvise")
}

// madviseBehavior is madvise_behavior(): compute the VMA flags the advice
// asks for and, if they differ, split v to [start, end) and set them.
// ENOMEM from a split is reported as EAGAIN.
//
// Model: vma_merge is not modeled; __split_vma cannot fail here
// (sysctl_max_map_count and slab failures are not modeled).
func (s *System) madviseBehavior(v *VMArea, prev **VMArea, start, end uint64, behavior int) error {
	s.Cover("madvise_behavior")
	m := v.mm
	newFlags := v.Flags
	switch behavior {
	case MADV_NORMAL:
		newFlags &^= VM_RAND_READ | VM_SEQ_READ
	case MADV_SEQUENTIAL:
		newFlags = newFlags&^VM_RAND_READ | VM_SEQ_READ
	case MADV_RANDOM:
		newFlags = newFlags&^VM_SEQ_READ | VM_RAND_READ
	case MADV_DONTFORK:
		newFlags |= VM_DONTCOPY
	case MADV_DOFORK:
		if v.Flags&VM_IO != 0 {
			return EINVAL
		}
		newFlags &^= VM_DONTCOPY
	case MADV_DONTDUMP:
		newFlags |= VM_DONTDUMP
	case MADV_DODUMP:
		if newFlags&VM_SPECIAL != 0 {
			return EINVAL
		}
		newFlags &^= VM_DONTDUMP
	case MADV_HUGEPAGE, MADV_NOHUGEPAGE:
		if err := s.hugepageMadvise(v, &newFlags, behavior); err != nil {
			if err == ENOMEM {
				return EAGAIN
			}
			return err
		}
	}
	if newFlags == v.Flags {
		*prev = v
		return nil
	}
	*prev = v
	if start != v.Start {
		s.splitVMA(m, v, start, true)
	}
	if end != v.End {
		s.splitVMA(m, v, end, false)
	}
	v.Flags = newFlags
	return nil
}

// hugepageMadvise is hugepage_madvise() (mm/huge_memory.c): MADV_HUGEPAGE
// and MADV_NOHUGEPAGE set VM_HUGEPAGE or VM_NOHUGEPAGE, refusing a VMA that
// already has it or that THP never handles.
//
// Model: transparent_hugepage/enabled is never, so khugepaged_enter_vma_merge
// registers nothing with khugepaged and cannot fail.
func (s *System) hugepageMadvise(v *VMArea, vmFlags *uint64, advice int) error {
	s.Cover("hugepage_madvise")
	switch advice {
	case MADV_HUGEPAGE:
		if *vmFlags&(VM_HUGEPAGE|VM_NO_THP) != 0 {
			return EINVAL
		}
		*vmFlags = *vmFlags&^VM_NOHUGEPAGE | VM_HUGEPAGE
	case MADV_NOHUGEPAGE:
		if *vmFlags&(VM_NOHUGEPAGE|VM_NO_THP) != 0 {
			return EINVAL
		}
		*vmFlags = *vmFlags&^VM_HUGEPAGE | VM_NOHUGEPAGE
	}
	return nil
}

// forceSwapinReadahead is force_swapin_readahead() with
// swapin_walk_pmd_entry(): start reading every swapped-out page of
// [start, end) into the swap cache (read_swap_cache_async, swap_state.go),
// then drain this CPU's pagevecs so the new pages are on the LRU.
func (s *System) forceSwapinReadahead(v *VMArea, start, end uint64) {
	s.Cover("force_swapin_readahead")
	for addr := start; addr < end; addr += PAGE_SIZE {
		// Each PTE is read afresh: the read before may have slept.
		ptep := v.mm.pteOffset(addr)
		if ptep == nil || ptep.present() || ptep.none() {
			continue
		}
		entry := pteToSwpEntry(*ptep)
		if nonSwapEntry(entry) {
			continue
		}
		if pfn, ok := s.readSwapCacheAsync(entry, GFP_HIGHUSER_MOVABLE, v, addr); ok {
			s.PutPage(pfn)
		}
	}
	s.LRUAddDrain()
}

// madviseWillneed is madvise_willneed(): for anonymous memory (with
// CONFIG_SWAP), swap-in readahead.
func (s *System) madviseWillneed(v *VMArea, prev **VMArea, start, end uint64) error {
	*prev = v
	s.forceSwapinReadahead(v, start, end)
	return nil
}

// madviseDontneed is madvise_dontneed(): throw away [start, end) of v
// (zap_page_range); mlocked, hugetlb and PFN-mapped VMAs refuse.
//
// Model: nonlinear VMAs (remap_file_pages) are not modeled.
func (s *System) madviseDontneed(v *VMArea, prev **VMArea, start, end uint64) error {
	*prev = v
	if v.Flags&(VM_LOCKED|VM_HUGETLB|VM_PFNMAP) != 0 {
		return EINVAL
	}
	s.zapPageRange(v, start, end-start)
	return nil
}

// madviseRemove is madvise_remove(): punch a hole in a shared file
// mapping. It tells sys_madvise that it dropped mmap_sem (*prev = nil).
//
// Model: hole punching (->fallocate with FALLOC_FL_PUNCH_HOLE, which
// shmem, ext4 and xfs have in v3.16) is not modeled, so it fails with
// EINVAL on every VMA, as it does on anonymous and private ones.
func (s *System) madviseRemove(v *VMArea, prev **VMArea, start, end uint64) error {
	*prev = nil
	// Locked, nonlinear or hugetlb VMAs fail first, then any without a
	// file: EINVAL either way.
	return EINVAL
}

// madviseVMA is madvise_vma().
func (s *System) madviseVMA(v *VMArea, prev **VMArea, start, end uint64, behavior int) error {
	s.Cover("madvise_vma")
	switch behavior {
	case MADV_REMOVE:
		return s.madviseRemove(v, prev, start, end)
	case MADV_WILLNEED:
		return s.madviseWillneed(v, prev, start, end)
	case MADV_DONTNEED:
		return s.madviseDontneed(v, prev, start, end)
	default:
		return s.madviseBehavior(v, prev, start, end, behavior)
	}
}

// madviseBehaviorValid is madvise_behavior_valid() with CONFIG_KSM=n and
// CONFIG_TRANSPARENT_HUGEPAGE=y.
func madviseBehaviorValid(behavior int) bool {
	switch behavior {
	case MADV_DOFORK, MADV_DONTFORK, MADV_NORMAL, MADV_SEQUENTIAL, MADV_RANDOM,
		MADV_REMOVE, MADV_WILLNEED, MADV_DONTNEED,
		MADV_HUGEPAGE, MADV_NOHUGEPAGE,
		MADV_DONTDUMP, MADV_DODUMP:
		return true
	}
	return false
}

// Madvise is sys_madvise(). The checks come in v3.16's order: the advice
// (EINVAL), start's alignment (EINVAL), a length that rounds up past the
// end of the address space (EINVAL), an empty range (success). Then each
// VMA piece of the range gets the advice; unmapped gaps are skipped but
// make the call return ENOMEM at the end, and a range running past the last
// VMA returns ENOMEM at once. An error from one VMA stops the walk, the
// VMAs before it keeping the advice.
func (s *System) Madvise(m *MMStruct, start, length uint64, behavior int) error {
	s.Cover("sys_madvise")
	if !madviseBehaviorValid(behavior) {
		return EINVAL
	}
	if start&(PAGE_SIZE-1) != 0 {
		return EINVAL
	}
	l := pageAlign(length)
	if length != 0 && l == 0 {
		return EINVAL
	}
	end := start + l
	if end < start {
		return EINVAL
	}
	if end == start {
		return nil
	}
	// find_vma_prev
	v := m.findVMA(start)
	var prev *VMArea
	if v != nil {
		prev = m.vmPrev(v)
	} else if len(m.vmas) > 0 {
		prev = m.vmas[len(m.vmas)-1]
	}
	if v != nil && start > v.Start {
		prev = v
	}
	// The walk runs under a block plug (MADV_WILLNEED's swap-ins merge).
	var plug BlkPlug
	s.BlkStartPlug(&plug)
	defer s.BlkFinishPlug(&plug)
	var unmappedError error
	for {
		if v == nil {
			return ENOMEM
		}
		if start < v.Start {
			unmappedError = ENOMEM
			start = v.Start
			if start >= end {
				return ENOMEM
			}
		}
		tmp := min(v.End, end)
		if err := s.madviseVMA(v, &prev, start, tmp, behavior); err != nil {
			return err
		}
		start = tmp
		if prev != nil && start < prev.End {
			start = prev.End
		}
		if start >= end {
			return unmappedError
		}
		if prev != nil {
			v = m.vmNext(prev)
		} else {
			v = m.findVMA(start)
		}
	}
}

// unmapSingleVMA is unmap_single_vma() (mm/memory.c): zap the part of v
// inside [startAddr, endAddr).
//
// Model: hugetlb VMAs and PFN tracking are not modeled.
func (s *System) unmapSingleVMA(tlb *mmuGather, v *VMArea, startAddr, endAddr uint64) {
	s.Cover("unmap_single_vma")
	start := max(v.Start, startAddr)
	if start >= v.End {
		return
	}
	end := min(v.End, endAddr)
	if end <= v.Start {
		return
	}
	if start != end {
		s.zapPTERange(tlb, v, start, end)
	}
}

// zapPageRange is zap_page_range() (mm/memory.c): drain this CPU's
// pagevecs, then unmap [start, start+size) of v and the VMAs after it
// through an mmu_gather, whose flush frees the pages that lost their last
// reference.
//
// Model: hiwater_rss and mmu notifiers are not modeled.
func (s *System) zapPageRange(v *VMArea, start, size uint64) {
	s.Cover("zap_page_range")
	m := v.mm
	end := start + size
	s.LRUAddDrain()
	tlb := s.tlbGatherMMU(m)
	for x := v; x != nil && x.Start < end; x = m.vmNext(x) {
		s.unmapSingleVMA(tlb, x, start, end)
	}
	s.tlbFinishMMU(tlb)
}
