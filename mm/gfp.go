// SPDX-License-Identifier: GPL-2.0-only

package mm

// GFP flags, include/linux/gfp.h. The kernel's __GFP_FOO bits are spelled
// GFP_FOO here (Go does not export identifiers that start with an
// underscore); composites keep their kernel names. Where the kernel has both
// (GFP_DMA is __GFP_DMA) the values agree.
type GFP uint32

const (
	GFP_DMA         GFP = 0x01
	GFP_HIGHMEM     GFP = 0x02
	GFP_DMA32       GFP = 0x04
	GFP_MOVABLE     GFP = 0x08
	GFP_WAIT        GFP = 0x10
	GFP_HIGH        GFP = 0x20
	GFP_IO          GFP = 0x40
	GFP_FS          GFP = 0x80
	GFP_COLD        GFP = 0x100
	GFP_NOWARN      GFP = 0x200
	GFP_REPEAT      GFP = 0x400
	GFP_NOFAIL      GFP = 0x800
	GFP_NORETRY     GFP = 0x1000
	GFP_MEMALLOC    GFP = 0x2000
	GFP_COMP        GFP = 0x4000
	GFP_ZERO        GFP = 0x8000
	GFP_NOMEMALLOC  GFP = 0x10000
	GFP_HARDWALL    GFP = 0x20000
	GFP_THISNODE_   GFP = 0x40000 // __GFP_THISNODE (GFP_THISNODE is the composite)
	GFP_RECLAIMABLE GFP = 0x80000
	GFP_NOTRACK     GFP = 0x200000
	GFP_NO_KSWAPD   GFP = 0x400000
	GFP_OTHER_NODE  GFP = 0x800000
	GFP_WRITE       GFP = 0x1000000

	GFP_BITS_SHIFT     = 25
	GFP_BITS_MASK  GFP = 1<<GFP_BITS_SHIFT - 1

	GFP_ZONEMASK = GFP_DMA | GFP_HIGHMEM | GFP_DMA32 | GFP_MOVABLE

	GFP_ATOMIC           = GFP_HIGH
	GFP_NOWAIT           = GFP_ATOMIC &^ GFP_HIGH
	GFP_NOIO             = GFP_WAIT
	GFP_NOFS             = GFP_WAIT | GFP_IO
	GFP_KERNEL           = GFP_WAIT | GFP_IO | GFP_FS
	GFP_TEMPORARY        = GFP_WAIT | GFP_IO | GFP_FS | GFP_RECLAIMABLE
	GFP_USER             = GFP_WAIT | GFP_IO | GFP_FS | GFP_HARDWALL
	GFP_HIGHUSER         = GFP_USER | GFP_HIGHMEM
	GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER | GFP_MOVABLE
	GFP_IOFS             = GFP_IO | GFP_FS
	GFP_TRANSHUGE        = GFP_HIGHUSER_MOVABLE | GFP_COMP | GFP_NOMEMALLOC | GFP_NORETRY | GFP_NOWARN | GFP_NO_KSWAPD
	GFP_THISNODE         = GFP_THISNODE_ | GFP_NOWARN | GFP_NORETRY
	GFP_MOVABLE_MASK     = GFP_RECLAIMABLE | GFP_MOVABLE
)

// gfpZone is gfp_zone(): the highest zone an allocation may use, from
// GFP_ZONE_TABLE. It returns -1 for the combinations GFP_ZONE_BAD marks,
// where the kernel would BUG under CONFIG_DEBUG_VM.
func gfpZone(flags GFP) int {
	switch flags & GFP_ZONEMASK {
	case 0, GFP_HIGHMEM, GFP_MOVABLE:
		return ZONE_NORMAL
	case GFP_DMA, GFP_MOVABLE | GFP_DMA:
		return ZONE_DMA
	case GFP_DMA32, GFP_MOVABLE | GFP_DMA32:
		return ZONE_DMA32
	case GFP_MOVABLE | GFP_HIGHMEM:
		return ZONE_MOVABLE
	}
	return -1
}

// allocflagsToMigratetype is allocflags_to_migratetype(), with its WARN_ON
// for __GFP_MOVABLE|__GFP_RECLAIMABLE together.
//
// Model: with both flags v3.16 goes on with migratetype 3
// (MIGRATE_RESERVE), and buffered_rmqueue then indexes pcp->lists[3], one
// past the array: undefined behaviour the model cannot reproduce. After
// the WARN the model takes MIGRATE_MOVABLE, so the run goes on and the
// WARN is the report.
func (s *System) allocflagsToMigratetype(flags GFP) int {
	if s.warnOn(flags&GFP_MOVABLE_MASK == GFP_MOVABLE_MASK, "include/linux/gfp.h", 161) {
		flags &^= GFP_RECLAIMABLE
	}
	if s.pageGroupByMobilityDisabled {
		return MIGRATE_UNMOVABLE
	}
	mt := 0
	if flags&GFP_MOVABLE != 0 {
		mt |= 2
	}
	if flags&GFP_RECLAIMABLE != 0 {
		mt |= 1
	}
	return mt
}

// Allocation flags, mm/internal.h.
const (
	ALLOC_WMARK_MIN     = WMARK_MIN
	ALLOC_WMARK_LOW     = WMARK_LOW
	ALLOC_WMARK_HIGH    = WMARK_HIGH
	ALLOC_NO_WATERMARKS = 0x04
	ALLOC_WMARK_MASK    = ALLOC_NO_WATERMARKS - 1
	ALLOC_HARDER        = 0x10
	ALLOC_HIGH          = 0x20 // same bit as __GFP_HIGH
	ALLOC_CPUSET        = 0x40
	ALLOC_CMA           = 0x80
	ALLOC_FAIR          = 0x100
)
