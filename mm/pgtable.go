// SPDX-License-Identifier: GPL-2.0-only

package mm

// x86_64 four-level page tables (arch/x86/include/asm/pgtable*.h,
// arch/x86/mm/pgtable.c). Every table lives in a real page frame taken from
// the page allocator, as the kernel's do, so page tables cost memory,
// count in NR_PAGETABLE and are unmovable allocations. The 512 entries of a
// table are kept in a slab indexed by a table id that the table's frame
// holds in page->private (where the kernel keeps the split page-table lock).

// PTE bits, arch/x86/include/asm/pgtable_types.h.
const (
	_PAGE_BIT_PRESENT  = 0
	_PAGE_BIT_RW       = 1
	_PAGE_BIT_USER     = 2
	_PAGE_BIT_ACCESSED = 5
	_PAGE_BIT_DIRTY    = 6
	_PAGE_BIT_PROTNONE = 8
	_PAGE_BIT_SPECIAL  = 9
	_PAGE_BIT_NX       = 63

	_PAGE_PRESENT  uint64 = 1 << _PAGE_BIT_PRESENT
	_PAGE_RW       uint64 = 1 << _PAGE_BIT_RW
	_PAGE_USER     uint64 = 1 << _PAGE_BIT_USER
	_PAGE_ACCESSED uint64 = 1 << _PAGE_BIT_ACCESSED
	_PAGE_DIRTY    uint64 = 1 << _PAGE_BIT_DIRTY
	_PAGE_SPECIAL  uint64 = 1 << _PAGE_BIT_SPECIAL
	_PAGE_NX       uint64 = 1 << _PAGE_BIT_NX

	ptePFNMask uint64 = (1<<52 - 1) &^ (PAGE_SIZE - 1)

	// Swap entries in non-present PTEs (pgtable_64.h with
	// CONFIG_NUMA_BALANCING): type in bits 1-5, offset from bit 10.
	SWP_TYPE_BITS    = 5
	SWP_OFFSET_SHIFT = _PAGE_BIT_PROTNONE + 2

	// MAX_SWAPFILES leaves the two top swap types to migration entries.
	MAX_SWAPFILES_SHIFT = 5
	SWP_MIGRATION_NUM   = 2
	MAX_SWAPFILES       = 1<<MAX_SWAPFILES_SHIFT - SWP_MIGRATION_NUM
	SWP_MIGRATION_READ  = MAX_SWAPFILES
	SWP_MIGRATION_WRITE = MAX_SWAPFILES + 1
)

// Levels of the tree.
const (
	PTRS_PER_TABLE = 512
	PGDIR_SHIFT    = 39
	PUD_SHIFT      = 30
	PMD_SHIFT      = 21
	// TASK_SIZE is the top of the user address space on x86_64.
	TASK_SIZE = 1<<47 - PAGE_SIZE
)

// pte is one page-table entry, pte_t/pmd_t/pud_t/pgd_t alike.
type pte uint64

func (e pte) present() bool { return uint64(e)&_PAGE_PRESENT != 0 }
func (e pte) none() bool    { return e == 0 }
func (e pte) write() bool   { return uint64(e)&_PAGE_RW != 0 }
func (e pte) dirty() bool   { return uint64(e)&_PAGE_DIRTY != 0 }
func (e pte) young() bool   { return uint64(e)&_PAGE_ACCESSED != 0 }
func (e pte) special() bool { return uint64(e)&_PAGE_SPECIAL != 0 }
func (e pte) pfn() uint64   { return (uint64(e) & ptePFNMask) >> PAGE_SHIFT }

func (e pte) mkwrite() pte { return e | pte(_PAGE_RW) }
func (e pte) mkdirty() pte { return e | pte(_PAGE_DIRTY) }
func (e pte) mkyoung() pte { return e | pte(_PAGE_ACCESSED) }
func (e pte) mkold() pte   { return e &^ pte(_PAGE_ACCESSED) }
func (e pte) wrprotect() pte {
	return e &^ pte(_PAGE_RW)
}
func (e pte) mkclean() pte { return e &^ pte(_PAGE_DIRTY) }

// mkPte is mk_pte()/pfn_pte(): a present user PTE for pfn with the VMA's
// protection: readable always, writable only if the caller makes it so,
// as vm_page_prot for a private or read-only mapping is.
func mkPte(pfn uint64, vmFlags uint64) pte {
	e := pte(pfn<<PAGE_SHIFT | _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED)
	if vmFlags&VM_EXEC == 0 {
		e |= pte(_PAGE_NX)
	}
	// vm_get_page_prot: shared writable mappings get _PAGE_RW directly;
	// private ones are mapped read-only and made writable on fault.
	if vmFlags&(VM_WRITE|VM_SHARED) == VM_WRITE|VM_SHARED {
		e |= pte(_PAGE_RW)
	}
	return e
}

