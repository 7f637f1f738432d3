// SPDX-License-Identifier: GPL-2.0-only

package mm

import "unsafe"

// This file models struct page (include/linux/mm_types.h), the page flags
// (include/linux/page-flags.h) and the page-flags layout
// (include/linux/page-flags-layout.h, include/linux/mm.h) of v3.16 on x86_64
// with the configuration in config.go.

// Page flag bit numbers, enum pageflags, with CONFIG_PAGEFLAGS_EXTENDED=y,
// CONFIG_MMU=y, CONFIG_ARCH_USES_PG_UNCACHED=y (x86 PAT),
// CONFIG_MEMORY_FAILURE=n and CONFIG_TRANSPARENT_HUGEPAGE=y.
const (
	PG_locked = iota
	PG_error
	PG_referenced
	PG_uptodate
	PG_dirty
	PG_lru
	PG_active
	PG_slab
	PG_owner_priv_1
	PG_arch_1
	PG_reserved
	PG_private
	PG_private_2
	PG_writeback
	PG_head
	PG_tail
	PG_swapcache
	PG_mappedtodisk
	PG_reclaim
	PG_swapbacked
	PG_unevictable
	PG_mlocked
	PG_uncached
	PG_compound_lock
	NR_PAGEFLAGS

	PG_checked = PG_owner_priv_1 // filesystems
	PG_fscache = PG_private_2
)

// PAGE_FLAGS_CHECK_AT_FREE: flags that must be clear when a page is freed.
const PAGE_FLAGS_CHECK_AT_FREE uint64 = 1<<PG_lru | 1<<PG_locked |
	1<<PG_private | 1<<PG_private_2 |
	1<<PG_writeback | 1<<PG_reserved |
	1<<PG_slab | 1<<PG_swapcache | 1<<PG_active |
	1<<PG_unevictable | 1<<PG_mlocked | 1<<PG_compound_lock

// PAGE_FLAGS_CHECK_AT_PREP: no flag may be set on a page the allocator hands
// out.
const PAGE_FLAGS_CHECK_AT_PREP uint64 = 1<<NR_PAGEFLAGS - 1

// PAGE_FLAGS_PRIVATE is what page_has_private() tests.
const PAGE_FLAGS_PRIVATE uint64 = 1<<PG_private | 1<<PG_private_2

// The upper bits of page->flags hold the node and zone, and with
// CONFIG_NUMA_BALANCING the last cpupid. Layout for NODES_SHIFT 6,
// ZONES_SHIFT 2, NR_CPUS 64 (LAST__CPU_SHIFT 6) and no SECTIONS_WIDTH
// (SPARSEMEM_VMEMMAP): | NODE:6 | ZONE:2 | LAST_CPUPID:14 | ... | FLAGS:24 |.
const (
	NODES_SHIFT       = 6
	ZONES_SHIFT       = 2
	LAST__PID_SHIFT   = 8
	LAST__CPU_SHIFT   = 6
	LAST_CPUPID_SHIFT = LAST__PID_SHIFT + LAST__CPU_SHIFT

	NODES_PGOFF       = 64 - NODES_SHIFT
	ZONES_PGOFF       = NODES_PGOFF - ZONES_SHIFT
	LAST_CPUPID_PGOFF = ZONES_PGOFF - LAST_CPUPID_SHIFT

	NODES_MASK       = 1<<NODES_SHIFT - 1
	ZONES_MASK       = 1<<ZONES_SHIFT - 1
	LAST_CPUPID_MASK = 1<<LAST_CPUPID_SHIFT - 1
)

// PAGE_BUDDY_MAPCOUNT_VALUE marks a free page that heads a buddy block.
const PAGE_BUDDY_MAPCOUNT_VALUE = -128

// PAGE_MAPPING_ANON is the low bit of page->mapping that says it points at an
// anon_vma rather than an address_space.
const PAGE_MAPPING_ANON = 1

// SizeofStructPage is sizeof(struct page) on v3.16 x86_64; used for the
// virtual addresses dump_page prints and for the memmap reservation at boot.
const SizeofStructPage = 64

// VMEMMAP_START is where x86_64 maps the struct page array.
const VMEMMAP_START uint64 = 0xffffea0000000000

// Page is one page frame, struct page. Frames live in one flat slice indexed
// by PFN (System.pages) and hold no Go pointers, so the garbage collector
// never scans them; lists link frames by PFN.
//
// Model: the unions of struct page are reduced to the fields the model uses:
// private holds the buddy order, the swap entry or the buffer-head handle;
// index holds the file offset, or the freepage migratetype while a page sits
// on a free or pcp list (set_freepage_migratetype stores it there too).
// compound_head/first_page are derived from PG_tail by walking back, since no
// modeled path needs O(1) tail-to-head lookups.
type Page struct {
	flags uint64
	// _count, the reference count.
	count int32
	// mapcount is page_mapcount(page), that is _mapcount + 1, so that the
	// zero value of a frame means _mapcount == -1 as memmap_init leaves it.
	mapcount int32
	// mapping is a handle: 0 is NULL, the low bit is PAGE_MAPPING_ANON, the
	// rest names an address_space or anon_vma in their registries.
	mapping uint32
	// lru links, as PFNs or list-head ids (list.go).
	lru links
	// extra holds page->pfmemalloc (bit 0), which in the kernel shares a
	// union with index but is read only right after allocation.
	extra   uint32
	index   uint64
	private uint64
	// data is the token standing for the page's contents (DESIGN §7).
	data uint64
}

