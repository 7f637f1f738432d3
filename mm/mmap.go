// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"errors"
	"slices"

	"pagesim/sim"
)

// mm/mmap.c and the mm half of kernel/fork.c: creating and tearing down
// address spaces, mmap and munmap of anonymous memory, and fork's copy.
//
// Model: VMAs are never merged with their neighbours (vma_merge) and an
// anon_vma is never shared with a neighbour (find_mergeable_anon_vma);
// address-space layout randomization is off, so mmap_base is TASK_SIZE less
// the 128 MiB minimum stack gap.

// Errnos the address-space calls return.
var (
	EINVAL = errors.New("EINVAL")
	ENOMEM = errors.New("ENOMEM")
)

// mmapBase is mmap_base() without randomization.
const mmapBase = (TASK_SIZE - 128<<20) &^ (PAGE_SIZE - 1)

// NewMM is mm_alloc() with mm_init(): an empty address space with its pgd
// page.
func (s *System) NewMM() (*MMStruct, error) {
	s.Cover("mm_alloc")
	id, pfn, ok := s.allocPageTable(levelPGD)
	if !ok {
		return nil, ENOMEM
	}
	s.mms++
	m := &MMStruct{sys: s, ID: s.mms, pgd: id, pgdPFN: pfn, mmUsers: 1, mmCount: 1}
	s.mmList = append(s.mmList, m)
	return m, nil
}

// getUnmappedArea is arch_get_unmapped_area_topdown(): the highest gap
// below mmap_base that fits.
func (m *MMStruct) getUnmappedArea(length uint64) (uint64, bool) {
	top := uint64(mmapBase)
	for i := len(m.vmas) - 1; i >= 0; i-- {
		v := m.vmas[i]
		if v.Start >= top {
			continue
		}
		if v.End <= top-length && top >= length {
			return top - length, true
		}
		top = v.Start
	}
	if top >= length+PAGE_SIZE {
		return top - length, true
	}
	return 0, false
}

// insertVMA links a VMA in address order (vma_link).
func (m *MMStruct) insertVMA(v *VMArea) {
	i := 0
	for i < len(m.vmas) && m.vmas[i].Start < v.Start {
		i++
	}
	m.vmas = append(m.vmas, nil)
	copy(m.vmas[i+1:], m.vmas[i:])
	m.vmas[i] = v
}

// MAP_* flags of mmap(2) that anonymous mappings use,
// arch/x86/include/uapi/asm/mman.h and include/uapi/asm-generic/mman.h.
const (
	MAP_LOCKED   = 0x2000
	MAP_POPULATE = 0x8000
	MAP_NONBLOCK = 0x10000
)

// MmapAnon is do_mmap_pgoff() -> mmap_region() for MAP_PRIVATE|
// MAP_ANONYMOUS: a new VMA of length bytes (rounded up to pages), readable
// and, if write, writable. It returns the start address.
func (s *System) MmapAnon(m *MMStruct, length uint64, write bool) (uint64, error) {
	return s.MmapAnonFlags(m, length, write, 0)
}