// pageProt is the VMA flags vma->vm_page_prot is made from: mmap_region
// write-protects a shared writable mapping that wants write notification
// (vma_wants_writenotify: the file has ->page_mkwrite, or its bdi accounts
// dirty pages) by building vm_page_prot from the flags without VM_SHARED,
// so that the first write to each page faults, and the page is dirtied
// (and ->page_mkwrite prepares it) then. tmpfs accounts no dirty pages and
// has no ->page_mkwrite: its shared mappings are writable at once.
func (v *VMArea) pageProt() uint64 {
	if v.Flags&(VM_WRITE|VM_SHARED) != VM_WRITE|VM_SHARED || v.File == nil || v.Flags&VM_PFNMAP != 0 {
		return v.Flags
	}
	m := v.File.Mapping
	if _, ok := m.Ops.(PageMkwriteOp); ok || (m.BDI != nil && m.BDI.bdiCapAccountDirty()) {
		return v.Flags &^ VM_SHARED
	}
	return v.Flags
}

// maybeMkwrite is maybe_mkwrite(): writable if the VMA is.
func maybeMkwrite(e pte, v *VMArea) pte {
	if v.Flags&VM_WRITE != 0 {
		e = e.mkwrite()
	}
	return e
}

// swpEntry is swp_entry_t, as the arch encodes it in a non-present PTE.
type swpEntry struct {
	Type   int
	Offset uint64
}

// swpEntryToPte is swp_entry_to_pte().
func swpEntryToPte(s swpEntry) pte {
	return pte(uint64(s.Type)<<(_PAGE_BIT_PRESENT+1) | s.Offset<<SWP_OFFSET_SHIFT)
}

// pteToSwpEntry is pte_to_swp_entry().
func pteToSwpEntry(e pte) swpEntry {
	return swpEntry{
		Type:   int(uint64(e)>>(_PAGE_BIT_PRESENT+1)) & (1<<SWP_TYPE_BITS - 1),
		Offset: uint64(e) >> SWP_OFFSET_SHIFT,
	}
}

// ptTable names one table in the slab.
type ptTable uint32

// ptSlab holds every page table's entries in fixed chunks, so that a
// pointer to an entry stays valid while other tables are allocated (fault
// and fork code holds PTE pointers across allocations, as the kernel holds
// pte_t pointers). Ids are reused through free.
type ptSlab struct {
	chunks []*[ptChunk][PTRS_PER_TABLE]pte
	n      int
	free   []ptTable
	// gen counts releases. A table is released exactly when an entry
	// pointing at it is cleared (freeTablesIn, freePageTable), so a walk
	// remembered at generation gen still leads to the same table while
	// gen is unchanged (see pteCache).
	gen uint64
}

// ptChunk is how many tables a chunk holds: 8 (32 KiB) keeps a small
// process's page tables small, and the fuzzer boots thousands of those a
// second.
const ptChunk = 8

func (ps *ptSlab) alloc() ptTable {
	var id ptTable
	if n := len(ps.free); n > 0 {
		id = ps.free[n-1]
		ps.free = ps.free[:n-1]
	} else {
		if ps.n%ptChunk == 0 {
			ps.chunks = append(ps.chunks, new([ptChunk][PTRS_PER_TABLE]pte))
		}
		id = ptTable(ps.n)
		ps.n++
	}
	*ps.table(id) = [PTRS_PER_TABLE]pte{}
	return id
}

func (ps *ptSlab) table(id ptTable) *[PTRS_PER_TABLE]pte {
	return &ps.chunks[id/ptChunk][id%ptChunk]
}

func (ps *ptSlab) release(id ptTable) {
	ps.free = append(ps.free, id)
	ps.gen++
}

// entries returns the table's entries.
func (s *System) entries(t ptTable) *[PTRS_PER_TABLE]pte { return s.pt.table(t) }

// tableOf returns the table a present upper-level entry points to.
func (s *System) tableOf(e pte) ptTable { return ptTable(s.pages[e.pfn()].private) }

// PGALLOC_GFP is what x86 allocates page tables with.
const PGALLOC_GFP = GFP_KERNEL | GFP_NOTRACK | GFP_REPEAT | GFP_ZERO

// level says which kind of table a frame holds, for the constructors.
type ptLevel int

const (
	levelPGD ptLevel = iota
	levelPUD
	levelPMD
	levelPTE
)

// allocPageTable allocates a table's frame the way the level's allocator
// does (pgd_alloc, pud_alloc_one, pmd_alloc_one, pte_alloc_one) and its
// slab entry; PTE pages go through pgtable_page_ctor, which counts them in
// NR_PAGETABLE. It returns false when the allocator fails.
func (s *System) allocPageTable(level ptLevel) (ptTable, uint64, bool) {
	gfp := PGALLOC_GFP
	if level == levelPUD {
		gfp = GFP_KERNEL | GFP_REPEAT | GFP_ZERO // get_zeroed_page
	}
	if level == levelPMD {
		gfp = GFP_KERNEL | GFP_REPEAT | GFP_ZERO
	}
	pfn, ok := s.AllocPages(gfp, 0)
	if !ok {
		return 0, 0, false
	}
	id := s.pt.alloc()
	s.pages[pfn].private = uint64(id)
	if level == levelPTE {
		s.PageZone(&s.pages[pfn]).__incZoneState(NR_PAGETABLE)
	}
	return id, pfn, true
}

