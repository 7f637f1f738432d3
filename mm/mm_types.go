// SPDX-License-Identifier: GPL-2.0-only

package mm

// Address spaces: struct mm_struct, struct vm_area_struct, struct anon_vma
// and struct anon_vma_chain (include/linux/mm_types.h, include/linux/rmap.h).

// VMA flags, include/linux/mm.h.
const (
	VM_READ       = 0x00000001
	VM_WRITE      = 0x00000002
	VM_EXEC       = 0x00000004
	VM_SHARED     = 0x00000008
	VM_MAYREAD    = 0x00000010
	VM_MAYWRITE   = 0x00000020
	VM_MAYEXEC    = 0x00000040
	VM_MAYSHARE   = 0x00000080
	VM_GROWSDOWN  = 0x00000100
	VM_PFNMAP     = 0x00000400
	VM_LOCKED     = 0x00002000
	VM_IO         = 0x00004000
	VM_DONTEXPAND = 0x00040000
	VM_ACCOUNT    = 0x00100000
	VM_NORESERVE  = 0x00200000
	VM_MIXEDMAP   = 0x10000000

	// VM_SPECIAL: no merging, no mlock.
	VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP
)

// rss counter indexes, enum in mm_types.h.
const (
	MM_FILEPAGES = iota
	MM_ANONPAGES
	MM_SWAPENTS
	NR_MM_COUNTERS
)

// MMStruct is struct mm_struct: the VMAs, the page tables and the counters
// of one address space.
type MMStruct struct {
	sys *System
	// ID names the mm in reports and shadows; it is never reused.
	ID int
	// vmas sorted by start; the kernel keeps an rbtree and a list, both in
	// address order.
	vmas []*VMArea
	// pgd is the top-level page table.
	pgd ptTable
	// pgdPFN is the frame holding the pgd.
	pgdPFN uint64
	// pteCache memoizes the last page-table walk (pgtable.go).
	pteCache pteCache

	rss    [NR_MM_COUNTERS]int64
	nrPtes int64
	// mmUsers and mmCount are mm_users and mm_count.
	mmUsers, mmCount int
	// onMMList is !list_empty(&mm->mmlist): the mm is linked on a
	// ring, mmring: swapoff's list (System.mmlist, init_mm's ring), or a
	// ring of its own that a fork made (see mmlistAdd).
	onMMList          bool
	mmring            *[]*MMStruct
	totalVM, lockedVM uint64
}

// VMArea is struct vm_area_struct.
type VMArea struct {
	mm         *MMStruct
	Start, End uint64
	Flags      uint64
	// Pgoff is vm_pgoff: for anonymous VMAs the start's page number, so
	// that page->index is the same in every VMA a page may appear in.
	Pgoff uint64
	// anonVma is the VMA's own anon_vma (the one new anon pages get);
	// anonVmaChain links it to every anon_vma it shares pages with.
	anonVma      *AnonVMA
	anonVmaChain []*anonVMAChain
	// File is vm_file for a file mapping: the file's address_space and
	// read-ahead state (nil for anonymous memory).
	File *VMFile
}

// VMFile is what a file VMA knows of its struct file.
type VMFile struct {
	Mapping *AddressSpace
	RA      *FileRAState
}

// AnonVMA is struct anon_vma: the reverse map of anonymous pages to the
// VMAs that may map them.
type AnonVMA struct {
	id       uint32
	root     *AnonVMA
	refcount int
	degree   int
	// chains is the rb_root of anon_vma_chains, kept in insertion order
	// (the kernel's interval tree is ordered by VMA range; walks here go in
	// the order VMAs were linked, a documented model choice).
	chains []*anonVMAChain
}

// anonVMAChain is struct anon_vma_chain: one (vma, anon_vma) link.
type anonVMAChain struct {
	vma     *VMArea
	anonVma *AnonVMA
}

// linearPageIndex is linear_page_index(): the page->index a page at
// address in vma has.
func (v *VMArea) linearPageIndex(address uint64) uint64 {
	return (address-v.Start)>>PAGE_SHIFT + v.Pgoff
}

// vmaAddress is vma_address(): where page index idx sits in vma.
func (v *VMArea) vmaAddress(idx uint64) (uint64, bool) {
	if idx < v.Pgoff {
		return 0, false
	}
	a := v.Start + (idx-v.Pgoff)<<PAGE_SHIFT
	return a, a >= v.Start && a < v.End
}

// RSS returns get_mm_counter(mm, member).
func (m *MMStruct) RSS(member int) int64 { return m.rss[member] }

// VMAs returns the VMAs in address order.
func (m *MMStruct) VMAs() []*VMArea { return m.vmas }

// findVMA is find_vma(): the first VMA that ends above addr.
func (m *MMStruct) findVMA(addr uint64) *VMArea {
	lo, hi := 0, len(m.vmas)
	for lo < hi {
		mid := (lo + hi) / 2
		if m.vmas[mid].End > addr {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo < len(m.vmas) {
		return m.vmas[lo]
	}
	return nil
}