// MmapAnonFlags is vm_mmap_pgoff() -> do_mmap_pgoff() -> mmap_region() for
// MAP_PRIVATE|MAP_ANONYMOUS|flags, then mm_populate() when the mapping is
// VM_LOCKED (MAP_LOCKED) or MAP_POPULATE without MAP_NONBLOCK. Population
// errors are ignored, as mm_populate ignores them. Other flag bits are
// ignored.
func (s *System) MmapAnonFlags(m *MMStruct, length uint64, write bool, flags int) (uint64, error) {
	s.Cover("vm_mmap_pgoff")
	if length == 0 {
		return 0, EINVAL
	}
	length = (length + PAGE_SIZE - 1) &^ (PAGE_SIZE - 1)
	if length > TASK_SIZE {
		return 0, ENOMEM
	}
	addr, ok := m.getUnmappedArea(length)
	if !ok {
		return 0, ENOMEM
	}
	vmFlags := uint64(VM_READ | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT)
	if write {
		vmFlags |= VM_WRITE
	}
	// mlock hook (mlock.go): calc_vm_flag_bits turns MAP_LOCKED into
	// VM_LOCKED, checked by can_do_mlock and mlock_future_check.
	if flags&MAP_LOCKED != 0 {
		vmFlags |= VM_LOCKED
		if !s.canDoMlock() {
			return 0, EPERM
		}
	}
	if err := s.mlockFutureCheck(m, vmFlags, length); err != nil {
		return 0, EAGAIN
	}
	v := &VMArea{mm: m, Start: addr, End: addr + length, Flags: vmFlags, Pgoff: addr >> PAGE_SHIFT}
	m.insertVMA(v)
	m.totalVM += length >> PAGE_SHIFT
	// mlock hook: mmap_region counts a VM_LOCKED VMA in locked_vm (or
	// drops VM_LOCKED from a special one); vm_mmap_pgoff then populates.
	if vmFlags&VM_LOCKED != 0 {
		if vmFlags&VM_SPECIAL == 0 && !s.isVMHugetlbPage(v) {
			m.lockedVM += length >> PAGE_SHIFT
		} else {
			v.Flags &^= VM_LOCKED
		}
	}
	if vmFlags&VM_LOCKED != 0 || flags&(MAP_POPULATE|MAP_NONBLOCK) == MAP_POPULATE {
		s.__mmPopulate(m, addr, length, true)
	}
	return addr, nil
}

// splitVMA is __split_vma(): cut v at addr; the new VMA shares v's
// anon_vmas (anon_vma_clone) and takes the part below addr when newBelow.
func (s *System) splitVMA(m *MMStruct, v *VMArea, addr uint64, newBelow bool) {
	s.Cover("__split_vma")
	n := &VMArea{mm: m, Flags: v.Flags, anonVma: v.anonVma}
	if newBelow {
		n.Start, n.End, n.Pgoff = v.Start, addr, v.Pgoff
		v.Pgoff += (addr - v.Start) >> PAGE_SHIFT
		v.Start = addr
	} else {
		n.Start, n.End = addr, v.End
		n.Pgoff = v.Pgoff + (addr-v.Start)>>PAGE_SHIFT
		v.End = addr
	}
	anonVMAClone(n, v)
	m.insertVMA(n)
	// vma_adjust: the new piece of a file VMA joins i_mmap too.
	if v.File != nil {
		n.File = v.File
		vmaLinkFile(n)
	}
}

// Munmap is do_munmap(): split the VMAs at the range's ends, detach the
// ones inside, unmap their pages and free the page tables nothing else uses.
func (s *System) Munmap(m *MMStruct, start, length uint64) error {
	s.Cover("do_munmap")
	if start&(PAGE_SIZE-1) != 0 || start > TASK_SIZE || length > TASK_SIZE-start {
		return EINVAL
	}
	length = (length + PAGE_SIZE - 1) &^ (PAGE_SIZE - 1)
	if length == 0 {
		return EINVAL
	}
	end := start + length
	v := m.findVMA(start)
	if v == nil || v.Start >= end {
		return nil
	}
	if start > v.Start {
		s.splitVMA(m, v, start, false)
	}
	if last := m.findVMA(end); last != nil && end > last.Start {
		s.splitVMA(m, last, end, true)
	}
	// mlock hook (mlock.go): unlock any mlock()ed VMAs in the range before
	// detaching them, as do_munmap does.
	if m.lockedVM != 0 {
		for _, x := range m.vmas {
			if x.Start >= start && x.Start < end && x.Flags&VM_LOCKED != 0 {
				m.lockedVM -= (x.End - x.Start) >> PAGE_SHIFT
				s.munlockVMAPagesAll(x)
			}
		}
	}
	// detach_vmas_to_be_unmapped
	var gone, kept []*VMArea
	for _, x := range m.vmas {
		if x.Start >= start && x.End <= end {
			gone = append(gone, x)
			m.totalVM -= (x.End - x.Start) >> PAGE_SHIFT
		} else {
			kept = append(kept, x)
		}
	}
	m.vmas = kept
	s.unmapRegion(m, gone)
	return nil
}