// Flag accessors. The kernel generates these with macros; the model keeps one
// generic pair plus named helpers where mm code reads them most.

func (p *Page) testFlag(bit uint) bool { return p.flags&(1<<bit) != 0 }
func (p *Page) setFlag(bit uint)       { p.flags |= 1 << bit }
func (p *Page) clearFlag(bit uint)     { p.flags &^= 1 << bit }

// testClearFlag is TestClearPageFoo.
func (p *Page) testClearFlag(bit uint) bool {
	was := p.flags&(1<<bit) != 0
	p.flags &^= 1 << bit
	return was
}

// testSetFlag is TestSetPageFoo.
func (p *Page) testSetFlag(bit uint) bool {
	was := p.flags&(1<<bit) != 0
	p.flags |= 1 << bit
	return was
}

// Flags returns page->flags.
func (p *Page) Flags() uint64 { return p.flags }

// Count is page_count() for a non-tail page: _count.
func (p *Page) Count() int32 { return p.count }

// Mapcount is page_mapcount(): _mapcount + 1.
func (p *Page) Mapcount() int32 { return p.mapcount }

// Mapping is the raw page->mapping handle.
func (p *Page) Mapping() uint32 { return p.mapping }

// Index is page->index.
func (p *Page) Index() uint64 { return p.index }

// Private is page_private().
func (p *Page) Private() uint64 { return p.private }

// Data is the content token.
func (p *Page) Data() uint64 { return p.data }

func (p *Page) PageLocked() bool      { return p.testFlag(PG_locked) }
func (p *Page) PageDirty() bool       { return p.testFlag(PG_dirty) }
func (p *Page) PageLRU() bool         { return p.testFlag(PG_lru) }
func (p *Page) PageActive() bool      { return p.testFlag(PG_active) }
func (p *Page) PageReserved() bool    { return p.testFlag(PG_reserved) }
func (p *Page) PageWriteback() bool   { return p.testFlag(PG_writeback) }
func (p *Page) PageSwapBacked() bool  { return p.testFlag(PG_swapbacked) }
func (p *Page) PageSwapCache() bool   { return p.testFlag(PG_swapcache) }
func (p *Page) PageUnevictable() bool { return p.testFlag(PG_unevictable) }
func (p *Page) PageMlocked() bool     { return p.testFlag(PG_mlocked) }
func (p *Page) PageHead() bool        { return p.testFlag(PG_head) }
func (p *Page) PageTail() bool        { return p.testFlag(PG_tail) }

// PageCompound is true for head and tail pages (PAGEFLAGS_EXTENDED).
func (p *Page) PageCompound() bool { return p.flags&(1<<PG_head|1<<PG_tail) != 0 }

// PageBuddy: the page heads a free block in the buddy allocator.
func (p *Page) PageBuddy() bool { return p.mapcount-1 == PAGE_BUDDY_MAPCOUNT_VALUE }

func (p *Page) setPageBuddy() { p.mapcount = PAGE_BUDDY_MAPCOUNT_VALUE + 1 }

// pageMapcountReset is page_mapcount_reset(): _mapcount = -1.
func (p *Page) pageMapcountReset() { p.mapcount = 0 }

// PageAnon: mapping points at an anon_vma.
func (p *Page) PageAnon() bool { return p.mapping&PAGE_MAPPING_ANON != 0 }

// pageOrder is page_order() of a PageBuddy page.
func (p *Page) pageOrder() uint { return uint(p.private) }

// setPageOrder is set_page_order(): record the order and mark PageBuddy.
func (p *Page) setPageOrder(order uint) {
	p.private = uint64(order)
	p.setPageBuddy()
}

// rmvPageOrder is rmv_page_order().
func (p *Page) rmvPageOrder() {
	p.pageMapcountReset()
	p.private = 0
}

// freepageMigratetype is get_freepage_migratetype(): kept in page->index
// while the page is free.
func (p *Page) freepageMigratetype() int      { return int(p.index) }
func (p *Page) setFreepageMigratetype(mt int) { p.index = uint64(mt) }

// pageZonenum is page_zonenum().
func (p *Page) pageZonenum() int { return int(p.flags>>ZONES_PGOFF) & ZONES_MASK }

// pageToNid is page_to_nid().
func (p *Page) pageToNid() int { return int(p.flags>>NODES_PGOFF) & NODES_MASK }

