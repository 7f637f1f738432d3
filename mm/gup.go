// SPDX-License-Identifier: GPL-2.0-only

package mm

import "errors"

// mm/gup.c: walking a task's page tables for the pages behind a user range,
// faulting in what is missing. mlock and MAP_POPULATE use it to populate and
// mlock a range (FOLL_MLOCK), munlock to find the pages to unlock
// (FOLL_GET|FOLL_DUMP).
//
// Model, for the whole file: no hugetlbfs VMAs and no transparent huge pages
// exist (THP enabled = never), so every lookup ends at a PTE and page_mask is
// always 0; the gate area (the vsyscall page) lies above TASK_SIZE and no
// user range reaches it; mmap_sem is not modeled, so the nonblocking
// protocol only matters if a fault returns VM_FAULT_RETRY (a page lock
// waited for in filemap_fault or do_swap_page).

// FOLL_* flags for get_user_pages and follow_page, include/linux/mm.h.
const (
	FOLL_WRITE     = 0x01
	FOLL_TOUCH     = 0x02
	FOLL_GET       = 0x04
	FOLL_DUMP      = 0x08
	FOLL_FORCE     = 0x10
	FOLL_NOWAIT    = 0x20
	FOLL_MLOCK     = 0x40
	FOLL_SPLIT     = 0x80
	FOLL_HWPOISON  = 0x100
	FOLL_NUMA      = 0x200
	FOLL_MIGRATION = 0x400
)

// FAULT_FLAG_RETRY_NOWAIT, include/linux/mm.h.
const FAULT_FLAG_RETRY_NOWAIT = 0x10

// Errnos faultin_page uses internally to steer __get_user_pages; they never
// reach user space.
var (
	errEBUSY  = errors.New("EBUSY")
	errENOENT = errors.New("ENOENT")
)

// noPageTable is no_page_table(): a hole. With FOLL_DUMP it is an error for
// a VMA without a ->fault (anonymous memory: the hole would read as zeroes),
// otherwise NULL so that the caller faults it in.
//
// Model: every VMA is anonymous (no vm_ops) until file mappings arrive.
func (s *System) noPageTable(v *VMArea, flags int) (uint64, bool, error) {
	if flags&FOLL_DUMP != 0 {
		return 0, false, EFAULT
	}
	return 0, false, nil
}

// getPageFoll is get_page_foll() (mm/internal.h): follow_page's reference
// on a page already referenced by its PTE.
func (s *System) getPageFoll(pfn uint64) {
	p := &s.pages[pfn]
	s.vmBugOnPage(p.count <= 0, pfn, "atomic_read(&page->_count) <= 0", "mm/internal.h", 89)
	p.count++
}

// followPagePte is follow_page_pte(): the page the PTE at address maps.
// It returns the page (ok), NULL (!ok, nil error: the caller should fault)
// or an error pointer (EFAULT). FOLL_TOUCH dirties and marks the page
// accessed; FOLL_MLOCK in a VM_LOCKED VMA mlocks it if its lock is free.
//
// Model: migration entries (FOLL_MIGRATION) and NUMA hinting PTEs
// (FOLL_NUMA) arrive with migration and NUMA balancing; neither exists yet.
func (s *System) followPagePte(v *VMArea, address uint64, ptep *pte, flags int) (uint64, bool, error) {
	s.Cover("follow_page_pte")
	e := *ptep
	if !e.present() {
		if !e.none() {
			return 0, false, nil
		}
		return s.noPageTable(v, flags)
	}
	if flags&FOLL_WRITE != 0 && !e.write() {
		return 0, false, nil
	}
	pfn, ok := s.vmNormalPage(v, address, e)
	if !ok {
		if flags&FOLL_DUMP != 0 || !s.isZeroPFN(e.pfn()) {
			return 0, false, EFAULT
		}
		pfn = e.pfn()
	}
	p := &s.pages[pfn]
	if flags&FOLL_GET != 0 {
		s.getPageFoll(pfn)
	}
	if flags&FOLL_TOUCH != 0 {
		if flags&FOLL_WRITE != 0 && !e.dirty() && !p.PageDirty() {
			s.setPageDirty(pfn)
		}
		s.MarkPageAccessed(pfn)
	}
	if flags&FOLL_MLOCK != 0 && v.Flags&VM_LOCKED != 0 {
		// The zero page has no mapping; a page whose lock is taken is left
		// for reclaim to find mlocked later.
		if p.mapping != 0 && s.trylockPage(pfn) {
			s.LRUAddDrain()
			s.mlockVMAPage(pfn)
			s.unlockPage(pfn)
		}
	}
	return pfn, true, nil
}