// unmapRegion is unmap_region(): drain this CPU's pagevecs, unmap the
// VMAs' pages through an mmu_gather, free the page tables no remaining VMA
// needs, then finish the gather.
func (s *System) unmapRegion(m *MMStruct, vmas []*VMArea) {
	s.LRUAddDrain()
	tlb := s.tlbGatherMMU(m)
	for _, v := range vmas {
		s.zapPTERange(tlb, v, v.Start, v.End)
	}
	s.freePgtables(tlb, m, vmas)
	s.tlbFinishMMU(tlb)
}

// freePgtables is free_pgtables(): unlink the VMAs from their anon_vmas,
// then free every page table whose span no remaining VMA touches. Page
// table pages go through the gather like user pages (pte_free_tlb).
func (s *System) freePgtables(tlb *mmuGather, m *MMStruct, gone []*VMArea) {
	s.Cover("free_pgtables")
	for _, v := range gone {
		s.unlinkAnonVMAs(v)
		unlinkFileVMA(v)
	}
	used := func(lo, hi uint64) bool {
		for _, v := range m.vmas {
			if v.Start < hi && v.End > lo {
				return true
			}
		}
		return false
	}
	// One walk over the span of all the VMAs going: an upper-level table
	// freed for one of them must have been emptied of the lower tables
	// under the others first.
	if len(gone) > 0 {
		lo, hi := gone[0].Start, gone[0].End
		for _, v := range gone[1:] {
			lo, hi = min(lo, v.Start), max(hi, v.End)
		}
		s.freeTablesIn(tlb, m, m.pgd, PGDIR_SHIFT, 0, lo, hi, used)
	}
}

// freeTablesIn frees the lower-level tables under table t (whose entries
// each span 1<<shift bytes from base) that cover part of [start, end) and
// that no VMA uses.
func (s *System) freeTablesIn(tlb *mmuGather, m *MMStruct, t ptTable, shift uint, base, start, end uint64, used func(lo, hi uint64) bool) {
	span := uint64(1) << shift
	for i := 0; i < PTRS_PER_TABLE; i++ {
		lo := base + uint64(i)*span
		hi := lo + span
		if hi <= start || lo >= end {
			continue
		}
		e := &s.entries(t)[i]
		if e.none() {
			continue
		}
		child := s.tableOf(*e)
		level := levelPUD
		switch shift {
		case PUD_SHIFT:
			level = levelPMD
		case PMD_SHIFT:
			level = levelPTE
		}
		if level != levelPTE {
			s.freeTablesIn(tlb, m, child, shift-9, lo, start, end, used)
		}
		if used(lo, hi) {
			continue
		}
		pfn := e.pfn()
		*e = 0
		s.pt.release(child)
		s.pages[pfn].private = 0
		if level == levelPTE {
			s.PageZone(&s.pages[pfn]).__decZoneState(NR_PAGETABLE)
			m.nrPtes--
		}
		if !s.__tlbRemovePage(tlb, pfn) {
			s.tlbFlushMMU(tlb)
		}
	}
}

// mmget is atomic_inc(&mm->mm_users); nil is init_mm, whose users never
// reach 0.
func (m *MMStruct) mmget() {
	if m != nil {
		m.mmUsers++
	}
}

// Mmput is mmput() (kernel/fork.c): drop a user of m; the last one tears
// the address space down (exit_mmap) and takes it off swapoff's mmlist.
// nil is init_mm.
func (s *System) Mmput(m *MMStruct) {
	if m == nil {
		return
	}
	m.mmUsers--
	if m.mmUsers != 0 {
		return
	}
	s.exitMMap(m)
	if m.onMMList {
		s.mmlistDel(m)
	}
}