// freePageTable frees a table's frame (pte_free with pgtable_page_dtor,
// pmd_free, pud_free, pgd_free).
func (s *System) freePageTable(level ptLevel, pfn uint64) {
	p := &s.pages[pfn]
	s.pt.release(ptTable(p.private))
	p.private = 0
	if level == levelPTE {
		s.PageZone(p).__decZoneState(NR_PAGETABLE)
	}
	s.FreePages(pfn, 0)
}

// tableEntry returns the entry for addr at a level below table t.
func pgIndex(addr uint64, shift uint) int { return int(addr>>shift) & (PTRS_PER_TABLE - 1) }

// pteOffsetAlloc walks to the PTE for addr, allocating missing tables
// (pud_alloc, pmd_alloc, pte_alloc_map). It returns nil when a table
// allocation failed (VM_FAULT_OOM).
func (m *MMStruct) pteOffsetAlloc(addr uint64) *pte {
	if tab := m.pteCache.lookup(m.sys, addr); tab != nil {
		return &tab[pgIndex(addr, PAGE_SHIFT)] // every level present: nothing to allocate
	}
	s := m.sys
	t := m.pgd
	for _, lvl := range []struct {
		shift uint
		next  ptLevel
	}{{PGDIR_SHIFT, levelPUD}, {PUD_SHIFT, levelPMD}, {PMD_SHIFT, levelPTE}} {
		e := &s.entries(t)[pgIndex(addr, lvl.shift)]
		if e.none() {
			id, pfn, ok := s.allocPageTable(lvl.next)
			if !ok {
				return nil
			}
			// The table may have appeared while allocating (the kernel
			// rechecks under the lock); a sleeping allocation could let
			// another thread of this mm install one.
			if !e.none() {
				s.freePageTable(lvl.next, pfn)
			} else {
				*e = pte(pfn<<PAGE_SHIFT | _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)
				if lvl.next == levelPTE {
					m.nrPtes++
				}
			}
			_ = id
		}
		t = s.tableOf(*e)
	}
	tab := s.entries(t)
	m.pteCache.remember(s, addr, tab)
	return &tab[pgIndex(addr, PAGE_SHIFT)]
}

// pteOffset walks to the PTE for addr without allocating; nil if a level is
// missing.
func (m *MMStruct) pteOffset(addr uint64) *pte {
	s := m.sys
	if tab := m.pteCache.lookup(s, addr); tab != nil {
		return &tab[pgIndex(addr, PAGE_SHIFT)]
	}
	t := m.pgd
	for _, shift := range []uint{PGDIR_SHIFT, PUD_SHIFT, PMD_SHIFT} {
		e := s.entries(t)[pgIndex(addr, shift)]
		if e.none() {
			return nil
		}
		t = s.tableOf(e)
	}
	tab := s.entries(t)
	m.pteCache.remember(s, addr, tab)
	return &tab[pgIndex(addr, PAGE_SHIFT)]
}

// pteCache remembers the PTE table of the last successful walk of an mm
// (pteOffset, pteOffsetAlloc): a fault walks the same four levels three
// times (the access, handle_mm_fault, the retried access), and sequential
// accesses stay in one PTE table for 512 pages, so the walk's dependent
// loads were a tenth of a fault's host time. It is a memo of the walk's
// result, not a modeled TLB: it reads and changes nothing the kernel
// sees, and it is dropped whenever any page table is freed (ptSlab.gen),
// the only way an upper-level entry that pointed at a table changes.
type pteCache struct {
	gen uint64 // ptSlab.gen when remembered
	key uint64 // addr >> PMD_SHIFT
	tab *[PTRS_PER_TABLE]pte
}

// lookup returns the PTE table for addr if remembered and still valid,
// else nil.
func (c *pteCache) lookup(s *System, addr uint64) *[PTRS_PER_TABLE]pte {
	if c.tab != nil && c.key == addr>>PMD_SHIFT && c.gen == s.pt.gen {
		return c.tab
	}
	return nil
}

func (c *pteCache) remember(s *System, addr uint64, tab *[PTRS_PER_TABLE]pte) {
	*c = pteCache{gen: s.pt.gen, key: addr >> PMD_SHIFT, tab: tab}
}

// walkPTEs calls fn for every PTE slot in [start, end) whose page table
// exists, in address order.
func (m *MMStruct) walkPTEs(start, end uint64, fn func(addr uint64, e *pte)) {
	s := m.sys
	for addr := start; addr < end; {
		next := (addr + 1<<PMD_SHIFT) &^ (1<<PMD_SHIFT - 1)
		if next > end || next == 0 {
			next = end
		}
		t := m.pgd
		ok := true
		for _, shift := range []uint{PGDIR_SHIFT, PUD_SHIFT, PMD_SHIFT} {
			e := s.entries(t)[pgIndex(addr, shift)]
			if e.none() {
				ok = false
				break
			}
			t = s.tableOf(e)
		}
		if ok {
			tab := s.entries(t)
			for a := addr; a < next; a += PAGE_SIZE {
				fn(a, &tab[pgIndex(a, PAGE_SHIFT)])
			}
		}
		addr = next
	}
}