// setPageLinks is set_page_links(): zone and node into the flags.
func (p *Page) setPageLinks(zone, nid int) {
	p.flags &^= ZONES_MASK<<ZONES_PGOFF | NODES_MASK<<NODES_PGOFF
	p.flags |= uint64(zone)<<ZONES_PGOFF | uint64(nid)<<NODES_PGOFF
}

// pageCpupidResetLast is page_cpupid_reset_last(): all ones in the field.
func (p *Page) pageCpupidResetLast() {
	p.flags |= LAST_CPUPID_MASK << LAST_CPUPID_PGOFF
}

// Bookkeeping bits in Page.extra, see there.
const (
	extraPfmemalloc = 1 << 0
	// extraAllocTail marks a subpage of an allocated block.
	extraAllocTail = 1 << 1
	// extraAllocOrderShift: the block's order, on its first page.
	extraAllocOrderShift = 2
	extraAllocOrderMask  = 0xf << extraAllocOrderShift
)

// markAllocated records that [pfn, pfn+2^order) left the allocator as one
// block.
func (s *System) markAllocated(pfn uint64, order uint) {
	p := &s.pages[pfn]
	p.extra = p.extra&^(extraAllocTail|extraAllocOrderMask) | uint32(order)<<extraAllocOrderShift
	for i := uint64(1); i < 1<<order; i++ {
		s.pages[pfn+i].extra |= extraAllocTail
	}
}

// clearAllocated forgets the block bookkeeping of [pfn, pfn+2^order).
func (s *System) clearAllocated(pfn uint64, order uint) {
	for i := uint64(0); i < 1<<order; i++ {
		s.pages[pfn+i].extra &^= extraAllocTail | extraAllocOrderMask
	}
}

// Pfmemalloc is page->pfmemalloc.
func (p *Page) Pfmemalloc() bool { return p.extra&extraPfmemalloc != 0 }

func (p *Page) setPfmemalloc(v bool) {
	if v {
		p.extra |= extraPfmemalloc
	} else {
		p.extra &^= extraPfmemalloc
	}
}

// pageflagNames is pageflag_names[] in bit order, used by dump_page.
var pageflagNames = [NR_PAGEFLAGS]string{
	"locked", "error", "referenced", "uptodate", "dirty", "lru", "active",
	"slab", "owner_priv_1", "arch_1", "reserved", "private", "private_2",
	"writeback", "head", "tail", "swapcache", "mappedtodisk", "reclaim",
	"swapbacked", "unevictable", "mlocked", "uncached", "compound_lock",
}

// FlagNames renders flag bits the way dump_page_flags does: names joined by
// "|", leftover bits in hex. Zone and node bits are not named.
func FlagNames(flags uint64) string {
	flags &= 1<<NR_PAGEFLAGS - 1
	s := ""
	delim := ""
	for i := 0; i < NR_PAGEFLAGS && flags != 0; i++ {
		if flags&(1<<uint(i)) == 0 {
			continue
		}
		flags &^= 1 << uint(i)
		s += delim + pageflagNames[i]
		delim = "|"
	}
	if flags != 0 {
		s += delim + hex0x(flags)
	}
	return s
}

// sizeofPage is the host size of a frame; the memmap budget is 64 bytes.
const sizeofPage = unsafe.Sizeof(Page{})

func uintptrOf(p *Page) uintptr { return uintptr(unsafe.Pointer(p)) }

// Test, Set and Clear are the PageFoo/SetPageFoo/ClearPageFoo family for
// filesystem code outside this package, by flag bit.
func (p *Page) Test(bit uint) bool { return p.testFlag(bit) }
func (p *Page) Set(bit uint)       { p.setFlag(bit) }
func (p *Page) Clear(bit uint)     { p.clearFlag(bit) }

// TestClear is TestClearPageFoo; TestSet is TestSetPageFoo.
func (p *Page) TestClear(bit uint) bool { return p.testClearFlag(bit) }
func (p *Page) TestSet(bit uint) bool   { return p.testSetFlag(bit) }

// SetData sets the page's content token (a write by the kernel: a read
// completing, a copy, zeroing).
func (p *Page) SetData(token uint64) { p.data = token }

// MixToken is how a write of token into a page that held old changes the
// page's content token. Program shadows compute the same, so a read can be
// checked against what was written, partial-page writes included.
func MixToken(old, token uint64) uint64 {
	x := old*0x9e3779b97f4a7c15 ^ token
	x ^= x >> 29
	return x*0xbf58476d1ce4e5b9 + 1
}

// WriteToken is a page's content token after a write of token over bytes
// bytes at offset in it: a write of the whole page replaces whatever the
// frame held (a new page-cache page is not cleared first, so its old
// content must not show), a partial one mixes in (MixToken).
func WriteToken(old uint64, offset, bytes int64, token uint64) uint64 {
	if offset == 0 && bytes == PAGE_SIZE {
		return MixToken(0, token)
	}
	return MixToken(old, token)
}