// ExitMM is exit_mm() (kernel/exit.c) for task t leaving m: t's mm
// becomes NULL (the OOM killer passes over it from now on), its user of
// m is dropped (mmput: the last one frees the memory), and TIF_MEMDIE is
// cleared.
func (s *System) ExitMM(t *sim.Task, m *MMStruct) {
	if p := s.oomProc(t); p != nil {
		p.MM = nil
	}
	s.Mmput(m)
	delete(s.memdie, t)
}

// mmlistAdd is the "make sure mm is on swapoff's mmlist" step of
// try_to_unmap_one and copy_one_pte: list_add(&m->mmlist, &after->mmlist)
// (after nil is init_mm) if m is not on a list yet. copy_one_pte does it
// for a migration entry too, whose src need never have joined a list:
// list_add onto src's empty node then links src and m on a ring of their
// own, which init_mm's list (swapoff's walk) does not reach, and src,
// no longer list_empty, joins no other list, as in v3.16.
func (s *System) mmlistAdd(m, after *MMStruct) {
	if m.onMMList {
		return
	}
	ring, i := &s.mmlist, 0
	switch {
	case after == nil:
	case after.onMMList:
		ring = after.mmring
		i = slices.Index(*ring, after) + 1
	default:
		ring = &[]*MMStruct{after}
		after.mmring, after.onMMList = ring, true
		i = 1
	}
	*ring = slices.Insert(*ring, i, m)
	m.mmring, m.onMMList = ring, true
}

// mmlistDel is list_del(&m->mmlist). The last mm left on a ring of its
// own is linked to itself again: list_empty.
func (s *System) mmlistDel(m *MMStruct) {
	ring := m.mmring
	*ring = slices.DeleteFunc(*ring, func(o *MMStruct) bool { return o == m })
	m.mmring, m.onMMList = nil, false
	if ring != &s.mmlist && len(*ring) == 1 {
		last := (*ring)[0]
		last.mmring, last.onMMList = nil, false
	}
}

// mmlistNext is list_entry(m->mmlist.next) on init_mm's list: the mm
// after m, nil for init_mm. m is nil (init_mm) or on that list.
func (s *System) mmlistNext(m *MMStruct) *MMStruct {
	i := 0
	if m != nil {
		i = slices.Index(s.mmlist, m) + 1
	}
	if i == len(s.mmlist) {
		return nil
	}
	return s.mmlist[i]
}

// exitMMap is exit_mmap() with mmdrop(): unmap everything, free all page
// tables and the pgd. Mmput calls it when the last user goes.
func (s *System) exitMMap(m *MMStruct) {
	s.Cover("exit_mmap")
	// mlock hook (mlock.go): munlock the VM_LOCKED VMAs first, as
	// exit_mmap does; locked_vm is left as it is.
	if m.lockedVM != 0 {
		for _, v := range m.vmas {
			if v.Flags&VM_LOCKED != 0 {
				s.munlockVMAPagesAll(v)
			}
		}
	}
	s.LRUAddDrain()
	tlb := s.tlbGatherMMU(m)
	for _, v := range m.vmas {
		s.zapPTERange(tlb, v, v.Start, v.End)
	}
	gone := m.vmas
	m.vmas = nil
	s.freePgtables(tlb, m, gone)
	s.tlbFinishMMU(tlb)
	m.totalVM = 0
	s.freePageTable(levelPGD, m.pgdPFN)
	for i, x := range s.mmList {
		if x == m {
			s.mmList = append(s.mmList[:i], s.mmList[i+1:]...)
			break
		}
	}
}

// DupMM is dup_mm() with dup_mmap(): the child's address space copies every
// VMA but VM_DONTCOPY ones (without VM_LOCKED), links it to the parent's
// anon_vmas and copies the PTEs of VMAs with anonymous pages,
// write-protecting private ones.
func (s *System) DupMM(old *MMStruct) (*MMStruct, error) {
	s.Cover("dup_mm")
	m, err := s.NewMM()
	if err != nil {
		return nil, err
	}
	for _, pv := range old.vmas {
		// madvise hook (madvise.go): MADV_DONTFORK VMAs are not copied.
		if pv.Flags&VM_DONTCOPY != 0 {
			continue
		}
		v := &VMArea{mm: m, Start: pv.Start, End: pv.End, Flags: pv.Flags &^ VM_LOCKED, Pgoff: pv.Pgoff, File: pv.File}
		s.anonVMAFork(v, pv)
		m.insertVMA(v)
		if v.File != nil {
			vmaLinkFile(v) // get_file + i_mmap insert
		}
		m.totalVM += (v.End - v.Start) >> PAGE_SHIFT
		if err := s.copyPageRange(m, old, pv, v); err != nil {
			s.Mmput(m)
			return nil, err
		}
	}
	return m, nil
}