// followPageMask is follow_page_mask(): walk to the PTE for address and
// follow it. page_mask is always 0 here (no huge pages), so it is not
// returned.
func (s *System) followPageMask(v *VMArea, address uint64, flags int) (uint64, bool, error) {
	ptep := v.mm.pteOffset(address)
	if ptep == nil {
		return s.noPageTable(v, flags)
	}
	return s.followPagePte(v, address, ptep, flags)
}

// FollowPage is follow_page(vma, address, 0) for callers outside mm: the
// page mapped at addr in m (no reference taken), false if none is present
// (a hole, the zero page, or a page in swap).
func (s *System) FollowPage(m *MMStruct, addr uint64) (uint64, bool) {
	v := m.FindVMA(addr)
	if v == nil {
		return 0, false
	}
	pfn, ok, err := s.followPageMask(v, addr&^(PAGE_SIZE-1), 0)
	return pfn, ok && err == nil
}

// vmaGrowsdown is vma_growsdown(): v is a stack VMA ending at addr.
func vmaGrowsdown(v *VMArea, addr uint64) bool {
	return v != nil && v.End == addr && v.Flags&VM_GROWSDOWN != 0
}

// stackGuardPageStart is stack_guard_page_start(): addr is the guard page
// at the bottom of a stack VMA.
func stackGuardPageStart(v *VMArea, addr uint64) bool {
	return v.Flags&VM_GROWSDOWN != 0 && v.Start == addr && !vmaGrowsdown(v.mm.vmPrev(v), addr)
}

// faultinPage is faultin_page(): fault in the page __get_user_pages could
// not follow. A write fault that broke COW in a VMA that is not writable
// (FOLL_FORCE) drops FOLL_WRITE so the retry follows the copy as a read.
//
// Model: the task's min_flt/maj_flt counters are not modeled;
// VM_FAULT_HWPOISON cannot happen (CONFIG_MEMORY_FAILURE=n).
func (s *System) faultinPage(v *VMArea, address uint64, flags *int, nonblocking *bool) error {
	s.Cover("faultin_page")
	if *flags&FOLL_MLOCK != 0 && stackGuardPageStart(v, address) {
		// stack_guard_page_end needs VM_GROWSUP, which x86 has not.
		return errENOENT
	}
	faultFlags := 0
	if *flags&FOLL_WRITE != 0 {
		faultFlags |= FAULT_FLAG_WRITE
	}
	if nonblocking != nil {
		faultFlags |= FAULT_FLAG_ALLOW_RETRY
	}
	if *flags&FOLL_NOWAIT != 0 {
		faultFlags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_RETRY_NOWAIT
	}
	ret := s.handleMMFault(v.mm, v, address, faultFlags)
	if ret&(VM_FAULT_OOM|VM_FAULT_SIGBUS) != 0 {
		if ret&VM_FAULT_OOM != 0 {
			return ENOMEM
		}
		return EFAULT
	}
	if ret&VM_FAULT_SIGSEGV != 0 {
		// v3.16 has no VM_FAULT_SIGSEGV; any other error bit is a BUG.
		s.bug("mm/gup.c", 288)
	}
	if ret&VM_FAULT_RETRY != 0 {
		if nonblocking != nil {
			*nonblocking = false
		}
		return errEBUSY
	}
	if ret&VM_FAULT_WRITE != 0 && v.Flags&VM_WRITE == 0 {
		*flags &^= FOLL_WRITE
	}
	return nil
}

// checkVMAFlags is check_vma_flags(): may get_user_pages touch this VMA
// the way gupFlags asks?
func (s *System) checkVMAFlags(v *VMArea, gupFlags int) error {
	s.Cover("check_vma_flags")
	vmFlags := v.Flags
	if vmFlags&(VM_IO|VM_PFNMAP) != 0 {
		return EFAULT
	}
	if gupFlags&FOLL_WRITE != 0 {
		if vmFlags&VM_WRITE == 0 {
			if gupFlags&FOLL_FORCE == 0 {
				return EFAULT
			}
			if !isCOWMapping(vmFlags) {
				s.warnOnOnce(vmFlags&VM_MAYWRITE != 0, "mm/gup.c", 339)
				return EFAULT
			}
		}
	} else if vmFlags&VM_READ == 0 {
		if gupFlags&FOLL_FORCE == 0 {
			return EFAULT
		}
		if vmFlags&VM_MAYREAD == 0 {
			return EFAULT
		}
	}
	return nil
}

