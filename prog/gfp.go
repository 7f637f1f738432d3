// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"fmt"
	"strconv"
	"strings"

	"pagesim/mm"
)

// GFP masks are written as in kernel C: composites (GFP_KERNEL) and single
// bits (__GFP_COMP) joined by |, or a number. Print chooses composites
// first, as show_gfp_flags() does, then single bits, then any bits left
// over in hex; 0 is GFP_NOWAIT.

var gfpComposites = []Word{
	{"GFP_TRANSHUGE", uint64(mm.GFP_TRANSHUGE)},
	{"GFP_HIGHUSER_MOVABLE", uint64(mm.GFP_HIGHUSER_MOVABLE)},
	{"GFP_HIGHUSER", uint64(mm.GFP_HIGHUSER)},
	{"GFP_USER", uint64(mm.GFP_USER)},
	{"GFP_TEMPORARY", uint64(mm.GFP_TEMPORARY)},
	{"GFP_KERNEL", uint64(mm.GFP_KERNEL)},
	{"GFP_NOFS", uint64(mm.GFP_NOFS)},
	{"GFP_ATOMIC", uint64(mm.GFP_ATOMIC)},
	{"GFP_NOIO", uint64(mm.GFP_NOIO)},
}

var gfpBits = []Word{
	{"__GFP_DMA", uint64(mm.GFP_DMA)},
	{"__GFP_HIGHMEM", uint64(mm.GFP_HIGHMEM)},
	{"__GFP_DMA32", uint64(mm.GFP_DMA32)},
	{"__GFP_MOVABLE", uint64(mm.GFP_MOVABLE)},
	{"__GFP_WAIT", uint64(mm.GFP_WAIT)},
	{"__GFP_HIGH", uint64(mm.GFP_HIGH)},
	{"__GFP_IO", uint64(mm.GFP_IO)},
	{"__GFP_FS", uint64(mm.GFP_FS)},
	{"__GFP_COLD", uint64(mm.GFP_COLD)},
	{"__GFP_NOWARN", uint64(mm.GFP_NOWARN)},
	{"__GFP_REPEAT", uint64(mm.GFP_REPEAT)},
	{"__GFP_NOFAIL", uint64(mm.GFP_NOFAIL)},
	{"__GFP_NORETRY", uint64(mm.GFP_NORETRY)},
	{"__GFP_MEMALLOC", uint64(mm.GFP_MEMALLOC)},
	{"__GFP_COMP", uint64(mm.GFP_COMP)},
	{"__GFP_ZERO", uint64(mm.GFP_ZERO)},
	{"__GFP_NOMEMALLOC", uint64(mm.GFP_NOMEMALLOC)},
	{"__GFP_HARDWALL", uint64(mm.GFP_HARDWALL)},
	{"__GFP_THISNODE", uint64(mm.GFP_THISNODE_)},
	{"__GFP_RECLAIMABLE", uint64(mm.GFP_RECLAIMABLE)},
	{"__GFP_NOTRACK", uint64(mm.GFP_NOTRACK)},
	{"__GFP_NO_KSWAPD", uint64(mm.GFP_NO_KSWAPD)},
	{"__GFP_OTHER_NODE", uint64(mm.GFP_OTHER_NODE)},
	{"__GFP_WRITE", uint64(mm.GFP_WRITE)},
}

// gfpAliases are other names the kernel has for the same masks.
var gfpAliases = []Word{
	{"GFP_NOWAIT", uint64(mm.GFP_NOWAIT)},
	{"GFP_DMA", uint64(mm.GFP_DMA)},
	{"GFP_DMA32", uint64(mm.GFP_DMA32)},
	{"GFP_IOFS", uint64(mm.GFP_IOFS)},
	{"GFP_THISNODE", uint64(mm.GFP_THISNODE)},
}

const gfpMask = uint64(mm.GFP_BITS_MASK)

// parseGFPWord reads one part of a GFP mask.
func parseGFPWord(s string) (uint64, bool) {
	for _, t := range [][]Word{gfpComposites, gfpBits, gfpAliases} {
		if v, ok := lookupWord(t, s); ok {
			return v, true
		}
	}
	return 0, false
}

// formatGFP prints a mask canonically.
func formatGFP(g uint64) string {
	if g == 0 {
		return "GFP_NOWAIT"
	}
	var parts []string
	for _, t := range [][]Word{gfpComposites, gfpBits} {
		for _, w := range t {
			if g&w.Value == w.Value {
				parts = append(parts, w.Name)
				g &^= w.Value
			}
		}
	}
	if g != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(g, 16))
	}
	return strings.Join(parts, "|")
}

func gfpHint() string {
	return fmt.Sprintf("GFP masks are GFP_KERNEL, GFP_ATOMIC, GFP_NOFS, GFP_USER, GFP_HIGHUSER_MOVABLE, ... and __GFP_ bits (%s, ...) joined by |", "__GFP_COMP, __GFP_ZERO, __GFP_NOWARN, __GFP_MOVABLE")
}