// THREAD_SIZE_ORDER: x86_64 kernel stacks are 16 KiB.
const THREAD_SIZE_ORDER = 2

// AllocThreadInfo is alloc_thread_info_node() with account_kernel_stack():
// a new task's kernel stack, an order-2 GFP_KERNEL allocation on its node.
func (s *System) AllocThreadInfo(nid int) (uint64, bool) {
	pfn, ok := s.AllocPagesNode(nid, GFP_KERNEL|GFP_NOTRACK, THREAD_SIZE_ORDER)
	if ok {
		s.PageZone(&s.pages[pfn]).modZonePageState(NR_KERNEL_STACK, 1)
	}
	return pfn, ok
}

// FreeThreadInfo is free_thread_info() with account_kernel_stack(-1).
func (s *System) FreeThreadInfo(pfn uint64) {
	s.PageZone(&s.pages[pfn]).modZonePageState(NR_KERNEL_STACK, -1)
	s.FreePages(pfn, THREAD_SIZE_ORDER)
}

// vmaLinkFile is __vma_link_file(): the VMA joins its file's i_mmap.
func vmaLinkFile(v *VMArea) {
	m := v.File.Mapping
	m.iMmap = append(m.iMmap, v)
}

// unlinkFileVMA is unlink_file_vma().
func unlinkFileVMA(v *VMArea) {
	if v.File == nil {
		return
	}
	m := v.File.Mapping
	for i, x := range m.iMmap {
		if x == v {
			m.iMmap = append(m.iMmap[:i], m.iMmap[i+1:]...)
			return
		}
	}
}

// MmapFile is do_mmap_pgoff() -> mmap_region() for a file: a VMA of length
// bytes mapping the file from page offset pgoff, shared (MAP_SHARED) or
// private, writable if write; it joins the file's i_mmap. It returns the
// start address.
//
// Model: the file's struct file is the mapping and its read-ahead state.
func (s *System) MmapFile(m *MMStruct, f *VMFile, pgoff, length uint64, write, shared bool) (uint64, error) {
	s.Cover("do_mmap_pgoff")
	if length == 0 {
		return 0, EINVAL
	}
	length = (length + PAGE_SIZE - 1) &^ (PAGE_SIZE - 1)
	if length > TASK_SIZE || pgoff+length>>PAGE_SHIFT < pgoff {
		return 0, ENOMEM
	}
	addr, ok := m.getUnmappedArea(length)
	if !ok {
		return 0, ENOMEM
	}
	flags := uint64(VM_READ | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)
	if write {
		flags |= VM_WRITE
	}
	if shared {
		flags |= VM_SHARED | VM_MAYSHARE
	} else if write {
		flags |= VM_ACCOUNT
	}
	v := &VMArea{mm: m, Start: addr, End: addr + length, Flags: flags, Pgoff: pgoff, File: f}
	m.insertVMA(v)
	vmaLinkFile(v)
	m.totalVM += length >> PAGE_SHIFT
	return addr, nil
}

// FindVMA is find_vma() for callers outside mm: the VMA containing addr,
// or nil.
func (m *MMStruct) FindVMA(addr uint64) *VMArea {
	if v := m.findVMA(addr); v != nil && v.Start <= addr {
		return v
	}
	return nil
}

// LinearPageIndex is linear_page_index().
func (v *VMArea) LinearPageIndex(addr uint64) uint64 { return v.linearPageIndex(addr) }