// findExtendVMA is find_extend_vma() (mm/mmap.c): the VMA containing addr.
//
// Model: stack expansion (expand_stack for VM_GROWSDOWN) is not modeled, as
// in __doPageFault; an address below a VMA is not in one.
func (s *System) findExtendVMA(m *MMStruct, addr uint64) *VMArea {
	addr &^= PAGE_SIZE - 1
	v := m.findVMA(addr)
	if v == nil || v.Start > addr {
		return nil
	}
	return v
}

// ERESTARTSYS is what get_user_pages returns for a task killed before it
// got any page.
var ERESTARTSYS = errors.New("ERESTARTSYS")

// __getUserPages is __get_user_pages() with pages and vmas NULL: fault in
// and follow nrPages pages from start. It returns how many it got, or an
// error if it got none; a fatal signal stops it before the next page
// (-ERESTARTSYS if none yet), so that a killed task does not go on
// faulting and allocating.
func (s *System) __getUserPages(m *MMStruct, start, nrPages uint64, gupFlags int, nonblocking *bool) (uint64, error) {
	s.Cover("__get_user_pages")
	if nrPages == 0 {
		return 0, nil
	}
	if gupFlags&FOLL_GET != 0 {
		// No pages array to return references in.
		s.bug("mm/gup.c", 417)
	}
	if gupFlags&FOLL_FORCE == 0 {
		gupFlags |= FOLL_NUMA
	}
	var i uint64
	var v *VMArea
	fail := func(err error) (uint64, error) {
		if i != 0 {
			return i, nil
		}
		return 0, err
	}
	for {
		follFlags := gupFlags
		if v == nil || start >= v.End {
			v = s.findExtendVMA(m, start)
			if v == nil {
				return fail(EFAULT)
			}
			if err := s.checkVMAFlags(v, gupFlags); err != nil {
				return fail(err)
			}
		}
	retry:
		if s.FatalSignalPending(s.current()) {
			s.Cover("__get_user_pages:fatal_signal")
			return fail(ERESTARTSYS)
		}
		s.condResched()
		_, ok, err := s.followPageMask(v, start, follFlags)
		if !ok && err == nil {
			switch ferr := s.faultinPage(v, start, &follFlags, nonblocking); ferr {
			case nil:
				goto retry
			case EFAULT, ENOMEM:
				return fail(ferr)
			case errEBUSY:
				return i, nil
			case errENOENT:
				goto nextPage
			default:
				s.bug("mm/gup.c", 480)
			}
		}
		if err != nil {
			return fail(err)
		}
	nextPage:
		i++
		start += PAGE_SIZE
		nrPages--
		if nrPages == 0 {
			return i, nil
		}
	}
}

// GetUserPages is get_user_pages() with a pages array (FOLL_GET|
// FOLL_TOUCH, FOLL_WRITE for a write): each page of [start,
// start+nrPages pages) is faulted in if need be and returned with a
// reference the caller must drop with PutUserPages, as direct I/O holds
// pages while the device works.
func (s *System) GetUserPages(m *MMStruct, start, nrPages uint64, write bool) ([]uint64, error) {
	s.Cover("get_user_pages")
	flags := FOLL_GET | FOLL_TOUCH
	if write {
		flags |= FOLL_WRITE
	}
	var out []uint64
	for i := uint64(0); i < nrPages; i++ {
		addr := start&^(PAGE_SIZE-1) + i*PAGE_SIZE
		v := m.FindVMA(addr)
		if v == nil || (write && v.Flags&VM_WRITE == 0) {
			return out, EFAULT
		}
		for tries := 0; ; tries++ {
			if s.FatalSignalPending(s.current()) {
				if len(out) > 0 {
					return out, nil
				}
				return nil, ERESTARTSYS
			}
			pfn, ok, err := s.followPageMask(v, addr, flags)
			if err != nil {
				return out, err
			}
			if ok {
				out = append(out, pfn)
				if s.userPins == nil {
					s.userPins = map[uint64]int32{}
				}
				s.userPins[pfn]++
				break
			}
			if tries > 3 {
				return out, EFAULT
			}
			f := flags
			if err := s.faultinPage(v, addr, &f, nil); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// PutUserPages drops the references GetUserPages returned (put_page on
// each, as the direct I/O completion does).
func (s *System) PutUserPages(pfns []uint64) {
	for _, pfn := range pfns {
		if s.userPins[pfn]--; s.userPins[pfn] == 0 {
			delete(s.userPins, pfn)
		}
		s.PutPage(pfn)
	}
}
